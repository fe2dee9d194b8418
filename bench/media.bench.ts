/**
 * `npm run bench:media`: the recording-notice path through FreeSWITCH on the same machine (issue 7).
 *
 * A real drachtio-server, the lab's FreeSWITCH with freeswitch-conf/ (as shipped, except a wider RTP
 * port range so the range is not what limits), and `callguard serve` (dist/, as `npm start` runs it, on
 * a temp copy of the sample dialplan, in-memory state, recordings into a temp directory, pino at info
 * into a file). A SIPp UAC places recorded calls 4101 -> 3000 (IT Service Desk, notice service-desk):
 * 183 from FreeSWITCH, the notice, then callguard calls the PBX (a SIPp UAS that answers at once), the
 * two legs are bridged and recorded in FreeSWITCH, the caller gets 200, holds, hangs up.
 *
 * For each rate R (calls/s, R x SECONDS calls) it reports whether every call completed, and the delay
 * beyond the notice: (PBX received the INVITE) - (caller sent its INVITE) - (the notice's length by
 * `soxi -D`), per call, matched by the caller's display name "Bench <call number>" (callguard passes the
 * caller's name on). That is what the notice path adds: setting up the endpoint, the 183, starting the
 * playback, and the callee leg. Also the CPU each process spent a call (from /proc) and the machine's
 * load. The highest rate at which every call completes is the notice-path rate.
 *
 * Needs E2E_DRACHTIO_BIN, E2E_DRACHTIO_CONF, E2E_SIPP_BIN and E2E_FREESWITCH_RUN (../shared/lab; .ci/run
 * sets them); skips with one line otherwise. Knobs: MEDIA_BENCH_RATES (comma list, default 2,5,10,15,20,25),
 * MEDIA_BENCH_SECONDS (seconds of calls a step, default 20), MEDIA_BENCH_HOLD_MS (connected time, default
 * 2000), MEDIA_BENCH_TRIES (runs a rate gets to be clean, default 2), MEDIA_BENCH_CPU_PROF (a directory:
 * callguard runs under node --cpu-prof and writes its profile there when it stops).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { packageRoot } from '../src/packageRoot.js';
import { startFreeswitch, type Freeswitch } from '../test/support/freeswitch.js';
import {
  freeSipPort,
  labPaths,
  labTempDir,
  LabProcess,
  quietly,
  sleep,
  startDrachtio,
  startSipp,
  stopAll,
  type Drachtio,
  type LabPaths,
  type SipMessage,
} from '../test/support/lab.js';
import { startBuiltCallguard } from './builtCallguard.js';
import { machine } from './stats.js';

const ROOT = packageRoot();
const CALLER = '4101';
const RECORDED = '3000';
const NOTICE = 'service-desk';
const RATES = (process.env.MEDIA_BENCH_RATES ?? '2,5,10,15,20,25').split(',').map(Number).filter((r) => r > 0);
const SECONDS = Number(process.env.MEDIA_BENCH_SECONDS ?? 20);
const HOLD_MS = Number(process.env.MEDIA_BENCH_HOLD_MS ?? 2_000);
const TRIES = Math.max(1, Number(process.env.MEDIA_BENCH_TRIES ?? 2));
const CPU_PROF = process.env.MEDIA_BENCH_CPU_PROF;

/** utime + stime of a process in ms (all threads), from /proc/PID/stat. */
function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** When SIPp wrote a message into its trace ("2026-11-23 21:08:52.159673", local time), in ms. */
function traceTime(message: SipMessage): number {
  return Date.parse(message.at.replace(' ', 'T'));
}

/** The caller: uac-call.xml with the SIPp call number as From display name, for matching the callee leg. */
function callerScenario(): string {
  const xml = readFileSync(join(ROOT, 'test/e2e/scenarios/uac-call.xml'), 'utf8');
  return xml.replaceAll('"Caller [from]"', '"Bench [call_number]"');
}

interface Stack {
  drachtio: Drachtio;
  fs: Freeswitch;
  app: LabProcess;
  pbxPort: number;
  noticeMs: number;
}

