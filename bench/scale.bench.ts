/**
 * `npm run bench:scale` (issue 20): the scale-out lab under SIPp load, on one machine. The point is
 * correctness and failover time, not more calls/s: every part shares the same cores.
 *
 *   rate       barred calls (4101 -> 909012345678, 403 premium-barred) through Kamailio running the
 *              shipped deploy/kamailio/kamailio.cfg, in front of one pair and then two pairs
 *              (drachtio-server + `callguard serve` from dist/, sharing one redis-server). A step of R
 *              calls/s is clean when every call got its 403, none later than 200 ms after its INVITE
 *              (SIPp's -trace_shortmsg timestamps), nothing was retransmitted, and SIPp really offered R.
 *   failover   two pairs, barred calls at a steady rate, `kill -9` of pair A's callguard. Failover time:
 *              from the kill to the last INVITE that reached pair A (each one there is answered 503 by
 *              its app-less drachtio-server, or cancelled when Kamailio marks A down, and Kamailio logs
 *              the move to B as it happens); calls SIPp saw fail meanwhile are counted.
 *   redis      one pair on Redis through Sentinel (master + replica + 3 sentinels, down-after 1000 ms),
 *              `kill -9` of the master: from the kill until the replica is promoted, and until a state
 *              write through callguard (POST /api/phones/4101/lock on its admin API) succeeds again.
 *
 * Needs E2E_DRACHTIO_BIN, E2E_DRACHTIO_CONF, E2E_SIPP_BIN and kamailio (E2E_KAMAILIO_BIN or Debian's);
 * skips with one line otherwise. Knobs: SCALE_BENCH_RATES (default 100,200,400,800,1600), SCALE_BENCH_SECONDS
 * (a step, default 10), SCALE_BENCH_FAILOVER_RATE (default 100 calls/s), SCALE_BENCH_KAMAILIO_SHM_MB (Kamailio's
 * -m, default 256: with Debian's 64 its transactions run out of memory near 800 calls/s).
 */
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { addToken } from '../src/admin/tokens.js';
import { packageRoot } from '../src/packageRoot.js';
import { kamailioBin, kamailioPath, pairUri, startKamailio, type Kamailio } from '../test/support/kamailio.js';
import { labPaths, labTempDir, quietly, RedisServer, sleep, startDrachtio, startSipp, stopAll, waitFor, type Drachtio, type LabPaths } from '../test/support/lab.js';
import { SentinelGroup } from '../test/support/redisSentinel.js';
import { startBuiltCallguard, type BuiltCallguard } from './builtCallguard.js';
import { machine } from './stats.js';
import { runBench } from './runBench.js';

const CALLER = '4101';
const PREMIUM = '909012345678';
const BUDGET_MS = 200;
const RATES = (process.env.SCALE_BENCH_RATES ?? '100,200,400,800,1600').split(',').map(Number).filter((r) => r > 0);
const SECONDS = Number(process.env.SCALE_BENCH_SECONDS ?? 10);
const FAILOVER_RATE = Number(process.env.SCALE_BENCH_FAILOVER_RATE ?? 100);
/** Kamailio's shared memory: at 800 calls/s the 64 MB default runs out (tm: "out of mem", 500s). */
const KAMAILIO_SHM_MB = Number(process.env.SCALE_BENCH_KAMAILIO_SHM_MB ?? 256);
/** Load before the kill, and after it: long enough for Kamailio's probes (1 s, 2 failures) to mark the pair down. */
const FAILOVER_BEFORE_S = 5;
const FAILOVER_AFTER_S = 10;
const ADMIN = 'bench.admin';

interface Pair {
  name: string;
  drachtio: Drachtio;
  app: BuiltCallguard;
}

async function startPair(lab: LabPaths, name: string, dialplanDir: string, env: Record<string, string>): Promise<Pair> {
  const drachtio = await startDrachtio(lab);
  try {
    const app = await startBuiltCallguard({ drachtio, dialplanDir, root: labTempDir(`callguard-scalebench-${name}-`), env });
    return { name, drachtio, app };
  } catch (error) {
    await drachtio.stop();
    throw error;
  }
}

async function stopPair(pair: Pair): Promise<void> {
  await quietly(() => pair.app.process.stop(15_000));
  await quietly(() => pair.drachtio.stop());
}

// ---------------------------------------------------------------------------------------------
// Barred calls through Kamailio, and what SIPp's short-message trace shows of them

interface Run {
  calls: number;
  answered: number;
  /** Calls SIPp counted as failed (no 403, or something else came). */
  failed: number;
  late: number;
  retransmitted: number;
  /** Final responses other than the 403, by status. */
  otherFinals: Map<string, number>;
  offered: number;
  p50: number;
  p99: number;
  max: number;
  sippExit: number | null;
}

