/**
 * Media paths for a caller that cannot hear early media, CI level, the FreeSWITCH stand-in up: one that
 * made no SDP offer (a delayed-offer PBX) can take an offer only in the 2xx, as we make none in a 1xx;
 * a phone requiring 100rel gets no 18x at all (src/sip/reliableProgress.ts). A recorded call follows
 * `noticeUnavailable` (connected and flagged, or refused 488), PIN entry is refused 488 rather than
 * prompted to nobody, a barred call is refused without its spoken reason, and a feature code, answered
 * at once, works: the endpoint is offered the caller's answer from its ACK.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { INTERNAL, until } from '../support/edgeFixture.js';
import { samplePlan } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import * as sip from '../support/sipText.js';
import type { StateUnderTest } from '../support/stateFixtures.js';
import { answerByes, expectNothingLeft, invitesSent, pinnedMediaEdge, startMediaEdge, type MediaEdge } from './mediaEdge.js';

const CALLEE_OFFER = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });
const CALLER_ANSWER = sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 4000 });
const PIN = '538271';

let m: MediaEdge | undefined;
let redis: RedisServer;
let plan: Plan;
let state: StateUnderTest | undefined;

beforeAll(async () => {
  redis = await RedisServer.start();
  plan = await samplePlan();
});

afterAll(async () => {
  await redis?.stop();
});

afterEach(async () => {
  await m?.stop();
  await state?.close();
  m = undefined;
  state = undefined;
});

describe('media: a caller that made no offer', () => {

  it('recorded extension, noticeUnavailable connect-flagged (the sample): connected straight to the callee, the log says why', async () => {
    m = await startMediaEdge();
    const a = m.edge.invite('4101', '3000', { sdp: null, autoAck: false });
    const b = await m.edge.nextInvite();
    expect(b.uri).toBe(`sip:3000@${INTERNAL}`);
    expect(b.body).toBe('');
    b.respond(200, { body: CALLEE_OFFER });
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(CALLEE_OFFER);
    a.ack({ body: CALLER_ANSWER });
    expect((await m.edge.nextRequest('ACK')).body).toBe(CALLER_ANSWER);
    const flagged = await m.edge.waitForLog('recording flag', (l) => l.recordingUnavailable === true);
    expect(flagged).toMatchObject({ from: '4101', to: '3000', callId: a.request!.callId });
    expect(flagged.msg).toMatch(/made no offer/);
    expect(m.fs.journal).toEqual([]);
    answerByes(m.edge);
    a.bye();
    await expectNothingLeft(m);
  });

  it('a barred number (announceRejects on in the sample): the plain 403 with its Reason, no 183', async () => {
    m = await startMediaEdge();
    const a = m.edge.invite('4101', '909012345678', { sdp: null });
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    expect(a.responses.map((r) => r.status)).not.toContain(183);
    expect(m.fs.journal).toEqual([]);
  });

  it('*51 (lock): answered with FreeSWITCH\'s offer; the caller\'s answer from its ACK is offered to the endpoint', async () => {
    ({ m, state } = await pinnedMediaEdge(redis.url, plan, PIN));
    answerByes(m.edge);
    const a = m.edge.invite('4101', '*51', { sdp: null, autoAck: false });
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    const [endpoint] = m.fs.endpoints;
    expect(endpoint!.remoteSdp).toBeUndefined();
    expect(ok.body).toBe(endpoint!.local.sdp);
    a.ack({ body: CALLER_ANSWER });
    const modify = await m.fs.waitFor("the caller's answer", (s) => s.op === 'modify');
    expect(modify.detail).toBe(CALLER_ANSWER);
    await until('the app hanging up', () => m!.edge.fake.outboundRequests.find((r) => r.method === 'BYE'));
    await expectNothingLeft(m);
  });
});

describe.each([
  ['a caller that made no offer', { sdp: null }, 'needs-offer'],
  ['a phone (not a trusted source) requiring 100rel, which gets no 18x', { headers: { Require: '100rel', Supported: '100rel' } }, 'needs-reliable-progress'],
] as const)('media: %s', (_who, invite, reason) => {
  it(`recorded extension, noticeUnavailable refuse: 488 recording-notice-${reason}, nothing dialled, FreeSWITCH untouched`, async () => {
    m = await startMediaEdge({ site: (yaml) => yaml.replace('noticeUnavailable: connect-flagged', 'noticeUnavailable: refuse') });
    const final = await m.edge.invite('4101', '3000', invite).finalResponse();
    expect(final.status).toBe(488);
    expect(final.get('Reason')).toBe(`Q.850;cause=65;text="recording-notice-${reason}"`);
    expect(invitesSent(m.edge)).toHaveLength(0);
    expect(m.fs.journal).toEqual([]);
  });

  it(`a locked phone calling abroad: 488 pin-entry-${reason}, no PIN prompt, nothing dialled`, async () => {
    ({ m, state } = await pinnedMediaEdge(redis.url, plan, PIN));
    const final = await m.edge.invite('4101', '90033142685300', invite).finalResponse();
    expect(final.status).toBe(488);
    expect(final.get('Reason')).toBe(`Q.850;cause=65;text="pin-entry-${reason}"`);
    expect(invitesSent(m.edge)).toHaveLength(0);
    expect(m.fs.journal).toEqual([]);
  });
});
