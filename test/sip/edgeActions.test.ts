/**
 * callguard serve's SIP edge, in-process against the fake drachtio-server: each decision's action as
 * the SIP contract puts it on the wire (reject with Reason, allow internal and public, pin-required,
 * recorded extensions without a media server).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Edge, EXTERNAL, INTERNAL, until } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

describe('SIP edge: actions on the wire', () => {
  let edge: Edge;

  beforeEach(async () => {
    edge = await Edge.start();
  });

  afterEach(async () => {
    await edge.stop();
  });

  describe('reject: the decision status with a Q.850 Reason', () => {
    it.each([
      ['premium', '4101', '909012345678', 403, 'Q.850;cause=21;text="premium-barred"'],
      ['invalid', '4101', '4999', 484, 'Q.850;cause=28;text="invalid-number"'],
      ['unknown extension', '+441234567890', '4999', 404, 'Q.850;cause=1;text="unknown-extension"'],
    ])('%s: %s → %s gets %i', async (_what, from, to, status, reason) => {
      const a = edge.invite(from, to);
      const final = await a.finalResponse();
      expect(final.status).toBe(status);
      expect(final.generatedBy).toBe('app');
      expect(final.get('Reason')).toBe(reason);
      // nothing was dialled
      expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE')).toHaveLength(0);
    });
  });

  describe('allow internal', () => {
    it('B-leg INVITE to sip:4202@<routes.internal>, From keeps the caller; the answer reaches A with B\'s SDP', async () => {
      const offer = sip.sdp({ ip: '192.0.2.10', port: 40000 });
      const a = edge.invite('4101', '4202', { sdp: offer });
      const b = await edge.nextInvite();
      expect(b.uri).toBe(`sip:4202@${INTERNAL}`);
      expect(sip.userOf(sip.uriOf(b.get('From')!))).toBe('4101');
      expect(b.body).toBe(offer);

      b.respond(180);
      expect((await a.nextResponse()).status).toBe(180);
      const answer = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });
      b.respond(200, { body: answer });
      const ok = await a.finalResponse();
      expect(ok.status).toBe(200);
      expect(ok.body).toBe(answer);
      await edge.nextRequest('ACK');

      // BYE from the caller tears down the callee
      expect((await a.bye().finalResponse()).status).toBe(200);
      const bye = await edge.nextRequest('BYE');
      expect(bye.get('Call-ID')).toBe(b.get('Call-ID'));
      bye.respond(200);
      await until('no call in progress', async () => (await edge.callsInProgress) === 0);
    });

    it('BYE from the callee tears down the caller', async () => {
      const { a, b } = await edge.connect('4101', '4202');
      expect((await b.bye().finalResponse()).status).toBe(200);
      const bye = await edge.nextRequest('BYE');
      expect(bye.get('Call-ID')).toBe(a.request!.callId);
      bye.respond(200);
      await until('no call in progress', async () => (await edge.callsInProgress) === 0);
    });

    it('a callee failure reaches the caller as a final response', async () => {
      const a = edge.invite('4101', '4202');
      (await edge.nextInvite()).respond(486);
      expect((await a.finalResponse()).status).toBe(486);
    });
  });

  describe('allow public', () => {
    it('B-leg INVITE to sip:<E.164>@<routes.external> with the caller\'s DDI in P-Asserted-Identity', async () => {
      const a = edge.invite('4101', '901707123456');
      const b = await edge.nextInvite();
      expect(b.uri).toBe(`sip:+441707123456@${EXTERNAL}`);
      expect(b.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+441707284101[>@;]/);
      b.respond(200, { body: sip.sdp({ ip: '192.0.2.30' }) });
      expect((await a.finalResponse()).status).toBe(200);
      await edge.nextRequest('ACK');
      a.bye();
      (await edge.nextRequest('BYE')).respond(200);
    });

    it('an extension without a DDI presents site.mainNumber', async () => {
      const a = edge.invite('4202', '901707123456');
      const b = await edge.nextInvite();
      expect(b.uri).toBe(`sip:+441707123456@${EXTERNAL}`);
      expect(b.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+441707284000[>@;]/);
      b.respond(503);
      expect((await a.finalResponse()).status).toBeGreaterThanOrEqual(400);
    });
  });

  describe('pin-required and recording without a media server', () => {
    it('a locked international user (4101 → 9 0033 1 42 68 53 00) gets 503 with a Reason and nothing is dialled', async () => {
      const a = edge.invite('4101', '90033142685300');
      const final = await a.finalResponse();
      expect(final.status).toBe(503);
      expect(final.get('Reason')).toMatch(/^Q\.850;cause=\d+;text="[^"]+"$/);
      expect(final.get('Retry-After')).toBeTruthy();
      expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE')).toHaveLength(0);
    });

    it('recorded extension, noticeUnavailable connect-flagged (the sample): connected, and the log line flags it', async () => {
      const a = edge.invite('4101', '3000');
      const b = await edge.nextInvite();
      expect(b.uri).toBe(`sip:3000@${INTERNAL}`);
      b.respond(200, { body: sip.sdp({ ip: '192.0.2.20' }) });
      expect((await a.finalResponse()).status).toBe(200);
      const flagged = await edge.waitForLog('recording flag', (l) => l.recordingUnavailable === true);
      expect(flagged).toMatchObject({ from: '4101', to: '3000', callId: a.request!.callId });
      await edge.nextRequest('ACK');
      a.bye();
      (await edge.nextRequest('BYE')).respond(200);
    });
  });

  it('every decision is logged with who, what, class, decision and reason', async () => {
    const a = edge.invite('4101', '909012345678');
    await a.finalResponse();
    const line = await edge.waitForLog('decision line', (l) => l.callId === a.request!.callId && 'reason' in l);
    expect(JSON.stringify(line)).toContain('premium-barred');
    expect(JSON.stringify(line)).toContain('4101');
  });
});

describe('SIP edge: recorded extension with noticeUnavailable: refuse', () => {
  let edge: Edge;

  afterEach(async () => {
    await edge.stop();
  });

  it('503 with a Reason, nothing dialled', async () => {
    edge = await Edge.start();
    const site = (await import('node:fs')).readFileSync(`${edge.plan.dir}/site.yaml`, 'utf8');
    edge.plan.write('site.yaml', site.replace('noticeUnavailable: connect-flagged', 'noticeUnavailable: refuse'));
    await edge.waitForLog('plan reload', (l) => l.msg === 'dialplan reloaded');
    const a = edge.invite('4101', '3000');
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="recording-notice-unavailable"');
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE')).toHaveLength(0);
  });
});
