import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.js';
import type { Plan } from '../../src/policy/plan.js';
import { StateUnavailable } from '../../src/state/backend.js';
import { openState } from '../../src/state/index.js';
import { hashPin } from '../../src/state/pinHash.js';
import { RedisServer } from '../support/redisServer.js';
import { samplePlan } from '../support/plans.js';
import { capturedLogger, redisState } from '../support/stateFixtures.js';

let plan: Plan;
let redis: RedisServer;
const open: { close(): Promise<void> }[] = [];

beforeAll(async () => {
  plan = await samplePlan();
  redis = await RedisServer.start();
});
afterEach(async () => Promise.all(open.splice(0).map((s) => s.close())));
afterAll(async () => redis.stop());

const T = Date.parse('2026-11-23T14:00:00Z');
const PIN = '731946';
const ALICE = '4101';
const PARIS = '90033142685300';
const soon = { timeout: 5000, interval: 5 };

async function opened(prefix?: string): Promise<Awaited<ReturnType<typeof redisState>>> {
  const s = await redisState(plan, redis.url, prefix);
  open.push(s);
  return s;
}

async function raw() {
  const client = createClient({ url: redis.url });
  await client.connect();
  open.push({ close: async () => void (await client.close()) });
  return client;
}

describe('Redis store across instances', () => {
  // Measures rather than asserts the 50 ms target (tests do not time); the figure is printed and benched.
  it('shows a change made by one instance in the replica of another', async () => {
    const a = await opened();
    const b = await opened(a.prefix);
    const pinHash = await hashPin(PIN);
    await a.backend.setPinHash(ALICE, pinHash);
    const timings: number[] = [];
    for (let i = 0; i < 40; i++) {
      const unlocking = i % 2 === 0;
      const start = performance.now();
      // The stores' own writes, without the 50 ms of scrypt that an unlock by PIN adds before writing.
      await (unlocking ? a.backend.pinAccepted(ALICE, T, pinHash) : a.backend.lock(ALICE));
      while (b.state.replica.phoneState(plan, ALICE, T).lock !== (unlocking ? 'unlocked' : 'locked')) {
        if (performance.now() - start > 5000) throw new Error('change did not arrive');
        await new Promise((r) => setImmediate(r));
      }
      timings.push(performance.now() - start);
    }
    timings.sort((x, y) => x - y);
    const [median, p95] = [timings[20]!, timings[38]!];
    console.log(`change propagation between two instances (write + publish + replica update): median ${median.toFixed(2)} ms, p95 ${p95.toFixed(2)} ms`);
    expect(timings).toHaveLength(40);
  });

  it('lets no sixth guess through when guesses arrive at two instances at once', async () => {
    const a = await opened();
    const b = await opened(a.prefix);
    await a.state.setPin(ALICE, PIN);
    // Two connections, so Redis interleaves the two instances' attempts as it likes.
    const guesses = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).state.unlock(ALICE, '000001', T));
    const outcomes = await Promise.all(guesses);
    expect(outcomes.filter((o) => o.outcome === 'wrong-pin')).toHaveLength(4);
    expect(outcomes.filter((o) => o.outcome === 'locked-out')).toHaveLength(16);
    expect([...a.alerts, ...b.alerts]).toHaveLength(1);
    const client = await raw();
    expect(await client.hGet(`${a.prefix}phone:${ALICE}`, 'failures')).toBe('5');
  });

  it('keeps the failure count across an app restart and a Redis restart', async () => {
    const first = await opened();
    await first.state.setPin(ALICE, PIN);
    for (let i = 0; i < 3; i++) await first.state.unlock(ALICE, '000001', T);
    await first.close();
    await redis.restart();
    const second = await opened(first.prefix);
    expect(second.state.status(ALICE, T)).toMatchObject({ failures: 3, hasPin: true });
    expect(await second.state.unlock(ALICE, '000001', T)).toEqual({ outcome: 'wrong-pin', attemptsLeft: 1 });
    expect(await second.state.unlock(ALICE, '000001', T)).toMatchObject({ outcome: 'locked-out' });
  });

  it('reports unexpected values once and ignores them, without crashing', async () => {
    const s = await opened();
    const client = await raw();
    await client.hSet(`${s.prefix}phone:${ALICE}`, { failures: 'many', unlockedSince: String(T) });
    await client.hSet(`${s.prefix}grants`, 'rt-bad', '{"id": 7');
    await client.publish(`${s.prefix}changes`, `phone:${ALICE}`);
    await client.publish(`${s.prefix}changes`, 'grant:rt-bad');
    await client.publish(`${s.prefix}changes`, 'nonsense');
    await expect.poll(() => s.logs().filter((l) => l.includes('ignoring')).length, soon).toBe(3);
    expect(s.state.replica.phoneState(plan, ALICE, T).lock).toBe('unknown');
    expect(decide(plan, s.state.replica.phoneState(plan, ALICE, T), { from: ALICE, to: PARIS }, T).action).toBe('pin-required');
    expect(s.state.grants()).toEqual([]);
    const again = await opened(s.prefix);
    expect(again.logs().filter((l) => l.includes('ignoring'))).toHaveLength(2);
    expect(again.state.replica.phoneState(plan, ALICE, T).lock).toBe('unknown');
    // An admin's PIN reset rewrites the record: the phone is known (and locked) again everywhere.
    await again.state.setPin(ALICE, PIN);
    await expect.poll(() => s.state.replica.phoneState(plan, ALICE, T).lock, soon).toBe('locked');
  });

  it('a phone key of the wrong type (a string a script wrote) makes that phone unknown; the other phones load and changes still work', async () => {
    const s = await opened();
    await s.state.setPin(ALICE, PIN);
    const client = await raw();
    await client.set(`${s.prefix}phone:2101`, 'oops');
    // Another instance starting now loads everything: WRONGTYPE on one key is one damaged record, not an outage.
    const again = await opened(s.prefix);
    expect(again.state.replica.phoneState(plan, '2101', T).lock).toBe('unknown');
    expect(again.logs().filter((l) => l.includes('ignoring') && l.includes('phone:2101'))).toHaveLength(1);
    expect(again.state.status(ALICE, T)).toMatchObject({ hasPin: true, lock: 'locked' });
    await again.state.lock(ALICE);
    expect(decide(plan, again.state.replica.phoneState(plan, ALICE, T), { from: ALICE, to: PARIS }, T).action).toBe('pin-required');
  });
});

