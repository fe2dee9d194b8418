/**
 * `npm run bench:soak`: does `callguard serve` keep its memory flat under hours of calls? (issue 19)
 *
 * The production parts on loopback: a real drachtio-server, the lab's FreeSWITCH (freeswitch-conf/, as
 * shipped), a private redis-server (REDIS_URL: runtime state and the callguard:alerts stream), and
 * `callguard serve` from dist/ in its own process on a copy of the sample dialplan, pino at info into a
 * file, call records on disk. SIPp places mixed traffic for SOAK_MINUTES (default 30) at SOAK_RATE
 * calls/s (default 200):
 *   70 %  barred   4101 -> 909012345678 (premium): 403 premium-barred
 *   20 %  allowed  4102 -> 901707123456 (geographic): B2BUA to the public trunk (a SIPp UAS that
 *                  answers), the caller hangs up after 2 s
 *   10 %  999      4201 -> 999: B2BUA with the PIDF-LO to the emergency trunk (a SIPp UAS that
 *                  answers), the caller hangs up after 2 s; Security Control (a SIPp UAS) gets the
 *                  alert MESSAGE and Redis the stream entry
 * The copy has `announceRejects: false`: spoken rejects would send 70 % of the calls through FreeSWITCH,
 * whose session rate on a 2-vCPU box is a few tens a second (bench:media), so the barred calls would
 * measure FreeSWITCH rather than the server's memory. FreeSWITCH still runs and serve stays connected.
 *
 * Memory: serve runs with --expose-gc and bench/soakProbe.js preloaded; every SOAK_SAMPLE_SECONDS
 * (default 60) the bench sends it SIGUSR2 and it answers with process.memoryUsage() after full
 * collections. The first sample is the baseline (warm: JIT, pools and caches have grown), the one at
 * SOAK_MINUTES is the end; both are taken under traffic (the callers place calls 10 s beyond it), so
 * the calls in flight are alike. The verdict: end RSS within 10 % of the baseline. One more sample once
 * every call has ended shows what the calls in flight held.
 *
 * Needs E2E_DRACHTIO_BIN, E2E_DRACHTIO_CONF, E2E_SIPP_BIN and E2E_FREESWITCH_RUN (../shared/lab; .ci/run
 * sets them); skips with one line otherwise. Knobs: SOAK_MINUTES (a shorter dry run: SOAK_MINUTES=3),
 * SOAK_RATE, SOAK_SAMPLE_SECONDS; E2E_KEEP=1 keeps serve's log, the call records and SIPp's error logs
 * in /tmp for a post-mortem. Exit code 1 when RSS grew by more than 10 %.
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { packageRoot } from '../src/packageRoot.js';
import { startFreeswitch, type Freeswitch } from '../test/support/freeswitch.js';
import {
  editSite,
  freeSipPort,
  labPaths,
  labTempDir,
  quietly,
  RedisServer,
  sleep,
  startDrachtio,
  startSipp,
  stopAll,
  waitFor,
  type Drachtio,
  type LabPaths,
  type Sipp,
} from '../test/support/lab.js';
import { startBuiltCallguard, type BuiltCallguard } from './builtCallguard.js';
import { machine } from './stats.js';
import { runBench } from './runBench.js';

const ROOT = packageRoot();
const MINUTES = Number(process.env.SOAK_MINUTES ?? 30);
const RATE = Number(process.env.SOAK_RATE ?? 200);
const SAMPLE_SECONDS = Number(process.env.SOAK_SAMPLE_SECONDS ?? 60);
const HOLD_MS = 2_000;
/** The callers go on this long after the end sample, so it is taken under full traffic. */
const OVERRUN_SECONDS = 10;
const TOLERANCE = 0.1;
const MB = 1024 * 1024;

type PeerName = 'trunk' | 'emergency' | 'security';

interface Traffic {
  name: string;
  share: number;
  from: string;
  dialled: string;
  /** uac-reject.xml expects the status; uac-call.xml expects 200, holds, sends BYE. */
  scenarioFile: string;
  template: Record<string, number>;
  /** The peer that answers these calls. */
  peer?: PeerName;
}

