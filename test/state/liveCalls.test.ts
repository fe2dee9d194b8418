import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalLiveCalls, SharedLiveCalls, type LiveCall, type LiveCallSource } from '../../src/state/liveCalls.js';
import { RedisServer } from '../support/redisServer.js';

/** An instance's calls as a plain list; `ended` records what it was asked to end. */
function source(calls: Omit<LiveCall, 'instance'>[]): LiveCallSource & { ended: string[] } {
  const ended: string[] = [];
  return {
    ended,
    calls: () => calls.filter((c) => !ended.includes(c.callId)),
    end: (callId) => (calls.some((c) => c.callId === callId) && !ended.includes(callId) ? (ended.push(callId), true) : false),
  };
}

const call = (callId: string, from: string, to: string, started: string): Omit<LiveCall, 'instance'> => ({ callId, from, to, action: 'allow', class: 'geographic', reason: 'class-permitted', started });

async function until<T>(check: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('live calls shared through Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => redis?.stop());

  it('lists every instance\'s calls and ends a call on the instance that has it', async () => {
    const logger = pino({ level: 'silent' });
    const a = source([call('a-1@x', '4101', '01707284999', '2026-03-02T10:00:00.000Z')]);
    const b = source([call('b-1@y', '4102', '02079460000', '2026-03-02T10:00:01.000Z'), call('b-2@y', '4103', '999', '2026-03-02T10:00:02.000Z')]);
    const boardA = new SharedLiveCalls({ url: redis.url }, a, logger, 100);
    const boardB = new SharedLiveCalls({ url: redis.url }, b, logger, 100);
    boardA.start();
    boardB.start();
    try {
      const seen = await until(async () => {
        const list = await boardA.list();
        return list.length === 3 ? list : undefined;
      }, 'three calls');
      expect(seen.map((c) => [c.callId, c.instance])).toEqual([
        ['a-1@x', boardA.instance],
        ['b-1@y', boardB.instance],
        ['b-2@y', boardB.instance],
      ]);
      // Ended from A's board, carried out by B.
      await until(async () => ((await boardA.end({ callId: 'b-1@y', instance: boardB.instance })) ? true : undefined), 'B listening');
      await until(async () => (b.ended.includes('b-1@y') ? true : undefined), 'B ending the call');
      expect(a.ended).toEqual([]);
      await until(async () => ((await boardB.list()).some((c) => c.callId === 'b-1@y') ? undefined : true), 'the ended call gone from the list');
    } finally {
      await boardB.close();
    }
    // A closed instance is no longer listed and cannot be asked.
    expect((await boardA.list()).map((c) => c.callId)).toEqual(['a-1@x']);
    expect(await boardA.end({ callId: 'b-2@y', instance: boardB.instance })).toBe(false);
    await boardA.close();
  });

  it('forgets the calls of an instance that stopped refreshing them', async () => {
    const logger = pino({ level: 'silent' });
    const dead = new SharedLiveCalls({ url: redis.url }, source([call('d-1@z', '4101', '4102', '2026-03-02T10:00:00.000Z')]), logger, 100);
    const alive = new SharedLiveCalls({ url: redis.url }, source([]), logger, 100);
    await until(async () => ((await dead.publish(), (await alive.list()).length === 1) ? true : undefined), 'the call listed');
    // No more rounds from `dead` (never started): its hash and its place in the set run out after five rounds' time.
    await until(async () => ((await alive.list()).length === 0 ? true : undefined), 'the call forgotten');
    await Promise.all([dead.close(), alive.close()]);
  });
});

describe('live calls without Redis', () => {
  it('lists and ends this instance\'s calls only', async () => {
    const s = source([call('l-1@x', '4101', '4102', '2026-03-02T10:00:00.000Z')]);
    const board = new LocalLiveCalls(s);
    expect(await board.list()).toEqual([{ ...call('l-1@x', '4101', '4102', '2026-03-02T10:00:00.000Z'), instance: board.instance }]);
    expect(await board.end({ callId: 'l-1@x', instance: 'elsewhere' })).toBe(false);
    expect(await board.end({ callId: 'l-1@x', instance: board.instance })).toBe(true);
    expect(await board.list()).toEqual([]);
  });
});
