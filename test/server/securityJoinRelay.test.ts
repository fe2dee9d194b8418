/**
 * Security joins across instances through a real redis-server: a join state published by one instance
 * reaches the others (and a console opened later, from the hash), and an officer's request made on
 * one instance reaches every instance, where the one holding the call acts on it.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JoinState } from '../../src/media/securityJoin.js';
import { SecurityJoinRelay, type JoinRequest } from '../../src/server/securityJoinRelay.js';
import { until } from '../support/edgeFixture.js';
import { RedisServer } from '../support/redisServer.js';

const STATE: JoinState = { callId: 'c1@192.0.2.10', phase: 'joined', mode: 'listen', at: '2026-12-06T10:00:00.000Z' };

describe('SecurityJoinRelay (real redis-server)', () => {
  let redis: RedisServer;
  const relays: SecurityJoinRelay[] = [];
  const instance = () => {
    const seen = { states: [] as JoinState[], requests: [] as JoinRequest[] };
    const relay = new SecurityJoinRelay({ url: redis.url }, { state: (s) => seen.states.push(s), request: (r) => seen.requests.push(r) }, pino({ level: 'silent' }));
    relays.push(relay);
    /** A request, or false while this instance's Redis connection is not up yet. */
    const ask = (request: JoinRequest) => relay.request(request).catch(() => false);
    return { relay, seen, ask };
  };

  beforeAll(async () => {
    redis = await RedisServer.start();
  });

  afterAll(async () => {
    await Promise.all(relays.map((r) => r.close()));
    await redis?.stop();
  });

  it('a join state reaches every instance, and one started later reads it from Redis', async () => {
    const a = instance();
    const b = instance();
    // Both are listening once a request published now reaches both.
    await until('both listening', async () => (await a.ask({ callId: 'probe', by: 'test' })) && b.seen.requests.some((r) => r.callId === 'probe') && a.seen.requests.some((r) => r.callId === 'probe'));
    await a.relay.publish(STATE);
    await until('the state on the other instance', () => b.seen.states.find((s) => s.callId === STATE.callId));
    expect(a.seen.states).toContainEqual(STATE);
    const later = instance();
    await until('the state read by an instance started later', () => later.seen.states.find((s) => s.callId === STATE.callId));
  });

  it("an officer's request on one instance reaches the others", async () => {
    const a = instance();
    const b = instance();
    await until('b listening', async () => (await a.ask({ callId: 'probe-2', by: 'test' })) && b.seen.requests.some((r) => r.callId === 'probe-2'));
    expect(await a.relay.request({ callId: 'c2@192.0.2.10', by: 'sam.patel', mode: 'talk' })).toBe(true);
    await until('the request on the other instance', () => b.seen.requests.find((r) => r.callId === 'c2@192.0.2.10'));
    expect(b.seen.requests.find((r) => r.callId === 'c2@192.0.2.10')).toEqual({ callId: 'c2@192.0.2.10', by: 'sam.patel', mode: 'talk' });
  });
});
