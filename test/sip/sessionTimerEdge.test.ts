/**
 * RFC 4028 session timers at the SIP edge, through drachtio-srf's real code and the fake drachtio-server:
 * what callguard offers on the legs it places and what it answers the caller. (drachtio-server runs the
 * timers these headers arm; a lapse on the wire after `kill -9`: test/e2e/scaleOut.test.ts.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Edge } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

describe('SIP edge: session timers (CALLGUARD_SESSION_EXPIRES=1800)', () => {
  let edge: Edge;
  beforeAll(async () => {
    edge = await Edge.start({ sessionExpiresSeconds: 1800 });
  });
  afterAll(async () => {
    await edge.stop();
  });

  /** Answers `leg` (the callee or trunk), completes the caller's call and hangs it up; the caller's 200. */
  async function answerAndHangUp(a: ReturnType<Edge['invite']>, leg: Awaited<ReturnType<Edge['nextInvite']>>, sessionId: number, headers?: Record<string, string>) {
    leg.respond(200, { body: sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId }), ...(headers ? { headers } : {}) });
    const answer = await a.finalResponse();
    expect(answer.status).toBe(200);
    await edge.nextRequest('ACK');
    a.bye();
    await edge.nextRequest('BYE');
    return answer;
  }

  it('offers Session-Expires (the callee refreshing) on the leg it places, and answers a caller that supports timers with its own', async () => {
    const a = edge.invite('4101', '4202', { headers: { Supported: 'timer' } });
    const b = await edge.nextInvite();
    expect(b.get('Session-Expires')).toBe('1800;refresher=uas');
    expect(b.get('Min-SE')).toBe('90');
    expect(b.get('Supported')).toContain('timer');
    const answer = await answerAndHangUp(a, b, 2000, { 'Session-Expires': '1800;refresher=uas', Require: 'timer' });
    expect(answer.get('Session-Expires')).toBe('1800;refresher=uac');
    expect(answer.get('Require')).toBe('timer');
  });

  it('a caller without timers is answered without Session-Expires; the leg placed still carries the offer', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    expect(b.get('Session-Expires')).toBe('1800;refresher=uas');
    expect((await answerAndHangUp(a, b, 2001)).get('Session-Expires')).toBeUndefined();
  });

  describe.each(['callee', 'caller'] as const)("the %s's session refresh by UPDATE without an offer", (side) => {
    it('is answered 200 with Session-Expires and Require: timer (RFC 4028 9): a refresher whose 2xx has none stops refreshing (7.2)', async () => {
      // A caller without an offer: connected once the callee's ACK carries its answer, the call's handlers in place by then.
      const a = edge.invite('4101', '4202', { sdp: null, autoAck: false, headers: { Supported: 'timer' } });
      const b = await edge.nextInvite();
      b.respond(200, { body: sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2010 }), headers: { 'Session-Expires': '1800;refresher=uas', Require: 'timer', Supported: 'timer' } });
      expect((await a.finalResponse()).get('Session-Expires')).toBe('1800;refresher=uac');
      a.ack({ body: sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 4010 }) });
      await edge.nextRequest('ACK');
      const refresh = (side === 'callee' ? b : a).sendInDialog('UPDATE', { headers: { 'Session-Expires': '1800;refresher=uac', Supported: 'timer' } });
      const ok = await refresh.finalResponse();
      expect(ok.status).toBe(200);
      expect(ok.get('Session-Expires')).toBe('1800;refresher=uac');
      expect(ok.get('Require')).toBe('timer');
      expect(ok.body).toBe('');
      a.bye();
      await edge.nextRequest('BYE');
    });
  });

  it('a 999 has no session timer: the emergency service, not a lapsed timer, ends it', async () => {
    const a = edge.invite('4101', '999', { headers: { Supported: 'timer' } });
    const b = await edge.nextInvite();
    expect(b.get('Session-Expires')).toBeUndefined();
    expect((await answerAndHangUp(a, b, 2002)).get('Session-Expires')).toBeUndefined();
  });

  it("a call a callee redirects to 999 loses the timer it started with: neither the trunk leg nor the caller's answer carries one", async () => {
    const a = edge.invite('4101', '4202', { headers: { Supported: 'timer' } });
    const b = await edge.nextInvite();
    expect(b.get('Session-Expires')).toBe('1800;refresher=uas');
    b.respond(302, { headers: { Contact: '<sip:999@pbx.herts.example.ac.uk>' } });
    const trunk = await edge.nextInvite();
    expect(trunk.uri).toMatch(/^sip:999@/);
    expect(trunk.get('Session-Expires')).toBeUndefined();
    expect(trunk.get('Min-SE')).toBeUndefined();
    expect((await answerAndHangUp(a, trunk, 2004)).get('Session-Expires')).toBeUndefined();
  });

  it('OPTIONS names UPDATE among the methods and timer among the extensions', async () => {
    const ok = await edge.fake.sendRequest(sip.request({ method: 'OPTIONS', ruri: 'sip:callguard.herts.example.ac.uk', from: 'sip:probe@192.0.2.5', to: 'sip:callguard.herts.example.ac.uk' }), { source_address: '192.0.2.5' }).finalResponse();
    expect(ok.get('Allow')).toMatch(/\bUPDATE\b/);
    expect(ok.get('Supported')).toBe('timer');
  });
});