const TRAFFIC: Traffic[] = [
  { name: 'barred', share: 0.7, from: '4101', dialled: '909012345678', scenarioFile: 'uac-reject.xml', template: { status: 403 } },
  { name: 'allowed', share: 0.2, from: '4102', dialled: '901707123456', scenarioFile: 'uac-call.xml', template: { hold: HOLD_MS }, peer: 'trunk' },
  { name: '999', share: 0.1, from: '4201', dialled: '999', scenarioFile: 'uac-call.xml', template: { hold: HOLD_MS }, peer: 'emergency' },
];

/** Calls a second for each traffic class; the rounding goes to the barred share. */
function ratesOf(total: number): number[] {
  const rest = TRAFFIC.slice(1).map((t) => Math.round(total * t.share));
  return [total - rest.reduce((a, b) => a + b, 0), ...rest];
}

interface Stack {
  drachtio: Drachtio;
  freeswitch: Freeswitch;
  redis: RedisServer;
  app: BuiltCallguard;
  ports: Record<PeerName, number>;
}

async function startStack(lab: LabPaths & { freeswitchRun: string }): Promise<Partial<Stack>> {
  const stack: Partial<Stack> = {};
  const root = labTempDir('callguard-soak-');
  const dialplan = join(root, 'dialplan');
  cpSync(join(ROOT, 'dialplan'), dialplan, { recursive: true });
  const ports = { trunk: await freeSipPort(), emergency: await freeSipPort(), security: await freeSipPort() };
  stack.ports = ports;
  editSite(dialplan, {
    announceRejects: false,
    routes: { external: `sip:127.0.0.1:${ports.trunk}` },
    emergencyTrunk: `sip:127.0.0.1:${ports.emergency}`,
    securityControl: { target: `sip:security@127.0.0.1:${ports.security}`, failover: [] },
    recording: { directory: join(root, 'recordings') },
  });
  [stack.drachtio, stack.freeswitch, stack.redis] = await Promise.all([startDrachtio(lab), startFreeswitch(lab), RedisServer.start()]);
  stack.app = await startBuiltCallguard({
    drachtio: stack.drachtio,
    dialplanDir: dialplan,
    root,
    nodeArgs: ['--expose-gc', '--import', pathToFileURL(join(ROOT, 'dist/bench/soakProbe.js')).href],
    env: { REDIS_URL: stack.redis.url, ...stack.freeswitch.appEnv },
    waitForFreeswitch: true,
  });
  return stack;
}

// ---------------------------------------------------------------------------------------------
// Measuring

interface Sample {
  /** Seconds since the traffic started. */
  at: number;
  memory: NodeJS.MemoryUsage;
  callsInProgress: number;
  placed: number;
  failed: number;
  load: number;
}

/** Asks serve's probe for its memory after full collections (SIGUSR2 -> one stderr line). */
async function probeMemory(app: BuiltCallguard): Promise<NodeJS.MemoryUsage> {
  const proc = app.process;
  const from = { stdout: proc.stdoutLines.length, stderr: proc.stderrLines.length };
  proc.signal('SIGUSR2');
  const line = await proc.waitForLine('soak-probe line', (l) => l.startsWith('soak-probe '), 30_000, from);
  return JSON.parse(line.slice('soak-probe '.length)) as NodeJS.MemoryUsage;
}

/** A counter from SIPp's last statistics line (cumulative "(C)" columns). */
function counter(sipp: Sipp, name: string): number {
  return Number(sipp.stats()?.[name] ?? 0);
}

/** Every non-zero cumulative Failed* counter of a SIPp instance, e.g. "FailedCallRejected 3". */
function failureKinds(sipp: Sipp): string[] {
  return Object.entries(sipp.stats() ?? {})
    .filter(([k, v]) => k.startsWith('Failed') && k.endsWith('(C)') && k !== 'FailedCall(C)' && Number(v) > 0)
    .map(([k, v]) => `${k.replace('(C)', '')} ${v}`);
}

async function sample(stack: Stack, callers: Sipp[], at: number): Promise<Sample> {
  const memory = await probeMemory(stack.app);
  const health = await stack.app.health();
  return {
    at,
    memory,
    callsInProgress: Number(health.callsInProgress),
    placed: callers.reduce((n, s) => n + counter(s, 'OutgoingCall(C)'), 0),
    failed: callers.reduce((n, s) => n + counter(s, 'FailedCall(C)'), 0),
    load: loadavg()[0]!,
  };
}

/** Peak RSS of a process (VmHWM), in bytes. */
function peakRss(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? NaN : Number(kb) * 1024;
  } catch {
    return NaN;
  }
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const clock = (seconds: number) => `${Math.floor(seconds / 60)}:${String(Math.round(seconds % 60)).padStart(2, '0')}`;

