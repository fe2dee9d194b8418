/**
 * What real phones, PBXs, SBCs and probes send, through drachtio-srf's real code: legal display names
 * that look like markup, unreadable callers on 999, Max-Forwards, OPTIONS probes, PBX forwards, and a
 * bug in the pipeline itself. An emergency number is routed whatever else the request says.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { APP_HOST, EMERGENCY_TRUNK, Edge, EXTERNAL, PHONE_SOURCE, TRUSTED_SOURCE, until, withoutTransport } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

const SITE_MAIN_NUMBER = '+441707284000';

/** An INVITE with its From (and any other header) exactly as written. */
function inviteText(to: string, from: string, headers: Record<string, string> = {}, maxForwards?: number): string {
  return sip.request({ method: 'INVITE', ruri: `sip:${to}@${APP_HOST}`, from, to: `sip:${to}@${APP_HOST}`, maxForwards, contact: 'sip:caller@192.0.2.10:5060', headers, body: sip.sdp() });
}

describe('SIP edge: what the field sends', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start({ drainSeconds: 1 });
  });

  afterAll(async () => {
    await edge.stop();
  });

  /** Sends `text` and expects a B-leg: answers it, hangs up, and gives it back. */
  async function routed(text: string, source = PHONE_SOURCE) {
    const a = edge.fake.sendRequest(text, { source_address: source });
    const b = await edge.nextInvite();
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 }) });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    expect((await a.bye().finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
    return b;
  }

  /** Sends `text` and expects a final response without any B-leg. */
  async function refused(text: string, source = PHONE_SOURCE) {
    const final = await edge.fake.sendRequest(text, { source_address: source }).finalResponse();
    return { status: final.status, reason: final.get('Reason') };
  }

  describe('a display name that looks like markup is just a name', () => {
    const from = '"<script>x</script>" <sip:4101@192.0.2.10>';
    it('999 from it reaches the emergency trunk with 4101\'s callback', async () => {
      const b = await routed(inviteText('999', from));
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      expect(b.get('P-Asserted-Identity')).toBe('<tel:+441707284101>');
    });
    it('a premium number from it is refused as premium, not as a bad request', async () => {
      expect(await refused(inviteText('09011234567', from))).toEqual({ status: 403, reason: 'Q.850;cause=21;text="premium-barred"' });
    });
  });

  describe('an unreadable caller', () => {
    it.each(['<sip:@192.0.2.10>', '<sip:%C3%28@192.0.2.10>', '<mailto:someone@example.com>'])('999 from %s is routed as an unknown caller, with the site callback', async (from) => {
      const b = await routed(inviteText('999', from));
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      expect(b.get('P-Asserted-Identity')).toBe(`<tel:${SITE_MAIN_NUMBER}>`);
      expect(b.body).toContain('<RD>College Lane</RD>');
      await edge.waitForLog('the unknown caller', (l) => l.msg?.startsWith('emergency call from a caller that cannot be read') === true);
    });
    it('a meaningless From user never becomes the callback', async () => {
      const b = await routed(inviteText('999', "<sip:~!*'()@192.0.2.10>"));
      expect(b.get('P-Asserted-Identity')).toBe(`<tel:${SITE_MAIN_NUMBER}>`);
      expect(b.get('From')).not.toContain("~!*'()");
    });
    it('anything else from it is a bad request', async () => {
      expect((await refused(inviteText('09011234567', '<sip:@192.0.2.10>'))).status).toBe(400);
    });
  });

  describe('Max-Forwards', () => {
    it('0 is a loop: 483, even for an allowed number', async () => {
      expect((await refused(inviteText('4202', '<sip:4101@192.0.2.10>', {}, 0))).status).toBe(483);
    });
    it.each([
      [5, '4'],
      [70, '69'],
      [1, '0'],
    ])('%i hops in: the B-leg carries %s', async (hops, out) => {
      const b = await routed(inviteText('4202', '<sip:4101@192.0.2.10>', {}, hops));
      expect(b.get('Max-Forwards')).toBe(out);
    });
    it('an emergency B-leg carries one hop less too', async () => {
      const b = await routed(inviteText('999', '<sip:4101@192.0.2.10>', {}, 9));
      expect(b.get('Max-Forwards')).toBe('8');
    });
  });

  describe('calls the PBX forwards', () => {
    const outside = '"Caller" <sip:+447700900123@pbx.herts.example.ac.uk>';
    const diversion = { Diversion: '<sip:4101@pbx.herts.example.ac.uk>;reason=unconditional;counter=1' };
    it("to a mobile, for 4101: decided as 4101's call and placed on the trunk with the outside caller's number", async () => {
      const b = await routed(inviteText('07700900456', outside, diversion), TRUSTED_SOURCE);
      expect(b.uri).toBe(`sip:+447700900456@${EXTERNAL}`);
      expect(b.get('From')).toContain('+447700900123');
      const forwarded = await edge.waitForLog('the decision', (l) => l.msg === 'decision' && (l as { to?: string }).to === '07700900456');
      expect(forwarded).toMatchObject({ from: '4101' });
    });
    it('with History-Info, to a premium number: 403 premium-barred', async () => {
      const history = { 'History-Info': '<sip:4101@pbx.herts.example.ac.uk>;index=1, <sip:09011234567@pbx.herts.example.ac.uk;cause=302>;index=1.1' };
      expect(await refused(inviteText('09011234567', outside, history), TRUSTED_SOURCE)).toEqual({ status: 403, reason: 'Q.850;cause=21;text="premium-barred"' });
    });
    it('to 999: the emergency trunk', async () => {
      const b = await routed(inviteText('999', outside, diversion), TRUSTED_SOURCE);
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    });
    it('from a source that is not trusted, the Diversion is ignored: an outside caller may not use our trunk', async () => {
      expect(await refused(inviteText('07700900456', outside, diversion), PHONE_SOURCE)).toMatchObject({ status: 403, reason: 'Q.850;cause=21;text="unknown-caller"' });
    });
  });

  describe('OPTIONS', () => {
    const probe = () => edge.fake.sendRequest(sip.request({ method: 'OPTIONS', ruri: `sip:${APP_HOST}`, from: 'sip:probe@192.0.2.5', to: `sip:${APP_HOST}` }), { source_address: '192.0.2.5' }).finalResponse();
    it('200 with Allow, Accept and Supported while serving', async () => {
      const ok = await probe();
      expect(ok.status).toBe(200);
      expect(ok.get('Allow')).toContain('INVITE');
      expect(ok.get('Allow')).toContain('OPTIONS');
      expect(ok.get('Accept')).toBe('application/sdp');
      expect(ok.headers).toHaveProperty('supported');
    });
  });
});