describe('Redis outage', () => {
  it('keeps deciding from the replica, refuses changes with a clear message, logs once, and recovers', async () => {
    const a = await opened();
    const b = await opened(a.prefix);
    await a.state.setPin(ALICE, PIN);
    await a.state.unlock(ALICE, PIN, T);
    await expect.poll(() => b.state.replica.phoneState(plan, ALICE, T).lock, soon).toBe('unlocked');

    await redis.kill();
    await expect.poll(() => a.logs().filter((l) => l.includes('unreachable')).length, soon).toBe(1);
    for (let i = 0; i < 50; i++) {
      expect(decide(plan, a.state.replica.phoneState(plan, ALICE, T + i), { from: ALICE, to: PARIS }, T + i).action).toBe('allow');
      expect(decide(plan, a.state.replica.phoneState(plan, ALICE, T + i), { from: ALICE, to: '999' }, T + i).action).toBe('emergency');
    }
    const refused = await a.state.lock(ALICE).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StateUnavailable);
    expect((refused as Error).message).toMatch(/Redis cannot be reached.*refused until it is back/);
    await expect(a.state.unlock(ALICE, PIN, T)).rejects.toBeInstanceOf(StateUnavailable);
    await new Promise((r) => setTimeout(r, 500)); // several reconnection attempts
    expect(a.logs().filter((l) => l.includes('unreachable'))).toHaveLength(1);

    await redis.restart();
    await expect.poll(() => a.logs().filter((l) => l.includes('reachable again')).length, { timeout: 15_000, interval: 50 }).toBe(1);
    await expect.poll(() => b.logs().filter((l) => l.includes('reachable again')).length, { timeout: 15_000, interval: 50 }).toBe(1);
    await b.state.lock(ALICE);
    await expect.poll(() => a.state.replica.phoneState(plan, ALICE, T).lock, soon).toBe('locked');
  });

  it('a Redis that takes bytes but never answers (hung, or cut off without a reset): a change is refused with StateUnavailable, not left waiting', async () => {
    const s = await opened();
    await s.state.setPin(ALICE, PIN);
    redis.pause();
    try {
      await expect(s.state.lock(ALICE)).rejects.toBeInstanceOf(StateUnavailable);
    } finally {
      redis.resume();
    }
    // Answering again: changes go through.
    await expect.poll(async () => s.state.lock(ALICE).then(() => 'locked', () => 'refused'), { timeout: 20_000, interval: 500 }).toBe('locked');
  }, 40_000);

  it('starts without Redis, asks for the PIN meanwhile, and loads once Redis appears', async () => {
    await redis.kill();
    const { logger, lines } = capturedLogger();
    const state = await openState({ plan, redis: { url: redis.url }, logger, waitMs: 200 });
    open.push({ close: () => state.backend.close() });
    expect(state.replica.phoneState(plan, ALICE, T).lock).toBe('unknown');
    expect(decide(plan, state.replica.phoneState(plan, ALICE, T), { from: ALICE, to: PARIS }, T).action).toBe('pin-required');
    expect(decide(plan, state.replica.phoneState(plan, '2900', T), { from: '2900', to: '999' }, T).action).toBe('emergency');
    expect(lines().filter((l) => l.includes('unreachable'))).toHaveLength(1);
    await redis.restart();
    await expect.poll(() => state.replica.phoneState(plan, ALICE, T).lock, { timeout: 15_000, interval: 50 }).toBe('locked');
  });
});

describe('secrets', () => {
  it('never puts a PIN or its hash in a log line, an error or an alert', async () => {
    const s = await opened();
    await s.state.setPin(ALICE, PIN).catch(() => {});
    const weak = await s.state.setPin(ALICE, '999999').catch((e: Error) => e.message);
    for (let i = 0; i < 6; i++) await s.state.unlock(ALICE, '582946', T);
    await redis.kill();
    const outage = await s.state.unlock(ALICE, PIN, T).catch((e: Error) => `${e.message}\n${e.stack}`);
    await redis.restart();
    const client = await raw();
    const hash = (await client.hGet(`${s.prefix}phone:${ALICE}`, 'pin'))!;
    const everything = [...s.logs(), weak, outage, JSON.stringify(s.alerts)].join('\n');
    expect(hash).toMatch(/^scrypt\$/);
    for (const secret of [PIN, '999999', '582946', hash, hash.split('$').at(-1)!]) expect(everything).not.toContain(secret);
  });
});
