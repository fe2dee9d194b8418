/**
 * *53 (change PIN) unlocks the phone when the current PIN is right; a change that does not happen must
 * lock it again. When the store refuses that lock, it is retried; when it is still refused the phone is
 * not left unlocked silently: an error line, callguard_call_path_errors_total{where="relock"} and a
 * PIN-LOCKOUT alert to Security saying so. CI level: the FreeSWITCH stand-in, a private redis-server
 * told to refuse writes (`min-replicas-to-write` with no replica) once the current PIN has been checked.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { until } from '../support/edgeFixture.js';
import { samplePlan } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import type { StateUnderTest } from '../support/stateFixtures.js';
import { answerByes, expectNothingLeft, pinnedMediaEdge, type MediaEdge } from './mediaEdge.js';

const PIN = '538271';
const NEW_PIN = '604918';

describe('media: *53 with a PIN change that does not happen, and a store that refuses to lock the phone again', () => {
  let redis: RedisServer;
  let plan: Plan;
  let m: MediaEdge;
  let state: StateUnderTest;

  beforeAll(async () => {
    redis = await RedisServer.start();
    plan = await samplePlan();
  });

  afterAll(async () => {
    await redis?.stop();
  });

  beforeEach(async () => {
    ({ m, state } = await pinnedMediaEdge(redis.url, plan, PIN));
    answerByes(m.edge);
  });

  afterEach(async () => {
    await refuseWrites(false);
    await m?.stop();
    await state?.close();
  });

  /** Redis refuses every write while no replica is connected and at least one is required. */
  async function refuseWrites(refuse: boolean): Promise<void> {
    const client = createClient({ url: redis.url });
    await client.connect();
    await client.configSet('min-replicas-to-write', refuse ? '1' : '0');
    await client.close();
  }

  const lockOf = () => state.state.status('4101', Date.now()).lock;

  /** *53 with the right current PIN; the store starts refusing while the caller is asked for the new one. */
  async function changeWhileStoreRefuses(): Promise<void> {
    m.fs.type(PIN);
    const a = m.edge.invite('4101', '*53');
    expect((await a.finalResponse()).status).toBe(200);
    await m.fs.waitFor('the new-PIN prompt', (s) => s.op === 'playCollect' && s.arg.includes('/pin-new.'));
    await until('unlocked by the PIN check', () => lockOf() === 'unlocked' || undefined);
    await refuseWrites(true);
    // Two different new PINs: the change does not happen.
    m.fs.type(NEW_PIN, '604917');
  }

  it('still refused after the retries: logged at error, counted, and Security told the phone stays unlocked', async () => {
    await changeWhileStoreRefuses();
    const message = await m.edge.nextRequest('MESSAGE', 30_000);
    message.respond(200);
    const text = message.body;
    expect(text).toMatch(/^PIN-LOCKOUT \*53\r\n/);
    expect(text).toContain('extension: 4101');
    expect(text).toMatch(/note: locking the phone again failed .* it stays unlocked until \d{4}-\d{2}-\d{2}T/);

    const error = await m.edge.waitForLog('the relock error', (l) => l.where === 'relock');
    expect(error).toMatchObject({ level: 50, ext: '4101', attempts: 4, msg: expect.stringContaining('phone left UNLOCKED') });
    expect(error.err).toMatch(/NOREPLICAS/);
    expect(await m.edge.metric('callguard_call_path_errors_total', { where: 'relock' })).toBe(1);
    const promptIds = m.fs.played.map((f) => /\/audio\/prompts\/([\w-]+)\.wav$/.exec(f)?.[1] ?? f);
    expect(promptIds).toEqual(['pin-old', 'pin-new', 'pin-repeat', 'pin-mismatch']);
    await until('the app hanging up', () => m.edge.fake.outboundRequests.find((r) => r.method === 'BYE'));
    await expectNothingLeft(m);
    // What the alert says is so.
    expect(lockOf()).toBe('unlocked');
  }, 60_000);

  it('refused once, then taken on a retry: the phone is locked and nobody is alerted', async () => {
    await changeWhileStoreRefuses();
    await m.edge.waitForLog('the first refusal', (l) => l.msg === 'could not lock the phone again after a failed PIN change: retrying');
    await refuseWrites(false);
    expect(await m.edge.waitForLog('locked on a retry', (l) => l.msg === 'phone locked again after a failed PIN change', 30_000)).toMatchObject({ ext: '4101' });
    await until('locked in the replica', () => lockOf() === 'locked' || undefined);
    await until('the app hanging up', () => m.edge.fake.outboundRequests.find((r) => r.method === 'BYE'));
    await expectNothingLeft(m);
    expect(m.edge.fake.outboundRequests.filter((r) => r.method === 'MESSAGE')).toEqual([]);
    expect(await m.edge.metric('callguard_call_path_errors_total', { where: 'relock' })).toBe(0);
  }, 60_000);
});