async function startStack(lab: LabPaths & { freeswitchRun: string }): Promise<Stack> {
  const root = labTempDir('callguard-mediabench-');
  const dialplan = join(root, 'dialplan');
  cpSync(join(ROOT, 'dialplan'), dialplan, { recursive: true });
  const pbxPort = await freeSipPort();
  const site = parseDocument(readFileSync(join(dialplan, 'site.yaml'), 'utf8'));
  site.setIn(['site', 'routes', 'internal'], `sip:127.0.0.1:${pbxPort}`);
  site.setIn(['site', 'recording', 'directory'], join(root, 'recordings'));
  writeFileSync(join(dialplan, 'site.yaml'), site.toString());
  const noticeMs = Number(execFileSync('soxi', ['-D', join(dialplan, `audio/notices/${NOTICE}.wav`)], { encoding: 'utf8' }).trim()) * 1000;

  const [drachtio, fs] = await Promise.all([startDrachtio(lab), startFreeswitch(lab, { rtpPorts: 4_000, env: { FREESWITCH_MAX_SESSIONS: '2000' } })]);
  let app: LabProcess;
  try {
    ({ process: app } = await startBuiltCallguard({ drachtio, dialplanDir: dialplan, root, env: fs.appEnv, waitForFreeswitch: true, nodeArgs: CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [] }));
  } catch (error) {
    await fs.stop();
    await drachtio.stop();
    throw error;
  }
  return { drachtio, fs, app, pbxPort, noticeMs };
}

interface Step {
  rate: number;
  calls: number;
  completed: number;
  clean: boolean;
  why: string[];
  /** Per call: INVITE -> callee INVITE minus the notice, ms. */
  beyond: number[];
  cpuPerCall: { app: number; fs: number; drachtio: number };
  load: number;
  channelsAfter: number;
}

