/**
 * Spoken rejects and DESIGN's failure semantics for the media side, CI level: FreeSWITCH (the
 * stand-in) unreachable, or failing in the middle of a call. A caller always gets a final response;
 * emergency and hotline calls never touch FreeSWITCH; nothing is left in it afterwards.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EMERGENCY_TRUNK, INTERNAL, until, withoutTransport } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';
import { answerByes, expectNothingLeft, invitesSent, recordingStarted, responseWith, startMediaEdge, type MediaEdge } from './mediaEdge.js';

const CALLEE_SDP = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });
const promptIds = (files: string[]) => files.map((f) => /\/audio\/prompts\/([\w-]+)\.wav$/.exec(f)?.[1] ?? f);

describe('media: spoken rejects', () => {
  let m: MediaEdge;

  afterEach(async () => {
    await m?.stop();
  });

  it('announceRejects true (the sample): premium gets 183, the reject-premium prompt, then 403 with the Reason', async () => {
    m = await startMediaEdge();
    m.fs.hold();
    const a = m.edge.invite('4101', '909012345678');
    const early = await responseWith(a, 183);
    expect(early.body).toBe(m.fs.endpoints[0]!.local.sdp);
    await m.fs.waitFor('the prompt', (s) => s.op === 'play');
    // the status waits for the prompt
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(a.finalSent).toBe(false);
    m.fs.release();
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    expect(promptIds(m.fs.played)).toEqual(['reject-premium']);
    expect(invitesSent(m.edge)).toHaveLength(0);
    await expectNothingLeft(m);
  });

  it('caller CANCEL during the spoken reason: 487, the endpoint goes', async () => {
    m = await startMediaEdge();
    m.fs.hold();
    const a = m.edge.invite('4101', '909012345678');
    await m.fs.waitFor('the prompt', (s) => s.op === 'play');
    a.cancel();
    expect((await a.finalResponse()).status).toBe(487);
    await expectNothingLeft(m);
  });

  it('announceRejects false: a plain 403 and the media server is never touched', async () => {
    m = await startMediaEdge({ site: (yaml) => yaml.replace(/announceRejects: true/, 'announceRejects: false') });
    const a = m.edge.invite('4101', '909012345678');
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    expect(a.responses.some((r) => r.status === 183)).toBe(false);
    expect(m.fs.journal).toEqual([]);
  });

  it('the media server failing to make the endpoint still ends in the status', async () => {
    m = await startMediaEdge();
    m.fs.failCreate();
    const a = m.edge.invite('4101', '909012345678');
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    await expectNothingLeft(m);
  });

  it('FreeSWITCH hanging up during the spoken reason: still the 403 with its Reason', async () => {
    m = await startMediaEdge();
    m.fs.hold();
    const a = m.edge.invite('4101', '909012345678');
    await m.fs.waitFor('the prompt', (s) => s.op === 'play');
    m.fs.hangUp(m.fs.endpoints[0]!, { pending: 'hang' });
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    await expectNothingLeft(m);
  });
});

describe('media: FreeSWITCH unreachable', () => {
  let m: MediaEdge;

  afterEach(async () => {
    await m?.stop();
  });

  it('recorded extension, noticeUnavailable connect-flagged: connected without media, the log flags it', async () => {
    m = await startMediaEdge();
    m.fs.up = false;
    const offer = sip.sdp({ ip: '192.0.2.10', port: 40000 });
    const a = m.edge.invite('4101', '3000', { sdp: offer });
    const b = await m.edge.nextInvite();
    expect(b.uri).toBe(`sip:3000@${INTERNAL}`);
    expect(b.body).toBe(offer);
    b.respond(200, { body: CALLEE_SDP });
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(CALLEE_SDP);
    expect(await m.edge.waitForLog('recording flag', (l) => l.recordingUnavailable === true)).toMatchObject({ from: '4101', to: '3000', callId: a.request!.callId });
    answerByes(m.edge);
    a.bye();
    await expectNothingLeft(m);
    expect(m.fs.journal).toEqual([]);
  });

  it('recorded extension, noticeUnavailable refuse: 503 with a Reason, nothing dialled', async () => {
    m = await startMediaEdge({ site: (yaml) => yaml.replace('noticeUnavailable: connect-flagged', 'noticeUnavailable: refuse') });
    m.fs.up = false;
    const a = m.edge.invite('4101', '3000');
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="recording-notice-unavailable"');
    expect(final.get('Retry-After')).toBeTruthy();
    expect(invitesSent(m.edge)).toHaveLength(0);
  });

  it('pin-required: 503 with a Reason, nothing dialled', async () => {
    m = await startMediaEdge();
    m.fs.up = false;
    const a = m.edge.invite('4101', '90033142685300');
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="pin-entry-unavailable"');
    expect(invitesSent(m.edge)).toHaveLength(0);
    expect(m.fs.journal).toEqual([]);
  });

  it('feature code: 503 with a Reason', async () => {
    m = await startMediaEdge();
    m.fs.up = false;
    const final = await m.edge.invite('4101', '*51').finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-unavailable"');
  });

  it('a barred call: still its status, without a spoken reason', async () => {
    m = await startMediaEdge();
    m.fs.up = false;
    const final = await m.edge.invite('4101', '909012345678').finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    expect(m.fs.journal).toEqual([]);
  });
});

describe('media: FreeSWITCH failing mid-call', () => {
  let m: MediaEdge;

  afterEach(async () => {
    await m?.stop();
  });

  it('the caller endpoint cannot be made (recorded call): the caller gets an error, nobody is rung', async () => {
    m = await startMediaEdge();
    m.fs.failCreate();
    const a = m.edge.invite('4101', '3000');
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    expect(final.get('Retry-After')).toBeTruthy();
    expect(invitesSent(m.edge)).toHaveLength(0);
    await expectNothingLeft(m);
  });

  it('the caller endpoint cannot be made (PIN prompt): the caller gets an error', async () => {
    m = await startMediaEdge();
    m.fs.failCreate();
    const final = await m.edge.invite('4101', '90033142685300').finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    expect(final.get('Retry-After')).toBeTruthy();
    await expectNothingLeft(m);
  });

  it('the callee endpoint cannot be made after the notice: an error, the caller endpoint released, nobody rung', async () => {
    m = await startMediaEdge();
    m.fs.failCreate(2);
    const a = m.edge.invite('4101', '3000');
    await responseWith(a, 183);
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    expect(final.get('Retry-After')).toBeTruthy();
    expect(invitesSent(m.edge)).toHaveLength(0);
    await expectNothingLeft(m);
    expect(m.fs.endpoints).toHaveLength(1);
  });

  it('the endpoint for a feature code cannot be made: 503, never a hang', async () => {
    m = await startMediaEdge();
    m.fs.failCreate();
    const final = await m.edge.invite('4101', '*51').finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    await expectNothingLeft(m);
  });

  it('a media fault is not a bug: no "call handling failed" in the log', async () => {
    m = await startMediaEdge();
    m.fs.failCreate();
    await m.edge.invite('4101', '3000').finalResponse();
    expect(m.edge.logs.filter((l) => l.msg === 'call handling failed')).toEqual([]);
  });

  it('FreeSWITCH hangs up during the notice: 503, the callee is never rung', async () => {
    m = await startMediaEdge();
    m.fs.hold((f) => f.includes('/notices/'));
    const a = m.edge.invite('4101', '3000');
    await m.fs.waitFor('the notice', (s) => s.op === 'play');
    m.fs.hangUp(m.fs.endpoints[0]!, { pending: 'hang' });
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    await expectNothingLeft(m);
    expect(invitesSent(m.edge)).toHaveLength(0);
  });

  it('the bridge fails once the callee answers: 503 to the caller, BYE to the callee, every endpoint released', async () => {
    m = await startMediaEdge();
    m.fs.fail((s) => s.op === 'bridge');
    const a = m.edge.invite('4101', '3000');
    const b = await m.edge.nextInvite();
    answerByes(m.edge);
    b.respond(200, { body: CALLEE_SDP });
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    await until('the callee hung up', () => m.edge.fake.outboundRequests.find((r) => r.method === 'BYE' && r.get('Call-ID') === b.get('Call-ID')));
    await expectNothingLeft(m);
  });

  /** 4101 calls the recorded extension 3000: the notice has played, the callee rings, the caller hears ringback. */
  async function ringingRecordedCall() {
    m = await startMediaEdge();
    const a = m.edge.invite('4101', '3000');
    const b = await m.edge.nextInvite();
    b.respond(180);
    await m.fs.waitFor('ringback', (s) => s.op === 'play' && s.arg.includes('loops=-1'));
    return { a, b };
  }

  it("FreeSWITCH ends the caller's channel while the callee rings: 503 to the caller, and the callee's INVITE is CANCELled at once", async () => {
    const { a, b } = await ringingRecordedCall();
    m.fs.hangUp(m.fs.endpoints[0]!);
    expect((await a.finalResponse()).status).toBe(503);
    // Not left ringing for the 180 s ring timeout after the caller was told the call failed.
    await b.waitForCancel();
    await expectNothingLeft(m);
  });

  it('the event socket goes silent while the callee rings, the callee busy: the caller still gets 486', async () => {
    const { a, b } = await ringingRecordedCall();
    m.fs.silenceEventSocket();
    b.respond(486);
    expect((await a.finalResponse()).status).toBe(486);
  });

  it('the event socket goes silent while the callee rings, the callee answers: 503 to the caller once the bridge step is given up, BYE to the callee', async () => {
    const { a, b } = await ringingRecordedCall();
    answerByes(m.edge);
    m.fs.silenceEventSocket();
    b.respond(200, { body: CALLEE_SDP });
    const final = await a.finalResponse({ timeoutMs: 20_000 });
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    await until('the callee hung up', () => m.edge.fake.outboundRequests.find((r) => r.method === 'BYE' && r.get('Call-ID') === b.get('Call-ID')));
    await m.edge.waitForLog('the step given up', (l) => l.where === 'media-bridge' && /did not complete stopping the ringback within 10 s/.test(String(l.err)));
  }, 30_000);

  it('FreeSWITCH hangs up a bridged, recorded call: both parties get a BYE', async () => {
    m = await startMediaEdge();
    const a = m.edge.invite('4101', '3000');
    const b = await m.edge.nextInvite();
    b.respond(200, { body: CALLEE_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    await recordingStarted(m.fs);
    answerByes(m.edge);
    m.fs.hangUp(m.fs.endpoints[0]!);
    await until('BYE to both parties', () => {
      const byes = m.edge.fake.outboundRequests.filter((r) => r.method === 'BYE').map((r) => r.get('Call-ID'));
      return byes.includes(a.request!.callId!) && byes.includes(b.get('Call-ID')) ? byes : undefined;
    });
    await expectNothingLeft(m);
  });
});

