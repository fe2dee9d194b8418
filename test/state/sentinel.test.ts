/**
 * Redis Sentinel failover, with real processes: a master, a replica and three sentinels
 * (test/support/redisSentinel.ts). Two runtime-state instances, the console's alert reader and a
 * serving callguard (in-process, on the fake drachtio-server: its state replica, alert stream channel,
 * outbox and fraud-limit counts) all reach Redis through the sentinels. The master is killed with
 * kill -9 while the replica is held back from promotion, so the test can look at the gap for as long as
 * it needs: decisions go on from the replica, state changes are refused with a clear message, an
 * emergency alert waits in the outbox. Then the failover is let through, and the same objects (none
 * made anew) write to the promoted replica and catch up. A second group shows a master that is back
 * before the sentinels act used again, and the CLI finding the master from the environment.
 */
import { pino } from 'pino';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AlertFeed, RedisAlertReader } from '../../src/http/alertFeed.js';
import { decide } from '../../src/policy/decide.js';
import type { Plan } from '../../src/policy/plan.js';
import { StateUnavailable } from '../../src/state/backend.js';
import { callguard } from '../support/cli.js';
import { Edge, EMERGENCY_TRUNK, EXTERNAL, INTERNAL, until } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import { samplePlan } from '../support/plans.js';
import { SentinelGroup } from '../support/redisSentinel.js';
import * as sip from '../support/sipText.js';
import { redisState } from '../support/stateFixtures.js';

const T = Date.parse('2026-11-23T14:00:00Z');
const PIN = '731946';
const ALICE = '4101';
const PARIS = '90033142685300';
const OFFER = sip.sdp({ ip: '192.0.2.10', port: 40000 });
const ANSWER = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });
const SLOW = { timeout: 60_000, interval: 50 };

let group: SentinelGroup;
let plan: Plan;
let edge: Edge;
let a: Awaited<ReturnType<typeof redisState>>;
let b: Awaited<ReturnType<typeof redisState>>;
let feed: AlertFeed;
let reader: RedisAlertReader;
let gapCallId: string | undefined;

beforeAll(async () => {
  group = await SentinelGroup.start({ holdFailover: true });
  plan = await samplePlan();
  // The serving callguard's state uses the default key prefix; the two instances share it.
  edge = await Edge.start({ redis: group.target, now: () => T });
  a = await redisState(plan, group.target, 'callguard:');
  b = await redisState(plan, group.target, 'callguard:');
  feed = new AlertFeed('redis');
  reader = new RedisAlertReader(group.target, feed, pino({ level: 'silent' }));
  reader.start();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([edge?.stop(), a?.close(), b?.close(), reader?.close()]);
  await group?.stop();
}, 60_000);

/** 999 from ALICE through the edge: the emergency trunk is called at once; Security's MESSAGE answered. */
async function emergencyCall(): Promise<{ a: InboundTransaction; b: OutboundRequest }> {
  const caller = edge.invite(ALICE, '999', { sdp: OFFER });
  const trunk = await edge.nextInvite();
  expect(trunk.uri.replace(/;transport=tcp$/, '')).toBe(`sip:999@${EMERGENCY_TRUNK}`);
  const message = await edge.nextRequest('MESSAGE');
  expect(message.uri).toBe(`sip:2222@${INTERNAL}`);
  message.respond(200);
  return { a: caller, b: trunk };
}

async function answerAndHangUp(call: { a: InboundTransaction; b: OutboundRequest }): Promise<void> {
  call.b.respond(200, { body: ANSWER });
  expect((await call.a.finalResponse()).status).toBe(200);
  await edge.nextRequest('ACK');
  expect((await call.a.bye().finalResponse()).status).toBe(200);
  (await edge.nextRequest('BYE')).respond(200);
}

/**
 * ALICE dials Paris through the serving callguard: 'dialled' when her phone counts as unlocked there
 * (the international B-leg is placed, and refused busy), else the status of the refusal (503: her
 * PIN is needed and there is no media server).
 */