async function runStep(lab: LabPaths, stack: Stack, rate: number): Promise<Step> {
  const calls = Math.max(1, Math.round(rate * SECONDS));
  const timeoutSeconds = Math.ceil(SECONDS + stack.noticeMs / 1000 + HOLD_MS / 1000 + 90);
  const pbx = await startSipp(lab, { role: 'uas', scenarioFile: join(ROOT, 'test/e2e/scenarios/uas-answer.xml'), port: stack.pbxPort, service: 'pbx', calls, timeoutSeconds });
  const cpu0 = { app: cpuMs(stack.app.pid), fs: cpuMs(stack.fs.process.pid), drachtio: cpuMs(stack.drachtio.process.pid) };
  const uac = await startSipp(lab, {
    role: 'uac',
    scenarioXml: callerScenario(),
    template: { hold: HOLD_MS },
    remote: `127.0.0.1:${stack.drachtio.sipPort}`,
    service: RECORDED,
    keys: { from: CALLER },
    calls,
    rate,
    timeoutSeconds,
    extraArgs: ['-l', String(Math.max(50, calls))],
  });
  const why: string[] = [];
  const code = await uac.waitExit(timeoutSeconds * 1000 + 30_000).catch(async () => {
    await uac.stop();
    return null;
  });
  const pbxCode = await pbx.waitExit(30_000).catch(async () => {
    await pbx.stop();
    return null;
  });
  const cpu1 = { app: cpuMs(stack.app.pid), fs: cpuMs(stack.fs.process.pid), drachtio: cpuMs(stack.drachtio.process.pid) };
  const load = loadavg()[0]!;
  const channelsAfter = await stack.fs.waitForChannelCount(0, 60_000).catch(() => NaN);

  const stats = uac.stats();
  const completed = Number(stats?.['SuccessfulCall(C)'] ?? 0);
  if (code !== 0) why.push(`caller SIPp exit ${code}: ${stats?.['FailedCall(C)'] ?? '?'} failed`);
  if (pbxCode !== 0) why.push(`PBX SIPp exit ${pbxCode}`);
  if (completed !== calls) why.push(`${completed}/${calls} calls completed`);
  if (channelsAfter !== 0) why.push(`FreeSWITCH channels left: ${channelsAfter}`);
  const failures = uac.received((m) => m.status !== undefined && m.status >= 300).map((m) => m.status);
  if (failures.length) why.push(`final responses ${[...new Set(failures)].join(',')}`);

  const sent = new Map<string, number>();
  for (const m of uac.messages()) {
    if (m.direction !== 'sent' || m.method !== 'INVITE') continue;
    const n = /"Bench (\d+)"/.exec(m.header('from') ?? '')?.[1];
    if (n !== undefined && !sent.has(n)) sent.set(n, traceTime(m));
  }
  const beyond: number[] = [];
  const seen = new Set<string>();
  for (const m of pbx.received((x) => x.method === 'INVITE')) {
    const n = /"?Bench (\d+)"?/.exec(m.header('from') ?? '')?.[1];
    if (n === undefined || seen.has(n) || !sent.has(n)) continue;
    seen.add(n);
    beyond.push(traceTime(m) - sent.get(n)! - stack.noticeMs);
  }
  if (beyond.length !== calls) why.push(`${beyond.length}/${calls} callee INVITEs matched to their call`);
  beyond.sort((a, b) => a - b);
  const per = (a: number, b: number) => (b - a) / calls;
  return {
    rate,
    calls,
    completed,
    clean: why.length === 0,
    why,
    beyond,
    cpuPerCall: { app: per(cpu0.app, cpu1.app), fs: per(cpu0.fs, cpu1.fs), drachtio: per(cpu0.drachtio, cpu1.drachtio) },
    load,
    channelsAfter,
  };
}

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(0)} ms` : '-');

function describeStep(s: Step): string {
  const cpu = `${s.cpuPerCall.app.toFixed(1)}/${s.cpuPerCall.fs.toFixed(1)}/${s.cpuPerCall.drachtio.toFixed(1)}`;
  return `${String(s.rate).padStart(5)}/s ${String(s.calls).padStart(6)} ${`${s.completed}`.padStart(6)} ${s.clean ? 'clean' : 'FAIL '} ${ms(pct(s.beyond, 50)).padStart(8)} ${ms(pct(s.beyond, 99)).padStart(8)} ${ms(s.beyond.at(-1) ?? NaN).padStart(8)} ${cpu.padStart(16)} ${s.load.toFixed(1).padStart(6)}${s.clean ? '' : `  ${s.why.join('; ')}`}`;
}

async function main(): Promise<void> {
  const paths = labPaths();
  if (!paths.ok) {
    console.log(paths.skip.replace(/^e2e skipped/, 'bench:media skipped'));
    return;
  }
  const fsRun = paths.paths.freeswitchRun;
  if (!fsRun || !existsSync(fsRun)) {
    console.log(`bench:media skipped: E2E_FREESWITCH_RUN ${fsRun ? `=${fsRun} not found` : 'unset'} (see ../shared/lab/README.md; .ci/run sets it)`);
    return;
  }
  const lab = { ...paths.paths, freeswitchRun: fsRun };
  let stack: Stack | undefined;
  try {
    stack = await startStack(lab);
    console.log(`callguard media bench: ${machine()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`recorded calls ${CALLER} -> ${RECORDED} (notice ${NOTICE}, ${(stack.noticeMs / 1000).toFixed(3)} s), FreeSWITCH on this machine, ${SECONDS} s of calls a step, hold ${HOLD_MS} ms, best of ${TRIES}`);
    // Warm-up (JIT, FreeSWITCH's first file open), not reported.
    await runStep(lab, stack, 1);
    console.log(`\n rate  calls   done        INVITE->callee INVITE beyond the notice   CPU ms a call     load`);
    console.log(`                             p50      p99      max    app/FS/drachtio`);
    let best: number | undefined;
    for (const rate of RATES) {
      let step: Step | undefined;
      for (let attempt = 1; attempt <= TRIES && !step?.clean; attempt++) {
        step = await runStep(lab, stack, rate);
        console.log(`${describeStep(step)}${attempt > 1 ? ` (try ${attempt})` : ''}`);
        await sleep(2_000);
      }
      if (!step?.clean) break;
      best = rate;
    }
    console.log(`\nnotice-path rate with every call completed: ${best === undefined ? 'none' : `${best} calls/s${best === RATES.at(-1) ? '+ (raise MEDIA_BENCH_RATES)' : ''}`}`);
  } finally {
    await quietly(() => stack?.app.stop(15_000));
    await quietly(() => stack?.fs.stop());
    await quietly(() => stack?.drachtio.stop());
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exitCode = 1;
});