function describeSample(label: string, s: Sample): string {
  const m = s.memory;
  return `${label.padStart(7)} ${mb(m.rss).padStart(9)} ${mb(m.heapUsed).padStart(9)} ${mb(m.heapTotal).padStart(9)} ${mb(m.external).padStart(9)} ${mb(m.arrayBuffers).padStart(9)} ${String(s.callsInProgress).padStart(8)} ${s.placed.toLocaleString('en-GB').padStart(10)} ${String(s.failed).padStart(7)} ${s.load.toFixed(2).padStart(6)}`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const paths = labPaths();
  if (!paths.ok) {
    console.log(paths.skip.replace(/^e2e skipped/, 'bench:soak skipped'));
    return;
  }
  const fsRun = paths.paths.freeswitchRun;
  if (!fsRun || !existsSync(fsRun)) {
    console.log(`bench:soak skipped: E2E_FREESWITCH_RUN ${fsRun ? `=${fsRun} not found` : 'unset'} (see ../shared/lab/README.md; .ci/run sets it)`);
    return;
  }
  const seconds = MINUTES * 60;
  if (!(RATE > 0) || !(SAMPLE_SECONDS > 0) || seconds < 2 * SAMPLE_SECONDS) {
    throw new Error(`SOAK_MINUTES (${MINUTES}) must give at least two samples of SOAK_SAMPLE_SECONDS (${SAMPLE_SECONDS}), SOAK_RATE (${RATE}) must be positive`);
  }
  const lab = { ...paths.paths, freeswitchRun: fsRun };
  const rates = ratesOf(RATE);
  const callSeconds = seconds + OVERRUN_SECONDS;
  const started = Date.now();
  let partial: Partial<Stack> | undefined;
  try {
    partial = await startStack(lab);
    const stack = partial as Stack;
    console.log(`callguard soak bench: ${machine()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    console.log(`${RATE} calls/s for ${MINUTES} min through drachtio-server, callguard serve (dist/, Redis, FreeSWITCH connected), SIPp callers and peers:`);
    for (const [i, t] of TRAFFIC.entries()) console.log(`  ${String(rates[i]).padStart(4)}/s ${t.name.padEnd(8)} ${t.from} -> ${t.dialled}${t.peer ? ` (answered by the ${t.peer} peer, caller hangs up after ${HOLD_MS / 1000} s)` : ` (${t.template.status})`}`);

    // Peers answer exactly the calls (or alert MESSAGEs) their callers will place, then exit.
    const expected = (t: Traffic) => rates[TRAFFIC.indexOf(t)]! * callSeconds;
    const peerCalls: Record<PeerName, number> = { trunk: 0, emergency: 0, security: expected(TRAFFIC[2]!) };
    for (const t of TRAFFIC) if (t.peer) peerCalls[t.peer] += expected(t);
    const timeoutSeconds = callSeconds + 300;
    // No message trace (SIPp would write every message of the run); a call whose next message never comes fails.
    const noTrace = ['-message_file', '/dev/null'];
    const peers = Object.fromEntries(
      await Promise.all(
        (Object.keys(peerCalls) as PeerName[]).map(async (name) => [
          name,
          await startSipp(lab, { role: 'uas', scenarioFile: join(ROOT, 'test/e2e/scenarios/uas-answer.xml'), port: stack.ports[name], service: name, calls: peerCalls[name], timeoutSeconds, extraArgs: [...noTrace, '-recv_timeout', '60000'] }),
        ]),
      ),
    ) as Record<PeerName, Sipp>;

    const t0 = Date.now();
    const callers = await Promise.all(
      TRAFFIC.map((t, i) =>
        startSipp(lab, {
          role: 'uac',
          scenarioFile: join(ROOT, 'test/e2e/scenarios', t.scenarioFile),
          template: t.template,
          remote: `127.0.0.1:${stack.drachtio.sipPort}`,
          service: t.dialled,
          keys: { from: t.from },
          calls: expected(t),
          rate: rates[i]!,
          timeoutSeconds,
          extraArgs: [...noTrace, '-recv_timeout', '30000', '-l', String(rates[i]! * 20 + 100)],
        }),
      ),
    );

    console.log(`\n  time        rss  heapUsed heapTotal  external arrayBufs  in call     placed  failed   load   (after full GC)`);
    const samples: Sample[] = [];
    for (let k = 1; k * SAMPLE_SECONDS <= seconds; k++) {
      await sleep(t0 + k * SAMPLE_SECONDS * 1000 - Date.now());
      const s = await sample(stack, callers, (Date.now() - t0) / 1000);
      samples.push(s);
      console.log(describeSample(clock(s.at), s));
    }

    const callerCodes = await Promise.all(callers.map((c) => c.waitExit(300_000).catch(async () => (await c.stop(), null))));
    const trafficSeconds = (Date.now() - t0) / 1000;
    // Calls still up after this are reported, not waited for.
    await waitFor('calls in progress 0', async () => Number((await stack.app.health()).callsInProgress) === 0, 120_000, 500).catch(() => undefined);
    const after = await sample(stack, callers, (Date.now() - t0) / 1000);
    console.log(describeSample('after', after));
    const peerCodes = await Promise.all(Object.values(peers).map((p) => p.waitExit(30_000).catch(async () => (await p.stop(), null))));

    // Report
    const first = samples[0]!;
    const end = samples[samples.length - 1]!;
    const ratio = end.memory.rss / first.memory.rss;
    const within = ratio <= 1 + TOLERANCE;
    const placed = callers.reduce((n, s) => n + counter(s, 'OutgoingCall(C)'), 0);
    const failed = callers.reduce((n, s) => n + counter(s, 'FailedCall(C)'), 0);
    console.log(`\nRSS after full GC: ${mb(first.memory.rss)} at ${clock(first.at)}, ${mb(end.memory.rss)} at ${clock(end.at)}: ratio ${ratio.toFixed(3)}, ${within ? 'within' : 'NOT within'} 10 % of the first minute's`);
    console.log(`heap used ${mb(first.memory.heapUsed)} -> ${mb(end.memory.heapUsed)}; after the traffic RSS ${mb(after.memory.rss)}, heap used ${mb(after.memory.heapUsed)}; peak RSS ${mb(peakRss(stack.app.process.pid))}`);
    // Calls in flight hold memory: a box that fell behind at the end has more of them than at the first minute.
    if (end.callsInProgress > first.callsInProgress * 1.5) console.log(`note: ${end.callsInProgress} calls in progress at the end against ${first.callsInProgress} at the first sample: the machine fell behind (load ${end.load.toFixed(1)}), and the calls waiting hold memory`);
    if (after.callsInProgress > 0) console.log(`WARNING: ${after.callsInProgress} calls still in progress in serve 2 min after the callers finished: calls whose two ends left without a BYE are never ended`);
    console.log(`calls placed ${placed.toLocaleString('en-GB')} in ${trafficSeconds.toFixed(0)} s (${(placed / callSeconds).toFixed(1)} calls/s over the ${callSeconds} s asked), failed ${failed}:`);
    for (const [i, t] of TRAFFIC.entries()) {
      const c = callers[i]!;
      const kinds = failureKinds(c);
      console.log(`  ${t.name.padEnd(8)} placed ${counter(c, 'OutgoingCall(C)').toLocaleString('en-GB').padStart(9)} of ${expected(t).toLocaleString('en-GB')}, succeeded ${counter(c, 'SuccessfulCall(C)').toLocaleString('en-GB').padStart(9)}, failed ${counter(c, 'FailedCall(C)')}${kinds.length ? ` (${kinds.join(', ')})` : ''}, retransmissions ${counter(c, 'Retransmissions(C)')}, SIPp exit ${callerCodes[i]}`);
    }
    for (const [i, name] of (Object.keys(peers) as PeerName[]).entries()) {
      const p = peers[name];
      console.log(`  peer ${name.padEnd(9)} completed ${counter(p, 'SuccessfulCall(C)').toLocaleString('en-GB')} of ${peerCalls[name].toLocaleString('en-GB')} ${name === 'security' ? 'alert MESSAGEs' : 'calls'}, failed ${counter(p, 'FailedCall(C)')}, SIPp exit ${peerCodes[i]}`);
    }
    console.log(`(took ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')})`);
    if (!within) process.exitCode = 1;
  } finally {
    await quietly(() => partial?.app?.process.stop(15_000));
    await quietly(() => partial?.freeswitch?.stop());
    await quietly(() => partial?.drachtio?.stop());
    await quietly(() => partial?.redis?.stop());
    await quietly(() => stopAll());
  }
}

runBench('bench:soak', main);