describe('SIP edge: a bug in the pipeline', () => {
  it('never stops an emergency call: it goes to the emergency trunk directly, and anything else gets 500', async () => {
    // A clock that throws: every decision fails before it is made.
    const edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    try {
      const a = edge.invite('4101', '999');
      const b = await edge.nextInvite();
      expect(b.uri).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      // 4101's own DDI: the direct route still reads the caller.
      expect(b.get('P-Asserted-Identity')).toBe('<tel:+441707284101>');
      expect(b.get('Geolocation')).toBeDefined();
      b.respond(200, { body: sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 }) });
      expect((await a.finalResponse()).status).toBe(200);
      await edge.waitForLog('the fallback', (l) => l.msg?.startsWith('call handling failed on an emergency call') === true);
      expect(await edge.metric('callguard_emergency_fallbacks_total')).toBe(1);
      expect((await edge.invite('4101', '4202').finalResponse()).status).toBe(500);
    } finally {
      await edge.stop();
    }
  });
});

describe('SIP edge: OPTIONS while draining', () => {
  it('503 with Retry-After, so a prober takes the instance out', async () => {
    const edge = await Edge.start({ drainSeconds: 5 });
    try {
      const a = await edge.connect('4101', '4202');
      const draining = edge.drain();
      const probe = await edge.fake.sendRequest(sip.request({ method: 'OPTIONS', ruri: `sip:${APP_HOST}`, from: 'sip:probe@192.0.2.5', to: `sip:${APP_HOST}` }), { source_address: '192.0.2.5' }).finalResponse();
      expect(probe.status).toBe(503);
      expect(probe.get('Retry-After')).toBeDefined();
      expect((await a.a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
      await draining;
    } finally {
      await edge.stop();
    }
  });
});

/**
 * drachtio-srf's Response#send throws on a status its list does not name, and a throw inside its
 * response handling ends the process: every status a far end sends must reach the caller as one it
 * can send (RFC 3261 §8.1.3.2, §21: unknown 1xx as 183, unknown finals as the class's x00).
 */
describe('SIP edge: statuses drachtio-srf does not know', () => {
  const FAR_SDP = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });
  let edge: Edge | undefined;

  afterEach(async () => {
    await edge?.stop();
    edge = undefined;
  });

  it('a phone answering 184 with SDP: the caller gets it as 183 early media, the call connects, and the next call is served', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(184, { body: FAR_SDP });
    const early = await a.nextResponse();
    expect(early.status).toBe(183);
    expect(early.body).toBe(FAR_SDP);
    b.respond(200, { body: FAR_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    expect((await edge.invite('4101', '909012345678').finalResponse()).status).toBe(403);
  });

  it('both emergency routes answering 608 Rejected (RFC 8688): the 999 caller gets 600, and Security hears it failed everywhere', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '999', { sdp: sip.sdp() });
    (await edge.nextInvite()).respond(608);
    (await edge.nextInvite()).respond(608);
    expect((await a.finalResponse()).status).toBe(600);
    await until('the alert', () => edge!.fake.outboundRequests.some((r) => r.method === 'MESSAGE' && r.body.includes('failed on every route')));
  });

  it('the direct route taken when call handling fails, the trunk answering 608: the caller gets 600', async () => {
    edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    const a = edge.invite('4101', '999', { sdp: sip.sdp() });
    (await edge.nextInvite()).respond(608);
    expect((await a.finalResponse()).status).toBe(600);
  });

  it.each([
    ['without a body', 180, undefined],
    ['with SDP', 183, FAR_SDP],
  ] as const)('the direct route, the trunk answering 184 %s: the 999 caller hears %s and the call connects', async (_form, heard, body) => {
    edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    const a = edge.invite('4101', '999', { sdp: sip.sdp() });
    const trunk = await edge.nextInvite();
    trunk.respond(184, body ? { body } : {});
    expect((await a.nextResponse()).status).toBe(heard);
    trunk.respond(200, { body: FAR_SDP });
    expect((await a.finalResponse()).status).toBe(200);
  });
});
