/**
 * Who is calling: P-Asserted-Identity believed only from a trusted source, the From user otherwise;
 * callers the plan does not know; calls from the trunk to a DDI routed to the extension; a caller's
 * number withheld (RFC 3323 Privacy, UK 141) on every leg but the emergency call's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_HOST, EMERGENCY_TRUNK, Edge, EXTERNAL, INTERNAL, TRUSTED_SOURCE } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

describe('SIP edge: caller identity and inbound calls', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start();
  });

  afterAll(async () => {
    await edge.stop();
  });

  it('from a trusted source, the P-Asserted-Identity user is the caller (4101: its DDI goes out)', async () => {
    const a = edge.invite('anonymous', '901707123456', { pai: 'sip:4101@pbx.herts.example.ac.uk', source: TRUSTED_SOURCE });
    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:+441707123456@${EXTERNAL}`);
    expect(b.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+441707284101[>@;]/);
    b.respond(486);
    expect((await a.finalResponse()).status).toBe(486);
  });

  it('from an untrusted source, P-Asserted-Identity is ignored and the From user is the caller', async () => {
    // 4202 claims to be 4101: the call is 4202's (no DDI: the main number goes out)
    const a = edge.invite('4202', '901707123456', { pai: 'sip:4101@pbx.herts.example.ac.uk' });
    const b = await edge.nextInvite();
    expect(b.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+441707284000[>@;]/);
    b.respond(486);
    await a.finalResponse();
  });

  it('an untrusted P-Asserted-Identity cannot lend an outsider an extension\'s class of service', async () => {
    const a = edge.invite('+447700900123', '901707123456', { pai: 'sip:4101@pbx.herts.example.ac.uk' });
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="unknown-caller"');
  });

  it('a trusted source with a garbled P-Asserted-Identity falls back to From', async () => {
    const a = edge.invite('4101', '909012345678', { pai: 'not a uri at all', source: TRUSTED_SOURCE });
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
  });

  it('an unknown caller breaking out gets 403 unknown-caller', async () => {
    const a = edge.invite('5555', '901707123456');
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="unknown-caller"');
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.get('Call-ID') === a.request!.callId)).toHaveLength(0);
  });

  it.each([
    ['E.164', 'sip:+441707284101@' + APP_HOST],
    ['national', 'sip:01707284101@' + APP_HOST],
    ['tel: URI', 'tel:+44-1707-284101'],
  ])('inbound from the trunk to the DDI (%s) reaches sip:4101@<routes.internal>, the caller kept', async (_form, ruri) => {
    const a = edge.invite('+447700900123', '', { ruri, fromUri: 'sip:+447700900123@trunk.herts.example.ac.uk' });
    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:4101@${INTERNAL}`);
    expect(sip.userOf(sip.uriOf(b.get('From')!))).toBe('+447700900123');
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.20' }) });
    expect((await a.finalResponse()).status).toBe(200);
    expect((await a.bye().finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
  });

  it('inbound from the trunk to a number that is not ours is refused, never forwarded', async () => {
    const a = edge.invite('+447700900123', '+441707123456', { fromUri: 'sip:+447700900123@trunk.herts.example.ac.uk' });
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="unknown-caller"');
  });

  describe("the caller's number withheld (RFC 3323/3325: an anonymous From, Privacy: id, the P-Asserted-Identity kept for the trunk)", () => {
    const ANONYMOUS_FROM = /^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/;

    /** The B leg as placed, then refused so the next case starts clean. */
    async function placed(a: ReturnType<Edge['invite']>): Promise<Awaited<ReturnType<Edge['nextInvite']>>> {
      const b = await edge.nextInvite();
      b.respond(486);
      expect((await a.finalResponse()).status).toBe(486);
      return b;
    }

    it.each([
      ['dialled 141 after the outside prefix', '914107700900123', {}],
      ['dialled 141 before it', '141907700900123', {}],
      ["the phone's Privacy: id", '907700900123', { Privacy: 'id' }],
      ['Privacy: user;critical', '907700900123', { Privacy: 'user;critical' }],
    ])('4101 to a mobile, %s: From anonymous, Privacy: id, P-Asserted-Identity its DDI', async (_how, dialled, headers) => {
      const b = await placed(edge.invite('4101', dialled, { headers }));
      expect(b.uri).toBe(`sip:+447700900123@${EXTERNAL}`);
      expect(b.get('From')).toMatch(ANONYMOUS_FROM);
      expect(b.get('Privacy')).toBe('id');
      expect(b.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+441707284101[>@;]/);
      expect(b.raw).not.toMatch(/^(From|Contact):.*4101/im);
    });

    it.each([
      ['Privacy: none', { Privacy: 'none' }, '907700900123'],
      ['1470 after 141 (the prefix nearest the number decides)', {}, '9141147007700900123'],
    ])('%s: the number is shown as usual', async (_how, headers, dialled) => {
      const b = await placed(edge.invite('4101', dialled, { headers }));
      expect(b.get('From')).toMatch(/<sip:4101@/);
      expect(b.get('Privacy')).toBeUndefined();
    });

    it("an outside caller the trunk delivers withheld (From anonymous, its number in P-Asserted-Identity, Privacy: id) reaches the extension's phone withheld", async () => {
      const a = edge.invite('anonymous', '', {
        ruri: `sip:+441707284101@${APP_HOST}`,
        fromUri: 'sip:anonymous@anonymous.invalid',
        pai: 'sip:+447700900123@trunk.herts.example.ac.uk',
        source: TRUSTED_SOURCE,
        headers: { Privacy: 'id' },
      });
      const b = await placed(a);
      expect(b.uri).toBe(`sip:4101@${INTERNAL}`);
      expect(b.get('From')).toMatch(ANONYMOUS_FROM);
      expect(b.get('Privacy')).toBe('id');
      expect(b.raw).not.toContain('7700900123');
    });

    it('4101 withholding its number on 999 (141, Privacy: id) is still shown to the emergency service: callback, its own From, no Privacy', async () => {
      const a = edge.invite('4101', '9141999', { headers: { Privacy: 'id' } });
      const b = await edge.nextInvite();
      expect(b.uri).toMatch(new RegExp(`^sip:999@${EMERGENCY_TRUNK}`));
      expect(b.get('P-Asserted-Identity')).toMatch(/^<(tel|sip):\+441707284101[>@;]/);
      expect(b.get('From')).toMatch(/<sip:4101@/);
      expect(b.get('Privacy')).toBeUndefined();
      b.respond(200, { body: sip.sdp({ ip: '192.0.2.99' }) });
      expect((await a.finalResponse()).status).toBe(200);
      await edge.nextRequest('ACK');
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });
  });
});