async function callAbroad(): Promise<'dialled' | number> {
  const invites = () => edge.fake.outboundRequests.filter((r) => r.method === 'INVITE').length;
  const before = invites();
  const caller = edge.invite(ALICE, PARIS, { sdp: OFFER });
  const outcome = await until('the call abroad decided', () => caller.responses.find((r) => r.status >= 200)?.status ?? (invites() > before && 'dialled'), 60_000);
  if (outcome !== 'dialled') return outcome;
  const leg = await edge.nextInvite();
  expect(leg.uri).toBe(`sip:+33142685300@${EXTERNAL}`);
  leg.respond(486);
  expect((await caller.finalResponse()).status).toBe(486);
  return 'dialled';
}

/** A raw connection to one Redis process, for what the test checks or arranges there. */
async function direct<T>(port: number, work: (client: RedisClientType) => Promise<T>): Promise<T> {
  const client = createClient({ url: `redis://127.0.0.1:${port}`, socket: { reconnectStrategy: false } });
  client.on('error', () => {});
  await client.connect();
  try {
    return await work(client);
  } finally {
    client.destroy();
  }
}

const USAGE_INSTANCES = 'callguard:usage:instances';

const redisHealth = async () => (JSON.parse((await edge.get('/health')).text) as { redis: { configured: boolean; reachable: boolean } }).redis;

describe('Redis through Sentinel', () => {
  it('carries the state, the alert stream and the fraud-limit counts', async () => {
    expect(a.state.backend.description).toMatch(/^Redis master "callguard" through Sentinel \(127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\)/);
    await a.state.setPin(ALICE, PIN);
    expect(await callAbroad()).toBe(503);
    expect(await a.state.unlock(ALICE, PIN, T)).toEqual({ outcome: 'unlocked' });
    await expect.poll(() => b.state.replica.phoneState(plan, ALICE, T).lock, SLOW).toBe('unlocked');
    await until('the serving callguard to see the phone unlocked', async () => (await callAbroad()) === 'dialled', 60_000);

    const call = await emergencyCall();
    const callId = call.a.request!.callId;
    await answerAndHangUp(call);
    const item = await until('the alert on the console feed', () => feed.snapshot().find((i) => i.alert.callId === callId), 60_000);
    expect(item.late).toBeUndefined();
    expect(await redisHealth()).toEqual({ configured: true, reachable: true });
    await until('fraud-limit counts shared on the master', () => direct(group.master.port, async (c) => (await c.zCard(USAGE_INSTANCES)) > 0), 60_000);
  }, 120_000);

  it('while no master is reachable: decisions go on from the replica, state changes are refused, the alert waits in the outbox', async () => {
    await group.killMaster();
    await until('both instances and the server to notice', async () => !a.backend.reachable && !b.backend.reachable && !(await redisHealth()).reachable, 60_000);

    const refused = await a.state.lock(ALICE).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StateUnavailable);
    expect((refused as Error).message).toMatch(/Redis cannot be reached.*refused until it is back/);
    await expect(b.state.unlock(ALICE, PIN, T)).rejects.toBeInstanceOf(StateUnavailable);
    await expect(b.state.setPin(ALICE, '264913')).rejects.toBeInstanceOf(StateUnavailable);

    // The replica still knows the phone is unlocked: international is allowed, 999 is an emergency.
    expect(decide(plan, a.state.replica.phoneState(plan, ALICE, T), { from: ALICE, to: PARIS }, T).action).toBe('allow');
    expect(decide(plan, b.state.replica.phoneState(plan, ALICE, T), { from: ALICE, to: '999' }, T).action).toBe('emergency');

    // The serving callguard decides the same way, from its own replica, with no master anywhere.
    expect(await callAbroad()).toBe('dialled');
    const barred = edge.invite(ALICE, '09069999999', { sdp: OFFER });
    expect((await barred.finalResponse()).status).toBe(403);

    const call = await emergencyCall();
    gapCallId = call.a.request!.callId;
    await answerAndHangUp(call);
    // Refused at once by the connection, not after node-redis gave up waiting for a master.
    const failure = await edge.waitForLog('the stream channel failing', (l) => l.channel === 'redis-stream' && l.callId === gapCallId, 60_000);
    expect(failure.err).toMatch(/^Redis master "callguard" through Sentinel \(.*\) cannot be reached: commands are refused until a master is back$/);
    await until('the stream alert kept in the outbox', async () => (await edge.metric('callguard_alert_outbox_alerts', { channel: 'redis-stream' })) === 1, 60_000);
    expect(feed.snapshot().some((item) => item.alert.callId === gapCallId)).toBe(false);
  }, 120_000);

  it('after the failover the same clients write to the promoted replica, and the kept alert arrives marked late', async () => {
    await group.releaseFailover();
    await group.waitForPromotion();
    await until('both instances and the server to follow the new master', async () => a.backend.reachable && b.backend.reachable && (await redisHealth()).reachable, 60_000);
    // What the fraud limits had shared before is gone here; their next rounds must write it again.
    await direct(group.replica.port, (c) => c.del(USAGE_INSTANCES));

    await a.state.lock(ALICE);
    await expect.poll(() => b.state.replica.phoneState(plan, ALICE, T).lock, SLOW).toBe('locked');
    await until('the serving callguard to see the phone locked', async () => (await callAbroad()) === 503, 60_000);
    expect(await b.state.unlock(ALICE, PIN, T)).toEqual({ outcome: 'unlocked' });
    await expect.poll(() => a.state.replica.phoneState(plan, ALICE, T).lock, SLOW).toBe('unlocked');
    await until('the serving callguard to see the phone unlocked', async () => (await callAbroad()) === 'dialled', 60_000);

    // A new alert goes to the stream at once, and the stream's outbox delivers the kept one.
    const call = await emergencyCall();
    const afterId = call.a.request!.callId;
    await answerAndHangUp(call);
    await until('the new alert on the console feed', () => feed.snapshot().find((item) => item.alert.callId === afterId), 60_000);
    const kept = await until('the kept alert on the console feed', () => feed.snapshot().find((item) => item.alert.callId === gapCallId), 60_000);
    expect(kept.late?.deliveredAt).toBeDefined();
    expect(kept.alert).toMatchObject({ kind: 'emergency', ext: ALICE, dialled: '999' });
    await until('the outbox emptied', async () => (await edge.metric('callguard_alert_outbox_alerts', { channel: 'redis-stream' })) === 0, 60_000);

    await until('fraud-limit counts shared on the promoted replica', () => direct(group.replica.port, async (c) => (await c.zCard(USAGE_INSTANCES)) > 0), 60_000);
  }, 180_000);
});