/**
 * `calls` barred calls at `rate` calls/s into Kamailio. `during` runs once SIPp has started (the
 * failover's kill); the run resolves when SIPp has exited.
 */
async function barredCalls(lab: LabPaths, kamailio: Kamailio, rate: number, calls: number, during?: () => Promise<void>): Promise<Run> {
  const short = join(labTempDir('callguard-scalebench-sipp-'), 'short.log');
  const sipp = await startSipp(lab, {
    role: 'uac',
    scenarioFile: join(packageRoot(), 'test/e2e/scenarios/uac-reject.xml'),
    template: { status: 403 },
    remote: `127.0.0.1:${kamailio.sipPort}`,
    service: PREMIUM,
    keys: { from: CALLER },
    calls,
    rate,
    timeoutSeconds: calls / rate + 60,
    extraArgs: ['-message_file', '/dev/null', '-trace_shortmsg', '-shortmessage_file', short, '-recv_timeout', '10000'],
  });
  await during?.();
  let sippExit: number | null;
  try {
    sippExit = await sipp.waitExit((calls / rate + 70) * 1000);
  } catch {
    await sipp.stop();
    sippExit = null;
  }
  const failed = Number(sipp.stats()?.['FailedCall(C)'] ?? NaN);

  // date \t time \t epoch.micro \t S|R \t call-id \t CSeq \t start line
  const invites = new Map<string, number>();
  const finals = new Map<string, number>();
  const otherFinals = new Map<string, number>();
  let retransmitted = 0;
  for (const line of (existsSync(short) ? readFileSync(short, 'utf8') : '').split('\n')) {
    const f = line.split('\t');
    if (f.length < 7) continue;
    const at = Number(f[2]) * 1000;
    const [callId, start] = [f[4]!, f[6]!];
    if (f[3] === 'S' && start.startsWith('INVITE ')) {
      if (invites.has(callId)) retransmitted++;
      else invites.set(callId, at);
    } else if (f[3] === 'R' && start.startsWith('SIP/2.0 403')) {
      if (finals.has(callId)) retransmitted++;
      else finals.set(callId, at);
    } else if (f[3] === 'R' && /^SIP\/2\.0 [2-6]/.test(start)) {
      otherFinals.set(start.slice(8, 11), (otherFinals.get(start.slice(8, 11)) ?? 0) + 1);
    }
  }
  const latencies = [...finals].map(([callId, at]) => at - (invites.get(callId) ?? at)).sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? NaN;
  const sent = [...invites.values()];
  const offered = sent.length > 1 ? ((sent.length - 1) * 1000) / (Math.max(...sent) - Math.min(...sent)) : 0;
  return {
    calls,
    answered: finals.size,
    failed,
    late: latencies.filter((l) => l > BUDGET_MS).length,
    retransmitted,
    otherFinals,
    offered,
    p50: pct(50),
    p99: pct(99),
    max: latencies[latencies.length - 1] ?? NaN,
    sippExit,
  };
}

function whyNotClean(run: Run, rate: number): string[] {
  const why: string[] = [];
  if (run.sippExit !== 0) why.push(`sipp exit ${run.sippExit}`);
  if (run.answered !== run.calls || run.failed > 0) why.push(`${run.answered} 403s for ${run.calls} calls, ${run.failed} failed`);
  if (run.late > 0) why.push(`${run.late} 403s later than ${BUDGET_MS} ms`);
  if (run.retransmitted > 0) why.push(`${run.retransmitted} retransmissions`);
  if (run.otherFinals.size > 0) why.push(`other final responses: ${[...run.otherFinals].map(([status, n]) => `${n} x ${status}`).join(', ')}`);
  if (run.offered < rate * 0.95) why.push(`SIPp offered only ${run.offered.toFixed(0)} calls/s`);
  return why;
}

const msText = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');

/** Kamailio's script lines (failover, probes) and its own errors, call-ids and numbers left out, most frequent first. */
function kamailioEvents(lines: string[]): Array<[string, number]> {
  const counts = new Map<string, number>();
  for (const line of lines) {
    const at = line.search(/<script>: |ERROR: /);
    if (at < 0) continue;
    const what = line.slice(at).replace(/call \S+:? ?/, '').replace(/\d+/g, 'N');
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 4);
}

