/**
 * `npm run bench:media`: the recording-notice path through FreeSWITCH on the same machine (issues 7, 23).
 *
 * Two arms, given the same SIPp caller at the same rates, taking turns at each rate:
 * - callguard: a real drachtio-server, the lab's FreeSWITCH with freeswitch-conf/ and `callguard serve`
 *   (dist/, as `npm start` runs it, on a temp copy of the sample dialplan, in-memory state, recordings
 *   into a temp directory, pino at info into a file). The caller dials 4101 -> 3000 (IT Service Desk,
 *   notice service-desk): 183 from FreeSWITCH, the notice, then callguard calls the PBX (a SIPp UAS that
 *   answers at once), the two legs are bridged and recorded in FreeSWITCH, the caller gets 200, holds,
 *   hangs up.
 * - FreeSWITCH alone (the baseline, mediaBaseline.ts): the same notice, stereo recording and bridge to
 *   the same kind of PBX from FreeSWITCH's own XML dialplan, the caller's INVITE sent straight to it.
 * Both FreeSWITCHes run the shipped configuration with the session, session-rate and RTP-port limits
 * raised, so those limits are not what is measured.
 *
 * For each rate R (calls/s, R x SECONDS calls) it reports whether every call completed, and the delay
 * beyond the notice: (PBX received the INVITE) - (caller sent its INVITE) - (the notice's length by
 * `soxi -D`), per call, matched by the caller's display name "Bench <call number>" (both arms pass the
 * caller's name on). That is what the notice path adds: setting up the endpoint, the 183, starting the
 * playback, and the callee leg. Also the CPU each process spent a call (from /proc) and the machine's
 * load. Each arm's highest rate at which every call completes, and callguard's as a share of the
 * baseline's (budget: at least 90 %).
 *
 * Needs E2E_DRACHTIO_BIN, E2E_DRACHTIO_CONF, E2E_SIPP_BIN and E2E_FREESWITCH_RUN (../shared/lab; .ci/run
 * sets them); skips with one line otherwise. Knobs: MEDIA_BENCH_RATES (comma list, default
 * 5,10,15,20,25,30,35,40,45,50), MEDIA_BENCH_SECONDS (seconds of calls a step, default 20),
 * MEDIA_BENCH_HOLD_MS (connected time, default 2000), MEDIA_BENCH_TRIES (runs a rate gets to be clean,
 * default 2), MEDIA_BENCH_ARMS (callguard,alone by default; one of them to run only that arm),
 * MEDIA_BENCH_CPU_PROF (a directory: callguard runs under node --cpu-prof and writes its profile there
 * when it stops), MEDIA_BENCH_WARM_UP_CALLS (calls at 15/s down each arm before the climb, default 600).
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { packageRoot } from '../src/packageRoot.js';
import { startFreeswitch, type Freeswitch, type MediaLabPaths } from '../test/support/freeswitch.js';
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
  type LabPaths,
  type SipMessage,
} from '../test/support/lab.js';
import { startBuiltCallguard } from './builtCallguard.js';
import { startBaselineFreeswitch } from './mediaBaseline.js';
import { machine } from './stats.js';

const ROOT = packageRoot();
const CALLER = '4101';
const RECORDED = '3000';
const NOTICE = 'service-desk';
const RATES = (process.env.MEDIA_BENCH_RATES ?? '5,10,15,20,25,30,35,40,45,50').split(',').map(Number).filter((r) => r > 0);
const SECONDS = Number(process.env.MEDIA_BENCH_SECONDS ?? 20);
const HOLD_MS = Number(process.env.MEDIA_BENCH_HOLD_MS ?? 2_000);
const TRIES = Math.max(1, Number(process.env.MEDIA_BENCH_TRIES ?? 2));
const CPU_PROF = process.env.MEDIA_BENCH_CPU_PROF;
const ARMS = (process.env.MEDIA_BENCH_ARMS ?? 'callguard,alone').split(',');
const WARM_UP = { rate: 15, calls: Number(process.env.MEDIA_BENCH_WARM_UP_CALLS ?? 600) };

/** utime + stime of a process in ms (all threads), from /proc/PID/stat; NaN for a process the arm lacks. */
function cpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/** CPU so far of each of an arm's processes, ms. */
function cpuOf({ pids }: Arm): { app: number; fs: number; drachtio: number } {
  return { app: cpuMs(pids.app), fs: cpuMs(pids.fs), drachtio: cpuMs(pids.drachtio) };
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

/** One way of doing the recorded call: the processes it runs, where the caller sends its INVITEs. */
interface Arm {
  name: string;
  /** FreeSWITCH's SIP port, or drachtio-server's: the caller's INVITEs go here. */
  sipPort: number;
  pbxPort: number;
  fs: Freeswitch;
  /** The PIDs whose CPU a call is reported; app and drachtio-server only on callguard's path. */
  pids: { app?: number; fs: number; drachtio?: number };
  stop(): Promise<void>;
}

interface Setup {
  dialplan: string;
  root: string;
  noticeFile: string;
  noticeMs: number;
}

/** A temp copy of the sample dialplan, the PBX route and recordings pointing into the temp dir. */
async function prepare(): Promise<Setup & { pbxPort: number }> {
  const root = labTempDir('callguard-mediabench-');
  const dialplan = join(root, 'dialplan');
  cpSync(join(ROOT, 'dialplan'), dialplan, { recursive: true });
  const pbxPort = await freeSipPort();
  const site = parseDocument(readFileSync(join(dialplan, 'site.yaml'), 'utf8'));
  site.setIn(['site', 'routes', 'internal'], `sip:127.0.0.1:${pbxPort}`);
  site.setIn(['site', 'recording', 'directory'], join(root, 'recordings'));
  writeFileSync(join(dialplan, 'site.yaml'), site.toString());
  const noticeFile = join(dialplan, `audio/notices/${NOTICE}.wav`);
  const noticeMs = Number(execFileSync('soxi', ['-D', noticeFile], { encoding: 'utf8' }).trim()) * 1000;
  return { dialplan, root, noticeFile, noticeMs, pbxPort };
}

/** FreeSWITCH as shipped but sized so that neither sessions, their rate nor RTP ports are the limit. */
const UNCAPPED_FREESWITCH = { rtpPorts: 4_000, env: { FREESWITCH_MAX_SESSIONS: '2000', FREESWITCH_SESSIONS_PER_SECOND: '1000' } };

async function startCallguardArm(lab: MediaLabPaths, setup: Setup, pbxPort: number): Promise<Arm> {
  const [drachtio, fs] = await Promise.all([startDrachtio(lab), startFreeswitch(lab, UNCAPPED_FREESWITCH)]);
  let app: LabProcess;
  try {
    ({ process: app } = await startBuiltCallguard({ drachtio, dialplanDir: setup.dialplan, root: setup.root, env: fs.appEnv, waitForFreeswitch: true, nodeArgs: CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', CPU_PROF] : [] }));
  } catch (error) {
    await fs.stop();
    await drachtio.stop();
    throw error;
  }
  return {
    name: 'callguard',
    sipPort: drachtio.sipPort,
    pbxPort,
    fs,
    pids: { app: app.pid, fs: fs.process.pid, drachtio: drachtio.process.pid },
    async stop() {
      await quietly(() => app.stop(15_000));
      await quietly(() => fs.stop());
      await quietly(() => drachtio.stop());
    },
  };
}

async function startBaselineArm(lab: MediaLabPaths, setup: Setup): Promise<Arm> {
  const pbxPort = await freeSipPort();
  const fs = await startBaselineFreeswitch(lab, { dialled: RECORDED, notice: setup.noticeFile, pbxPort }, UNCAPPED_FREESWITCH);
  return { name: 'FreeSWITCH alone', sipPort: fs.sipPort, pbxPort, fs, pids: { fs: fs.process.pid }, stop: () => quietly(() => fs.stop()) };
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

async function runStep(lab: LabPaths, arm: Arm, noticeMs: number, rate: number, calls = Math.max(1, Math.round(rate * SECONDS))): Promise<Step> {
  const timeoutSeconds = Math.ceil(calls / rate + noticeMs / 1000 + HOLD_MS / 1000 + 90);
  const pbx = await startSipp(lab, { role: 'uas', scenarioFile: join(ROOT, 'test/e2e/scenarios/uas-answer.xml'), port: arm.pbxPort, service: 'pbx', calls, timeoutSeconds });
  const cpu0 = cpuOf(arm);
  const uac = await startSipp(lab, {
    role: 'uac',
    scenarioXml: callerScenario(),
    template: { hold: HOLD_MS },
    remote: `127.0.0.1:${arm.sipPort}`,
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
  const cpu1 = cpuOf(arm);
  const load = loadavg()[0]!;
  const channelsAfter = await arm.fs.waitForChannelCount(0, 60_000).catch(() => NaN);

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
    beyond.push(traceTime(m) - sent.get(n)! - noticeMs);
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

const cpuMsText = (v: number) => (Number.isFinite(v) ? v.toFixed(1) : '-');

function describeStep(arm: Arm, s: Step): string {
  const cpu = `${cpuMsText(s.cpuPerCall.app)}/${cpuMsText(s.cpuPerCall.fs)}/${cpuMsText(s.cpuPerCall.drachtio)}`;
  return `${arm.name.padEnd(16)} ${String(s.rate).padStart(5)}/s ${String(s.calls).padStart(6)} ${`${s.completed}`.padStart(6)} ${s.clean ? 'clean' : 'FAIL '} ${ms(pct(s.beyond, 50)).padStart(8)} ${ms(pct(s.beyond, 99)).padStart(8)} ${ms(s.beyond.at(-1) ?? NaN).padStart(8)} ${cpu.padStart(16)} ${s.load.toFixed(1).padStart(6)}${s.clean ? '' : `  ${s.why.join('; ')}`}`;
}

/** An arm's climb: the rates it ran clean, until one was not. */
interface Climb {
  arm: Arm;
  best: number | undefined;
  failed: boolean;
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
  const arms: Arm[] = [];
  try {
    const { pbxPort, ...setup } = await prepare();
    if (ARMS.includes('callguard')) arms.push(await startCallguardArm(lab, setup, pbxPort));
    if (ARMS.includes('alone')) arms.push(await startBaselineArm(lab, setup));
    console.log(`callguard media bench: ${machine()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`recorded calls ${CALLER} -> ${RECORDED} (notice ${NOTICE}, ${(setup.noticeMs / 1000).toFixed(3)} s), FreeSWITCH on this machine, ${SECONDS} s of calls a step, hold ${HOLD_MS} ms, best of ${TRIES}; the arms take turns at each rate, each first warmed up by ${WARM_UP.calls} calls at ${WARM_UP.rate}/s`);
    // Warm-up, not reported: like a serve that has been up a while. At 20 calls/s the app's CPU a call
    // fell from 15.4 ms in the first 200 calls to 11.6 ms from the 600th on, as V8 compiled its paths.
    for (const arm of arms) await runStep(lab, arm, setup.noticeMs, WARM_UP.rate, WARM_UP.calls);
    console.log(`\narm               rate  calls   done        INVITE->callee INVITE beyond the notice   CPU ms a call     load`);
    console.log(`                                              p50      p99      max    app/FS/drachtio`);
    const climbs: Climb[] = arms.map((arm) => ({ arm, best: undefined, failed: false }));
    for (const rate of RATES) {
      const climbing = climbs.filter((c) => !c.failed);
      if (climbing.length === 0) break;
      for (const climb of climbing) {
        let step: Step | undefined;
        for (let attempt = 1; attempt <= TRIES && !step?.clean; attempt++) {
          step = await runStep(lab, climb.arm, setup.noticeMs, rate);
          console.log(`${describeStep(climb.arm, step)}${attempt > 1 ? ` (try ${attempt})` : ''}`);
          await sleep(2_000);
        }
        if (step?.clean) climb.best = rate;
        else climb.failed = true;
      }
    }
    console.log('\nhighest rate with every call completed:');
    for (const { arm, best, failed } of climbs) console.log(`  ${arm.name.padEnd(16)} ${best === undefined ? 'none' : `${best} calls/s${failed ? '' : '+ (raise MEDIA_BENCH_RATES)'}`}`);
    const [app, alone] = climbs;
    if (app?.best !== undefined && alone?.best !== undefined) {
      console.log(`  callguard / FreeSWITCH alone: ${((100 * app.best) / alone.best).toFixed(0)} % (budget >= 90 %)`);
    }
  } finally {
    for (const arm of arms) await arm.stop();
    await stopAll();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.stack ?? error.message : String(error));
  process.exitCode = 1;
});
