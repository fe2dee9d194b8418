/**
 * Restrictions must not leak through transfers and redirects: a REFER on a connected call and a 3xx
 * from the callee are decided as a call from that party; refused ones get 403 (REFER) or are not
 * followed (3xx, the caller gets 403); allowed redirects go through our own routes.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { EMERGENCY_TRUNK, Edge, EXTERNAL, INTERNAL, withoutTransport } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';

/** The caller hangs up a connected call; its callee gets the BYE. */
async function hangUp(edge: Edge, a: InboundTransaction): Promise<void> {
  expect((await a.bye().finalResponse()).status).toBe(200);
  (await edge.nextRequest('BYE')).respond(200);
}

describe('SIP edge: REFER and 3xx', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start();
  });

  afterAll(async () => {
    await edge.stop();
  });

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
      await hangUp(edge, call.a);
    });

    it("to an allowed internal number: forwarded to the other party, whose answer comes back, and whose NOTIFYs of the new call's progress reach the transferor (RFC 3515 2.4.4)", async () => {
      const call = await edge.connect('4101', '4202');
      const transfer = refer(side, call, '4150');
      const forwarded = await edge.nextRequest('REFER');
      const [transferor, transferee] = side === 'caller' ? [call.a.request!.callId, call.b.get('Call-ID')] : [call.b.get('Call-ID'), call.a.request!.callId];
      expect(forwarded.get('Call-ID')).toBe(transferee);
      expect(forwarded.get('Refer-To')).toContain('sip:4150@');
      forwarded.respond(202);
      expect((await transfer.finalResponse()).status).toBe(202);
      const referSeq = transfer.request!.get('CSeq')!.split(' ')[0];
      for (const [state, frag] of [['active;expires=60', 'SIP/2.0 100 Trying\r\n'], ['terminated;reason=noresource', 'SIP/2.0 200 OK\r\n']]) {
        const headers = { Event: `refer;id=${forwarded.get('CSeq')!.split(' ')[0]}`, 'Subscription-State': state! };
        const notify = (side === 'caller' ? call.b : call.a).sendInDialog('NOTIFY', { headers, body: frag, contentType: 'message/sipfrag;version=2.0' });
        expect((await notify.finalResponse()).status).toBe(200);
        const relayed = await edge.nextRequest('NOTIFY');
        expect(relayed.get('Call-ID')).toBe(transferor);
        expect(relayed.get('Event')).toBe(`refer;id=${referSeq}`);
        expect(relayed.get('Subscription-State')).toBe(state);
        expect(relayed.get('Content-Type')).toBe('message/sipfrag;version=2.0');
        expect(relayed.body).toBe(frag);
        relayed.respond(200);
      }
      await hangUp(edge, call.a);
    });

    it('to 999: never refused', async () => {
      const call = await edge.connect('4101', '4202');
      const transfer = refer(side, call, '999');
      const forwarded = await edge.nextRequest('REFER');
      expect(forwarded.get('Refer-To')).toContain('sip:999@');
      forwarded.respond(202);
      expect((await transfer.finalResponse()).status).toBe(202);
      await hangUp(edge, call.a);
    });
  });

  it('a REFER from a locked international user to an international number is refused (403)', async () => {
    const call = await edge.connect('4101', '4202');
    const answer = await refer('caller', call, '90033142685300').finalResponse();
    expect(answer.status).toBe(403);
    await hangUp(edge, call.a);
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
    await hangUp(edge, a);
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
    await hangUp(edge, a);
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

/**
 * An attended transfer completing through callguard (RFC 5589 §7): the transferee's INVITE carries
 * Replaces naming the transferor's consultation dialog as we hold it; the target knows only our other
 * leg of that call, so that is what its INVITE must name.
 */
describe('SIP edge: INVITE with Replaces (RFC 3891)', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start();
  });

  afterAll(async () => {
    await edge.stop();
  });

  const tag = (header: string | undefined) => /;\s*tag=([^;>\s]+)/i.exec(header ?? '')?.[1];

  /**
   * 4101 talking to 4150, then consulting 4202, then transferring 4150 to 4202 (RFC 5589 §7.1): the
   * REFER on the first call carries the consultation dialog, named as the transferor holds it.
   */
  async function consultedTransfer() {
    const first = await edge.connect('4101', '4150');
    const consultation = await edge.connect('4101', '4202');
    const answered = consultation.a.responses.find((r) => r.status === 200)!;
    const replaces = `${consultation.a.request!.callId};to-tag=${tag(answered.message.get('To'))};from-tag=${tag(consultation.a.request!.get('From'))}`;
    const refer = first.a.sendInDialog('REFER', { headers: { 'Refer-To': `<sip:4202@pbx.herts.example.ac.uk?Replaces=${encodeURIComponent(replaces)}>` } });
    const forwarded = await edge.nextRequest('REFER');
    forwarded.respond(202);
    expect((await refer.finalResponse()).status).toBe(202);
    const farEndTag = tag(consultation.b.responses.find((r) => r.status === 200)!.message.get('To'));
    return { first, consultation, replaces, calleeLeg: `${consultation.b.get('Call-ID')};to-tag=${farEndTag};from-tag=${tag(consultation.b.get('From'))}` };
  }

  it("the transferee's INVITE reaches the target naming our leg to the target, with the tags as the target holds them", async () => {
    const { first, consultation, replaces, calleeLeg } = await consultedTransfer();
    const transferee = await edge.connect('4150', '4202', { headers: { Replaces: replaces, Require: 'replaces' } });
    expect(transferee.b.get('Replaces')).toBe(calleeLeg);
    expect(transferee.b.get('Require')).toBe('replaces');
    // The target ends the call it replaced: the transferor's side goes with it.
    expect((await consultation.b.sendInDialog('BYE').finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
    await hangUp(edge, first.a);
    await hangUp(edge, transferee.a);
  });

  it('early-only is kept, and the call is decided as usual: a barred transferee gets 403 and the target nothing', async () => {
    const { first, consultation, replaces, calleeLeg } = await consultedTransfer();
    const transferee = await edge.connect('4150', '4202', { headers: { Replaces: `${replaces};early-only` } });
    expect(transferee.b.get('Replaces')).toBe(`${calleeLeg};early-only`);
    expect(transferee.b.get('Require')).toBeUndefined();
    await hangUp(edge, transferee.a);
    const before = edge.fake.outboundRequests.length;
    const barred = await edge.invite('4101', '909012345678', { headers: { Replaces: replaces } }).finalResponse();
    expect(barred.status).toBe(403);
    expect(edge.fake.outboundRequests.slice(before).filter((r) => r.method === 'INVITE')).toHaveLength(0);
    await hangUp(edge, first.a);
    await hangUp(edge, consultation.a);
  });

  it('a Replaces naming no dialog of ours (another instance, or a call that never came through us) is passed on as written', async () => {
    const elsewhere = 'a84b4c76e66710@pc33.example.com;to-tag=1928301774;from-tag=776asdhds';
    const transferee = await edge.connect('4150', '4202', { headers: { Replaces: elsewhere } });
    expect(transferee.b.get('Replaces')).toBe(elsewhere);
    await hangUp(edge, transferee.a);
  });
});

/** The transferee's NOTIFYs of a transfer's progress (RFC 3515): each reaches the transferor once, in its REFER's subscription. */
describe('SIP edge: NOTIFYs of a transfer', () => {
  let edge: Edge;
  const SIPFRAG = 'message/sipfrag;version=2.0';
  const seqOf = (r: { get(name: string): string | undefined }) => r.get('CSeq')!.split(' ')[0]!;

  // An edge of its own per test: a NOTIFY one test left must not be taken by the next.
  beforeEach(async () => {
    edge = await Edge.start();
  });

  afterEach(async () => {
    await edge.stop();
  });

  function refer(call: { a: InboundTransaction }, target: string): InboundTransaction {
    return call.a.sendInDialog('REFER', { headers: { 'Refer-To': `<sip:${target}@pbx.herts.example.ac.uk>` } });
  }

  it("a second REFER on the same call: each NOTIFY of the second transfer reaches the transferor once, in the second REFER's subscription (not also in the first's)", async () => {
    const call = await edge.connect('4101', '4202');
    // First transfer: accepted, its progress relayed, not yet terminated (the target still rings).
    const first = refer(call, '4150');
    const forwarded1 = await edge.nextRequest('REFER');
    forwarded1.respond(202);
    expect((await first.finalResponse()).status).toBe(202);
    const trying = call.b.sendInDialog('NOTIFY', { headers: { Event: `refer;id=${seqOf(forwarded1)}`, 'Subscription-State': 'active;expires=60' }, body: 'SIP/2.0 100 Trying\r\n', contentType: SIPFRAG });
    expect((await trying.finalResponse()).status).toBe(200);
    const relayed1 = await edge.nextRequest('NOTIFY');
    expect(relayed1.get('Event')).toBe(`refer;id=${seqOf(first.request!)}`);
    relayed1.respond(200);

    // The transferor tries another target: a second REFER on the same dialog.
    const second = refer(call, '4150');
    const forwarded2 = await edge.nextRequest('REFER');
    forwarded2.respond(202);
    expect((await second.finalResponse()).status).toBe(202);
    const before = edge.fake.outboundRequests.filter((r) => r.method === 'NOTIFY').length;
    const done = call.b.sendInDialog('NOTIFY', { headers: { Event: `refer;id=${seqOf(forwarded2)}`, 'Subscription-State': 'terminated;reason=noresource' }, body: 'SIP/2.0 200 OK\r\n', contentType: SIPFRAG });
    expect((await done.finalResponse()).status).toBe(200);
    const relayed2 = await edge.nextRequest('NOTIFY');
    relayed2.respond(200);
    await hangUp(edge, call.a);
    // Once, in the second REFER's subscription: not also in the first's, which would tell the transferor
    // that the first transfer had succeeded and ended while its target still rang.
    const sent = edge.fake.outboundRequests.filter((r) => r.method === 'NOTIFY').slice(before);
    expect(sent.map((r) => r.get('Event'))).toEqual([`refer;id=${seqOf(second.request!)}`]);
  });

  it("the transferee's first NOTIFY following its 202 at once (one read from drachtio-server): relayed to the transferor", async () => {
    const call = await edge.connect('4101', '4202');
    const transfer = refer(call, '4150');
    const forwarded: OutboundRequest = await edge.nextRequest('REFER');
    // A phone sends its 202 and its first NOTIFY back to back; drachtio-server passes both on together.
    forwarded.respond(202);
    const trying = call.b.sendInDialog('NOTIFY', { headers: { Event: `refer;id=${seqOf(forwarded)}`, 'Subscription-State': 'active;expires=60' }, body: 'SIP/2.0 100 Trying\r\n', contentType: SIPFRAG });
    expect((await transfer.finalResponse()).status).toBe(202);
    expect((await trying.finalResponse()).status).toBe(200);
    const relayed = await edge.nextRequest('NOTIFY', 2_000);
    expect(relayed.body).toBe('SIP/2.0 100 Trying\r\n');
    relayed.respond(200);
    await hangUp(edge, call.a);
  });

  it("the transferee's first NOTIFY overtaking its 202 (RFC 3515/6665: a NOTIFY may arrive before the 2xx; UDP reorders): relayed to the transferor once the REFER is accepted", async () => {
    const call = await edge.connect('4101', '4202');
    const transfer = refer(call, '4150');
    const forwarded = await edge.nextRequest('REFER');
    const trying = call.b.sendInDialog('NOTIFY', { headers: { Event: `refer;id=${seqOf(forwarded)}`, 'Subscription-State': 'active;expires=60' }, body: 'SIP/2.0 100 Trying\r\n', contentType: SIPFRAG });
    expect((await trying.finalResponse()).status).toBe(200);
    forwarded.respond(202);
    expect((await transfer.finalResponse()).status).toBe(202);
    const relayed = await edge.nextRequest('NOTIFY', 2_000);
    expect(relayed.body).toBe('SIP/2.0 100 Trying\r\n');
    relayed.respond(200);
    await hangUp(edge, call.a);
  });
});