/** The step ladder through a Kamailio in front of `pairs`: the highest clean rate, undefined if none. */
async function ladder(lab: LabPaths, bin: string, pairs: Pair[]): Promise<{ maxClean?: number; capped: boolean }> {
  const kamailio = await startKamailio(bin, { pairs: pairs.map((p) => p.drachtio.sipPort), sharedMemoryMb: KAMAILIO_SHM_MB, workers: 2 });
  try {
    await barredCalls(lab, kamailio, 50, 100); // warm-up (JIT), not counted
    let maxClean: number | undefined;
    for (const rate of RATES) {
      const logFrom = kamailio.process.stderrLines.length;
      const run = await barredCalls(lab, kamailio, rate, Math.round(rate * SECONDS));
      const why = whyNotClean(run, rate);
      console.log(`  ${pairs.length} pair${pairs.length > 1 ? 's' : ' '} ${String(rate).padStart(5)}/s offered ${run.offered.toFixed(0).padStart(5)}/s  p50 ${msText(run.p50).padStart(9)} p99 ${msText(run.p99).padStart(9)} max ${msText(run.max).padStart(9)}  ${why.length ? `NOT clean: ${why.join('; ')}` : 'clean'}`);
      if (why.length) {
        for (const [what, n] of kamailioEvents(kamailio.process.stderrLines.slice(logFrom))) console.log(`      Kamailio: ${n} x ${what}`);
        // Let the pairs work off what they were left with before the next arm starts.
        await sleep(10_000);
        return { maxClean, capped: false };
      }
      maxClean = rate;
      await sleep(1_000);
    }
    return { maxClean, capped: true };
  } finally {
    await kamailio.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// kill -9 of one callguard under load

interface Failover {
  /** Kill -> the last INVITE that reached the dead pair (Kamailio moving it on), ms. */
  lastOnDeadPairMs: number;
  /** Kill -> Kamailio marking the pair down (its probes failed), ms. */
  markedDownMs: number;
  movedCalls: number;
  run: Run;
}

async function killOneCallguard(lab: LabPaths, bin: string, pairs: [Pair, Pair]): Promise<Failover> {
  const [a] = pairs;
  const kamailio = await startKamailio(bin, { pairs: pairs.map((p) => p.drachtio.sipPort), sharedMemoryMb: KAMAILIO_SHM_MB, workers: 2 });
  const deadUri = pairUri(a.drachtio.sipPort);
  // Kamailio's stderr lines are stamped as they arrive (it writes them unbuffered), every 2 ms.
  const stamped: Array<{ at: number; line: string }> = [];
  let seen = kamailio.process.stderrLines.length;
  const stamper = setInterval(() => {
    const lines = kamailio.process.stderrLines;
    for (; seen < lines.length; seen++) stamped.push({ at: performance.now(), line: lines[seen]! });
  }, 2);
  try {
    let killedAt = NaN;
    const run = await barredCalls(lab, kamailio, FAILOVER_RATE, FAILOVER_RATE * (FAILOVER_BEFORE_S + FAILOVER_AFTER_S), async () => {
      await sleep(FAILOVER_BEFORE_S * 1000);
      killedAt = performance.now();
      a.app.process.signal('SIGKILL');
    });
    await sleep(50);
    const after = stamped.filter((s) => s.at >= killedAt && s.line.includes(deadUri));
    // "pair <A> answered 503 / did not answer in time: trying pair <B>", "call X was waiting on <A>: cancelled there"
    const reachedDead = after.filter((s) => s.line.includes(`pair ${deadUri} `) || s.line.includes(`waiting on ${deadUri}`));
    const down = after.find((s) => s.line.includes(`callguard pair down: ${deadUri}`));
    return {
      lastOnDeadPairMs: reachedDead.length ? reachedDead[reachedDead.length - 1]!.at - killedAt : 0,
      markedDownMs: down ? down.at - killedAt : NaN,
      movedCalls: reachedDead.length,
      run,
    };
  } finally {
    clearInterval(stamper);
    await kamailio.stop();
  }
}

// ---------------------------------------------------------------------------------------------
// kill -9 of the Redis master under Sentinel

interface RedisGap {
  promotedMs: number;
  writeBackMs: number;
  refusedWrites: number;
}

async function killRedisMaster(lab: LabPaths, dialplanDir: string, tokens: string, adminToken: string): Promise<RedisGap> {
  const group = await SentinelGroup.start();
  let pair: Pair | undefined;
  try {
    pair = await startPair(lab, 'S', dialplanDir, { ...group.env, CALLGUARD_TOKENS: tokens });
    const port = pair.app.httpPort;
    const lock = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/api/phones/${CALLER}/lock`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(2_000) });
        await res.arrayBuffer();
        return res.status === 200;
      } catch {
        return false;
      }
    };
    await waitFor('a state write through callguard before the kill', lock, 30_000, 200);
    const killedAt = performance.now();
    await group.killMaster();
    let promotedMs = NaN;
    const promoted = group.waitForPromotion().then(() => {
      promotedMs = performance.now() - killedAt;
    });
    let refusedWrites = 0;
    let writeBackMs = NaN;
    const deadline = killedAt + 60_000;
    while (performance.now() < deadline) {
      if (await lock()) {
        writeBackMs = performance.now() - killedAt;
        break;
      }
      refusedWrites++;
      await sleep(50);
    }
    await promoted;
    return { promotedMs, writeBackMs, refusedWrites };
  } finally {
    if (pair) await stopPair(pair);
    await group.stop();
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const paths = labPaths();
  if (!paths.ok) {
    console.log(paths.skip.replace(/^e2e skipped/, 'bench:scale skipped'));
    return;
  }
  const bin = kamailioBin();
  if (!bin) {
    console.log(`bench:scale skipped: no kamailio at ${kamailioPath()} (apt-get install kamailio, or set E2E_KAMAILIO_BIN)`);
    return;
  }
  const lab = paths.paths;
  const started = Date.now();
  const command = 'npm run bench:scale';
  console.log(`callguard scale-out bench: ${machine()}, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`barred calls ${CALLER} -> ${PREMIUM} (403) through Kamailio (deploy/kamailio/kamailio.cfg, probes every 1 s, -m ${KAMAILIO_SHM_MB} MB), ${SECONDS} s a step, rates ${RATES.join(', ')} calls/s`);

  // The sample dialplan as shipped (barred calls are decided before any route is looked at).
  const dialplan = join(labTempDir('callguard-scalebench-'), 'dialplan');
  cpSync(join(packageRoot(), 'dialplan'), dialplan, { recursive: true });
  const tokens = join(labTempDir('callguard-scalebench-tokens-'), 'tokens.json');
  const adminToken = await addToken(tokens, ADMIN, 'admin', { N: 2 ** 10, r: 8, p: 1 });
  let redis: RedisServer | undefined;
  const pairs: Pair[] = [];
  try {
    redis = await RedisServer.start();
    const env = { REDIS_URL: redis.url, CALLGUARD_TOKENS: tokens };
    pairs.push(await startPair(lab, 'A', dialplan, env), await startPair(lab, 'B', dialplan, env));
    const [a, b] = pairs as [Pair, Pair];

    console.log('\nstepping the rate:');
    const one = await ladder(lab, bin, [a]);
    const two = await ladder(lab, bin, [a, b]);

    console.log(`\nkill -9 of pair A's callguard after ${FAILOVER_BEFORE_S} s of ${FAILOVER_RATE} calls/s through Kamailio over both pairs:`);
    const failover = await killOneCallguard(lab, bin, [a, b]);
    console.log(`  ${failover.run.calls} calls, ${failover.run.answered} got their 403, ${failover.run.failed} failed, ${failover.movedCalls} moved from A to B by Kamailio, ${failover.run.late} answered later than ${BUDGET_MS} ms; p99 ${msText(failover.run.p99)}, max ${msText(failover.run.max)}`);
    await stopPair(a);
    await stopPair(b);
    pairs.length = 0;

    console.log('\nkill -9 of the Redis master (Sentinel: master + replica + 3 sentinels, down-after 1000 ms), one pair:');
    const gap = await killRedisMaster(lab, dialplan, tokens, adminToken);
    console.log(`  replica promoted after ${msText(gap.promotedMs)}; a state write through callguard (POST /api/phones/${CALLER}/lock) succeeded again after ${msText(gap.writeBackMs)} (${gap.refusedWrites} refused meanwhile, polled every 50 ms)`);

    const rateText = (r: { maxClean?: number; capped: boolean }) => (r.maxClean === undefined ? 'none clean' : `${r.maxClean}${r.capped ? '+' : ''} calls/s`);
    const rows: Array<[string, string]> = [
      ['highest clean rate, 1 pair', rateText(one)],
      ['highest clean rate, 2 pairs', rateText(two)],
      ['callguard kill -9: last INVITE on the dead pair', msText(failover.lastOnDeadPairMs)],
      ['callguard kill -9: Kamailio marks the pair down', msText(failover.markedDownMs)],
      ['callguard kill -9: calls failed (SIPp)', `${failover.run.failed} of ${failover.run.calls} (${failover.movedCalls} moved to B)`],
      ['Redis master kill -9: replica promoted', msText(gap.promotedMs)],
      ['Redis master kill -9: state writes back', msText(gap.writeBackMs)],
    ];
    console.log(`\n${'figure'.padEnd(50)}value`);
    for (const [label, value] of rows) console.log(`${label.padEnd(50)}${value}`);
    console.log(`clean = every call its 403 within ${BUDGET_MS} ms, no retransmission; a "+" = clean at the highest rate tried`);
    console.log(`command: ${command}; machine: ${machine()}; took ${((Date.now() - started) / 1000).toFixed(0)} s; load average now ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    for (const pair of pairs) await stopPair(pair);
    await quietly(() => redis?.kill());
    await quietly(() => stopAll());
  }
}

runBench('bench:scale', main);
