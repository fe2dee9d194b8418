/**
 * Feature codes on the caller's own phone (site.featureCodes: *51 lock, *52 unlock, *53 change PIN),
 * CI level: answered by the FreeSWITCH stand-in, prompts and digit collection, then hung up; the
 * runtime state lives in a private redis-server, read back through a second RuntimeState.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { until } from '../support/edgeFixture.js';
import type { InboundTransaction } from '../support/fakeDrachtio.js';
import { samplePlan } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import type { StateUnderTest } from '../support/stateFixtures.js';
import { answerByes, expectNothingLeft, pinnedMediaEdge, type MediaEdge } from './mediaEdge.js';

const PIN = '538271';
const NEW_PIN = '604918';
const promptIds = (files: string[]) => files.map((f) => /\/audio\/prompts\/([\w-]+)\.wav$/.exec(f)?.[1] ?? f);

describe('media: feature codes', () => {
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
    await m?.stop();
    await state?.close();
  });

  const lockOf = () => state.state.status('4101', Date.now()).lock;

  /** Dials a feature code; the stand-in answers it: 200 with FreeSWITCH's SDP. */
  async function dial(code: string): Promise<InboundTransaction> {
    const a = m.edge.invite('4101', code);
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(m.fs.endpoints[0]!.local.sdp);
    return a;
  }

  /** The app hangs the feature call up when it is done; nothing is left behind. */
  async function hungUpByApp(): Promise<void> {
    await until('the app hanging up', () => m.edge.fake.outboundRequests.find((r) => r.method === 'BYE'));
    await expectNothingLeft(m);
  }

  it('*51 locks the phone: answered, the confirmation, hung up; the status says locked', async () => {
    await state.state.unlock('4101', PIN, Date.now());
    await until('unlocked in the replica', () => lockOf() === 'unlocked' || undefined);
    await dial('*51');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['phone-locked']);
    await until('locked in the replica', () => lockOf() === 'locked' || undefined);
    expect(await m.edge.waitForLog('feature done', (l) => l.msg === 'feature code done')).toMatchObject({ ext: '4101', feature: 'lock' });
  });

  it('*52 unlocks with the PIN', async () => {
    expect(lockOf()).toBe('locked');
    m.fs.type(PIN);
    await dial('*52');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['pin-enter', 'phone-unlocked']);
    await until('unlocked in the replica', () => lockOf() === 'unlocked' || undefined);
  });

  it('*52 with the PIN keyed as SIP INFO (dtmf-relay) after the answer', async () => {
    const a = await dial('*52');
    await m.fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    for (const digit of PIN) {
      const info = a.sendInDialog('INFO', { contentType: 'application/dtmf-relay', body: `Signal=${digit}\r\nDuration=160\r\n` });
      expect((await info.finalResponse()).status).toBe(200);
    }
    await hungUpByApp();
    expect(m.fs.journal.filter((s) => s.op === 'api' && s.arg === 'uuid_recv_dtmf')).toHaveLength(6);
    expect(promptIds(m.fs.played)).toEqual(['pin-enter', 'phone-unlocked']);
    await until('unlocked in the replica', () => lockOf() === 'unlocked' || undefined);
    expect(m.edge.logs.filter((l) => JSON.stringify({ ...l, time: undefined }).includes(PIN))).toEqual([]);
  });

  it('*52 with three wrong PINs: refused in words, still locked', async () => {
    m.fs.type('904716', '660413', '772950');
    await dial('*52');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['pin-enter', 'pin-wrong', 'pin-wrong', 'pin-refused']);
    expect(lockOf()).toBe('locked');
  });

  it('*53 changes the PIN: old, new, new again; the new PIN works and the old one does not', async () => {
    m.fs.type(PIN, NEW_PIN, NEW_PIN);
    await dial('*53');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['pin-old', 'pin-new', 'pin-repeat', 'pin-changed']);
    expect((await state.state.unlock('4101', PIN, Date.now())).outcome).toBe('wrong-pin');
    expect((await state.state.unlock('4101', NEW_PIN, Date.now())).outcome).toBe('unlocked');
    const lines = m.edge.logs.map((l) => JSON.stringify({ ...l, time: undefined }));
    expect(lines.filter((l) => l.includes(PIN) || l.includes(NEW_PIN))).toEqual([]);
  });

  it('*53 with a weak new PIN: the pin-weak prompt, the PIN unchanged', async () => {
    m.fs.type(PIN, '123456', '123456');
    await dial('*53');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['pin-old', 'pin-new', 'pin-repeat', 'pin-weak']);
    expect((await state.state.unlock('4101', PIN, Date.now())).outcome).toBe('unlocked');
  });

  it('*53 with two different new PINs: the pin-mismatch prompt, the PIN unchanged', async () => {
    m.fs.type(PIN, NEW_PIN, '604917');
    await dial('*53');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['pin-old', 'pin-new', 'pin-repeat', 'pin-mismatch']);
    expect((await state.state.unlock('4101', PIN, Date.now())).outcome).toBe('unlocked');
  });

  it('*53 with the wrong current PIN: refused, nothing asked for the new one', async () => {
    m.fs.type('904716', '660413', '772950');
    await dial('*53');
    await hungUpByApp();
    expect(promptIds(m.fs.played)).toEqual(['pin-old', 'pin-wrong', 'pin-wrong', 'pin-refused']);
    expect((await state.state.unlock('4101', PIN, Date.now())).outcome).toBe('unlocked');
  });

  it('the caller hangs up during the PIN prompt: the endpoint goes, no attempt counted', async () => {
    const a = await dial('*52');
    await m.fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
    m.fs.type(PIN);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(state.state.status('4101', Date.now()).failures).toBe(0);
    expect(lockOf()).toBe('locked');
  });

  it('FreeSWITCH hangs up during the PIN prompt: the caller gets a BYE, never a hang', async () => {
    await dial('*52');
    await m.fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    m.fs.hangUp(m.fs.endpoints[0]!, { pending: 'hang' });
    await hungUpByApp();
    expect(lockOf()).toBe('locked');
  });
});
