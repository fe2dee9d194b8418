import { pino } from 'pino';
import { loadPlan } from '../src/dialplan/load.js';
import { decide } from '../src/policy/decide.js';
import type { Plan } from '../src/policy/plan.js';
import { MemoryBackend } from '../src/state/memoryBackend.js';
import { hashPin } from '../src/state/pinHash.js';
import { RedisBackend } from '../src/state/redisBackend.js';
import type { Replica } from '../src/state/replica.js';
import { readCorpus } from '../test/support/corpus.js';
import { RedisServer } from '../test/support/redisServer.js';
import { machine, measure, percentile, row } from './stats.js';

/**
 * Decision latency with the caller's state read from the in-memory replica and from the
 * Redis-backed one (they should match: neither does I/O on the decision path), and how long a
 * change made by one instance takes to reach another through a real redis-server on loopback.
 */
const SAMPLES = 300_000;
const CHANGES = 500;
const CALLER = '4101';

const loaded = await loadPlan(process.env.CALLGUARD_DIALPLAN ?? 'dialplan');
if (!loaded.ok) throw new Error('the sample dialplan is invalid; run callguard validate');
const plan: Plan = loaded.plan;
const dialled = readCorpus().filter((r) => r.site === plan.site.country).map((r) => r.dialled);
const now = Date.now();

function decisions(replica: Replica) {
  return measure(SAMPLES, (i) => decide(plan, replica.phoneState(plan, CALLER, now), { from: CALLER, to: dialled[i % dialled.length]! }, now).action);
}

const server = await RedisServer.start();
const logger = pino({ level: 'warn' });
const memory = new MemoryBackend(plan.site);
const a = new RedisBackend({ redis: { url: server.url }, site: plan.site, logger });
const b = new RedisBackend({ redis: { url: server.url }, site: plan.site, logger });
try {
  await Promise.all([a.loaded(), b.loaded()]);
  // Unlocked callers with a grant: decide walks its longest path, through grants and the lock.
  const pinHash = await hashPin('731946');
  await Promise.all([memory.setPinHash(CALLER, pinHash), a.setPinHash(CALLER, pinHash)]);
  await Promise.all([memory.pinAccepted(CALLER, now, pinHash), a.pinAccepted(CALLER, now, pinHash)]);
  while (b.replica.phoneState(plan, CALLER, now).lock !== 'unlocked') await new Promise((r) => setImmediate(r));

  const inMemory = decisions(memory.replica);
  const redisReplica = decisions(b.replica);

  const propagation = new Float64Array(CHANGES);
  for (let i = 0; i < CHANGES; i++) {
    const want = i % 2 === 0 ? 'locked' : 'unlocked';
    const start = process.hrtime.bigint();
    await (want === 'locked' ? a.lock(CALLER) : a.pinAccepted(CALLER, now, pinHash));
    while (b.replica.phoneState(plan, CALLER, now).lock !== want) await new Promise((r) => setImmediate(r));
    propagation[i] = Number(process.hrtime.bigint() - start);
  }
  propagation.sort();

  console.log(`callguard state bench: ${machine()}, redis-server on loopback`);
  console.log(`${''.padEnd(34)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'calls/s'.padStart(14)}`);
  console.log(row('decide, in-memory replica', inMemory));
  console.log(row('decide, Redis-backed replica', redisReplica));
  const ms = (ns: number) => `${(ns / 1e6).toFixed(2)} ms`;
  console.log(`change propagation, instance A write -> instance B replica (${CHANGES} changes): p50 ${ms(percentile(propagation, 50))}, p99 ${ms(percentile(propagation, 99))}, max ${ms(propagation[CHANGES - 1]!)} (target 50 ms)`);
} finally {
  await Promise.all([a.close(), b.close(), memory.close()]);
  await server.stop();
}
