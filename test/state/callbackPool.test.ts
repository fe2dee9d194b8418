/**
 * PSAP callback numbers: which number an emergency call from a phone without a DDI presents (the pool),
 * how long it leads back to that phone (the replica), and how every instance learns of it (Redis).
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Plan, Site } from '../../src/policy/plan.js';
import type { CallbackHold } from '../../src/policy/psapCallback.js';
import { chooseCallbackNumber } from '../../src/state/callbackPool.js';
import { Replica } from '../../src/state/replica.js';
import { samplePlan } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import { memoryState, redisState } from '../support/stateFixtures.js';

const POOL = ['+441707284990', '+441707284991', '+441707284992'];
const MINUTE = 60_000;
const T = Date.parse('2026-11-23T14:00:00Z');

function hold(number: string, ext: string, takenAt: number, minutes = 60): CallbackHold {
  return { number, ext, takenAt, until: takenAt + minutes * MINUTE, callId: `call-${ext}-${takenAt}`, dialled: '999' };
}

/** The pool as the edge uses it: each choice held at once, as RuntimeState.takeCallback does. */
function pool(numbers = POOL, minutes = 60) {
  const holds = new Map<string, CallbackHold>();
  return {
    holds,
    take(ext: string, now: number) {
      const choice = chooseCallbackNumber(numbers, (n) => holds.get(n), ext, now);
      holds.set(choice.number, hold(choice.number, ext, now, minutes));
      return choice;
    },
  };
}

describe('callback pool', () => {
  it('gives concurrent emergency calls from different phones different numbers while the pool lasts', () => {
    const p = pool();
    const numbers = ['4150', '4202', '2900'].map((ext, i) => p.take(ext, T + i).number);
    expect(numbers).toEqual(POOL);
  });

  it('gives a phone that already holds a number the same one again, with a new window', () => {
    const p = pool();
    p.take('4150', T);
    p.take('4202', T + 1);
    expect(p.take('4150', T + 5 * MINUTE)).toEqual({ number: POOL[0] });
    expect(p.holds.get(POOL[0]!)!.until).toBe(T + 65 * MINUTE);
  });

  it('takes the free number used least recently once windows have ended', () => {
    const p = pool(POOL, 10);
    p.take('4150', T); // 990
    p.take('4202', T + MINUTE); // 991
    p.take('2900', T + 2 * MINUTE); // 992
    // All three windows over: 990 was taken longest ago.
    expect(p.take('2901', T + 20 * MINUTE).number).toBe(POOL[0]);
    // 990 is held again; of the free ones, 991 was taken before 992.
    expect(p.take('2910', T + 20 * MINUTE + 1).number).toBe(POOL[1]);
  });

  it('prefers a number never used to one whose window has ended', () => {
    const p = pool(POOL, 10);
    p.take('4150', T);
    expect(p.take('4202', T + 20 * MINUTE).number).toBe(POOL[1]);
  });

  it('reuses the number held longest when every one is held, and says whose it was', () => {
    const p = pool();
    p.take('4150', T);
    p.take('4202', T + MINUTE);
    p.take('2900', T + 2 * MINUTE);
    const choice = p.take('2901', T + 3 * MINUTE);
    expect(choice.number).toBe(POOL[0]);
    expect(choice.displaced).toMatchObject({ number: POOL[0], ext: '4150', takenAt: T });
    // Next exhausted call: the oldest hold is now 4202's.
    expect(p.take('2910', T + 4 * MINUTE).displaced).toMatchObject({ number: POOL[1], ext: '4202' });
  });

  it('with the default pool (the main number alone) every call shares it, the latest caller holding it', () => {
    const p = pool(['+441707284000']);
    expect(p.take('4150', T)).toEqual({ number: '+441707284000' });
    expect(p.take('4202', T + 1)).toMatchObject({ number: '+441707284000', displaced: { ext: '4150' } });
    expect(p.holds.get('+441707284000')!.ext).toBe('4202');
  });
});

describe('callback holds in the replica', () => {
  it('lead back until the window ends, and keep the newest hold of a number whichever order they arrive in', () => {
    const replica = new Replica({ relock: { idleMinutes: 30 }, timezone: 'UTC' });
    expect(replica.hasCallbacks).toBe(false);
    replica.setCallback(hold(POOL[0]!, '4202', T + MINUTE));
    replica.setCallback(hold(POOL[0]!, '4150', T));
    expect(replica.liveCallback(POOL[0]!, T + 2 * MINUTE)?.ext).toBe('4202');
    expect(replica.liveCallback(POOL[0]!, T + 61 * MINUTE - 1)?.ext).toBe('4202');
    expect(replica.liveCallback(POOL[0]!, T + 61 * MINUTE)).toBeUndefined();
    expect(replica.callbackHold(POOL[0]!)?.ext).toBe('4202');
  });

  it('survive a reload from the store when newer than the store has', () => {
    const replica = new Replica({ relock: { idleMinutes: 30 }, timezone: 'UTC' });
    replica.setCallback(hold(POOL[0]!, '4150', T + MINUTE));
    replica.load(new Map(), [], [hold(POOL[0]!, '4202', T), hold(POOL[1]!, '2900', T)]);
    expect(replica.liveCallback(POOL[0]!, T + 2 * MINUTE)?.ext).toBe('4150');
    expect(replica.liveCallback(POOL[1]!, T + 2 * MINUTE)?.ext).toBe('2900');
  });
});

