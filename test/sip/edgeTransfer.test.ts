/**
 * Restrictions must not leak through transfers and redirects: a REFER on a connected call and a 3xx
 * from the callee are decided as a call from that party; refused ones get 403 (REFER) or are not
 * followed (3xx, the caller gets 403); allowed redirects go through our own routes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EMERGENCY_TRUNK, Edge, EXTERNAL, INTERNAL, withoutTransport } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';

describe('SIP edge: REFER and 3xx', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start();
  });

  afterAll(async () => {
    await edge.stop();
  });

  async function hangUp(a: InboundTransaction): Promise<void> {
    expect((await a.bye().finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
  }

  /** A REFER from `side` of a connected 4101 → 4202 call. */
  function refer(side: 'caller' | 'callee', call: { a: InboundTransaction; b: OutboundRequest }, target: string): InboundTransaction {
    const headers = { 'Refer-To': `<sip:${target}@pbx.herts.example.ac.uk>` };
    return side === 'caller' ? call.a.sendInDialog('REFER', { headers }) : call.b.sendInDialog('REFER', { headers });
  }

  describe.each(['caller', 'callee'] as const)('REFER from the %s', (side) => {
    it('to a premium number: 403 with the reason, nothing passed on', async () => {
      const call = await edge.connect('4101', '4202');
      const before = edge.fake.outboundRequests.length;
      const answer = await refer(side, call, '909012345678').finalResponse();
      expect(answer.status).toBe(403);
      expect(answer.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
      expect(edge.fake.outboundRequests.slice(before).filter((r) => r.method === 'REFER')).toHaveLength(0);
      await hangUp(call.a);
    });

    it('to an allowed internal number: forwarded to the other party, whose answer comes back', async () => {
      const call = await edge.connect('4101', '4202');
      const transfer = refer(side, call, '4150');
      const forwarded = await edge.nextRequest('REFER');
      expect(forwarded.get('Call-ID')).toBe(side === 'caller' ? call.b.get('Call-ID') : call.a.request!.callId);
      expect(forwarded.get('Refer-To')).toContain('sip:4150@');
      forwarded.respond(202);
      expect((await transfer.finalResponse()).status).toBe(202);
      await hangUp(call.a);
    });

    it('to 999: never refused', async () => {
      const call = await edge.connect('4101', '4202');
      const transfer = refer(side, call, '999');
      const forwarded = await edge.nextRequest('REFER');
      expect(forwarded.get('Refer-To')).toContain('sip:999@');
      forwarded.respond(202);
      expect((await transfer.finalResponse()).status).toBe(202);
      await hangUp(call.a);
    });
  });

  it('a REFER from a locked international user to an international number is refused (403)', async () => {
    const call = await edge.connect('4101', '4202');
    const answer = await refer('caller', call, '90033142685300').finalResponse();
    expect(answer.status).toBe(403);
    await hangUp(call.a);
  });

  it('3xx to a premium number: not followed, the caller gets 403 with the reason', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(302, { headers: { Contact: '<sip:909012345678@evil.example.com>' } });
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.get('Call-ID') !== b.get('Call-ID') && r.uri.includes('909012345678'))).toHaveLength(0);
  });

  it('3xx to an allowed internal number: followed through routes.internal, never to the host in the Contact', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(302, { headers: { Contact: '<sip:4150@evil.example.com>' } });
    const next = await edge.nextInvite();
    expect(next.uri).toBe(`sip:4150@${INTERNAL}`);
    next.respond(200, { body: sip.sdp({ ip: '192.0.2.40' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    await hangUp(a);
  });

  it('3xx to an allowed public number: followed through routes.external', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(301, { headers: { Contact: '<sip:01707123456@evil.example.com>' } });
    const next = await edge.nextInvite();
    expect(next.uri).toBe(`sip:+441707123456@${EXTERNAL}`);
    expect(next.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+44/);
    next.respond(486);
    expect((await a.finalResponse()).status).toBe(486);
  });

  it('3xx to 999: never refused, carried out as an emergency call (trunk, location, alert)', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(302, { headers: { Contact: '<sip:999@evil.example.com>' } });
    const next = await edge.nextInvite();
    expect(withoutTransport(next.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    expect(next.get('Geolocation')).toMatch(/^<cid:/);
    expect(next.body).toContain('application/pidf+xml');
    next.respond(200, { body: sip.sdp({ ip: '192.0.2.50' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    await hangUp(a);
  });

  it('a redirect loop ends after a few hops with a failure for the caller', async () => {
    const a = edge.invite('4101', '4202');
    let hops = 0;
    for (;;) {
      const next = await Promise.race([a.finalResponse(), edge.nextInvite()]);
      if (!('respond' in next)) break;
      expect(next.uri).toBe(`sip:4202@${INTERNAL}`);
      next.respond(302, { headers: { Contact: '<sip:4202@loop.example.com>' } });
      if (++hops > 10) throw new Error('redirects followed for ever');
    }
    expect((await a.finalResponse()).status).toBeGreaterThanOrEqual(400);
  });
});