describe('media: emergency and hotline calls never touch FreeSWITCH', () => {
  let m: MediaEdge;

  afterEach(async () => {
    await m?.stop();
  });

  it.each([
    ['999 from a locked international user', '4101', '999', `sip:999@${EMERGENCY_TRUNK}`],
    ['9-999 from a recorded extension', '3000', '9999', `sip:999@${EMERGENCY_TRUNK}`],
    ['a lift hotline', '2900', '0', `sip:2222@${INTERNAL}`],
  ])('%s', async (_what, from, to, uri) => {
    m = await startMediaEdge();
    const a = m.edge.invite(from, to);
    const b = await m.edge.nextInvite();
    expect(withoutTransport(b.uri)).toBe(uri);
    b.respond(200, { body: CALLEE_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    answerByes(m.edge);
    void (async () => {
      for (;;) {
        try {
          (await m.edge.nextRequest('MESSAGE', 60_000)).respond(200);
        } catch {
          return;
        }
      }
    })();
    a.bye();
    await until('no call in progress', async () => (await m.edge.callsInProgress) === 0);
    expect(m.fs.journal).toEqual([]);
  });

  it('and connect while FreeSWITCH is unreachable', async () => {
    m = await startMediaEdge();
    m.fs.up = false;
    const a = m.edge.invite('4101', '999');
    const b = await m.edge.nextInvite();
    expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    b.respond(200, { body: CALLEE_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    answerByes(m.edge);
    a.bye();
    await until('no call in progress', async () => (await m.edge.callsInProgress) === 0);
  });
});