describe('a master back before the sentinels give up on it', () => {
  let quick: SentinelGroup;
  let c: Awaited<ReturnType<typeof redisState>>;

  beforeAll(async () => {
    quick = await SentinelGroup.start({ holdFailover: true });
    c = await redisState(plan, quick.target, 'callguard:');
  }, 120_000);

  afterAll(async () => {
    await c?.close();
    await quick?.stop();
  }, 60_000);

  // No failover and no new master to announce: the old one's own client reconnects, and the state sees it.
  it('is used again by the same instance once it answers', async () => {
    await c.state.setPin(ALICE, PIN);
    await quick.master.restart();
    await until('the instance to notice and come back', () => c.logs().some((l) => l.includes('reachable again')) && c.backend.reachable, 60_000);
    await c.state.lock(ALICE);
    expect(await c.state.unlock(ALICE, PIN, T)).toEqual({ outcome: 'unlocked' });
    expect(c.logs().filter((l) => l.includes('unreachable'))).toHaveLength(1);
  }, 120_000);

  it('the CLI finds the master through REDIS_SENTINELS and REDIS_SENTINEL_NAME, and names a bad entry', () => {
    const env = { ...quick.env, REDIS_URL: '' };
    expect(callguard(['phone', 'lock', ALICE], undefined, env)).toMatchObject({ status: 0, stdout: `${ALICE} locked\n` });
    expect(callguard(['phone', 'status', ALICE, '--json'], undefined, env)).toMatchObject({ status: 0, stdout: expect.stringContaining('"lock":"locked","hasPin":true') });
    expect(callguard(['phone', 'status', ALICE], undefined, { ...env, REDIS_SENTINELS: `${env.REDIS_SENTINELS},sentinel-d` })).toMatchObject({
      status: 2,
      stderr: expect.stringContaining('REDIS_SENTINELS: "sentinel-d" is not host:port'),
    });
  }, 60_000);
});