describe('RuntimeState.takeCallback', () => {
  let plan: Plan;
  beforeAll(async () => {
    plan = await samplePlan();
  });

  const settings = (minutes = 60): Site['emergency'] => ({ callbackNumbers: POOL, callbackMinutes: minutes, callbackRingSeconds: 20 });

  it('holds the number in this instance at once, for callbackMinutes (fractions of a minute too)', () => {
    const { state } = memoryState(plan);
    const { hold: taken, displaced } = state.takeCallback(settings(0.5), '4150', T, { callId: 'c1', dialled: '999', location: 'Lindop Building, room 1L100' });
    expect(displaced).toBeUndefined();
    expect(taken).toEqual({ number: POOL[0], ext: '4150', takenAt: T, until: T + 30_000, callId: 'c1', dialled: '999', location: 'Lindop Building, room 1L100' });
    expect(state.replica.liveCallback(POOL[0]!, T + 29_999)?.ext).toBe('4150');
    expect(state.replica.liveCallback(POOL[0]!, T + 30_000)).toBeUndefined();
    expect(state.takeCallback(settings(), '4202', T + 1, { callId: 'c2', dialled: '999' }).hold.number).toBe(POOL[1]);
  });
});

describe('callback holds shared through Redis', () => {
  let plan: Plan;
  let redis: RedisServer;
  const open: { close(): Promise<void> }[] = [];
  const soon = { timeout: 15_000, interval: 20 };
  const settings: Site['emergency'] = { callbackNumbers: POOL, callbackMinutes: 10, callbackRingSeconds: 20 };

  beforeAll(async () => {
    plan = await samplePlan();
    redis = await RedisServer.start();
  });
  afterEach(async () => Promise.all(open.splice(0).map((s) => s.close())));
  afterAll(async () => redis.stop());

  async function instances() {
    const a = await redisState(plan, redis.url);
    const b = await redisState(plan, redis.url, a.prefix);
    open.push(a, b);
    return [a, b] as const;
  }

  it('a key per number with the extension and the expiry; another instance routes the callback and takes another number', async () => {
    const [a, b] = await instances();
    const now = Date.now();
    const { hold: taken } = a.state.takeCallback(settings, '4150', now, { callId: 'c1', dialled: '999' });
    await a.state.shareCallback(taken);
    const client = createClient({ url: redis.url });
    await client.connect();
    open.push({ close: async () => void (await client.close()) });
    const key = `${a.prefix}callback:${POOL[0]}`;
    expect(JSON.parse((await client.get(key))!)).toMatchObject({ number: POOL[0], ext: '4150', until: now + 10 * MINUTE });
    expect(await client.pExpireTime(key)).toBe(now + 10 * MINUTE);

    await expect.poll(() => b.state.replica.liveCallback(POOL[0]!, Date.now())?.ext, soon).toBe('4150');
    expect(b.state.takeCallback(settings, '4202', Date.now(), { callId: 'c2', dialled: '112' }).hold.number).toBe(POOL[1]);
    // A third instance starting now loads the holds.
    const c = await redisState(plan, redis.url, a.prefix);
    open.push(c);
    expect(c.state.replica.liveCallback(POOL[0]!, Date.now())?.ext).toBe('4150');
  });

  it('Redis away: the hold stands on the instance that took it, sharing fails without throwing at the caller, and it is written once Redis is back', async () => {
    const [a, b] = await instances();
    await redis.kill();
    // Shared before the client has noticed the outage: the write meets a closed socket, reported as the outage.
    const { hold: taken } = a.state.takeCallback(settings, '2900', Date.now(), { callId: 'c3', dialled: '999' });
    expect(a.state.replica.liveCallback(taken.number, Date.now())?.ext).toBe('2900');
    await expect(a.state.shareCallback(taken)).rejects.toThrow(/cannot be reached/);
    await expect.poll(() => a.logs().some((l) => l.includes('unreachable')), soon).toBe(true);
    const { hold: later } = a.state.takeCallback(settings, '2901', Date.now(), { callId: 'c4', dialled: '112' });
    await expect(a.state.shareCallback(later)).rejects.toThrow(/cannot be reached/);
    await redis.restart();
    await expect.poll(() => b.state.replica.liveCallback(taken.number, Date.now())?.ext, soon).toBe('2900');
    await expect.poll(() => b.state.replica.liveCallback(later.number, Date.now())?.ext, soon).toBe('2901');
  });
});
