/**
 * Emergency calls on the wire (trunk URI, callback in P-Asserted-Identity, location by value in a
 * multipart body small enough for UDP, public-trunk failover) and the Security alert on its three
 * channels: a SIP MESSAGE, XADD on a real redis-server's `callguard:alerts`, a POST to a local webhook.
 * A failing channel never holds or fails the call.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMERGENCY_TRUNK, Edge, EXTERNAL, INTERNAL, PHONE_SOURCE, TRUSTED_SOURCE, multipartParts, until, withoutTransport } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import { RedisServer } from '../support/redisServer.js';
import * as sip from '../support/sipText.js';
import { BARESIP_OFFER, BARESIP_VIDEO_OFFER, WEBRTC_SIZED_OFFER } from '../support/offers.js';
import { emergencyOffer } from '../../src/sip/emergencySdp.js';

const OFFER = sip.sdp({ ip: '192.0.2.10', port: 40000 });
/** A one-codec offer like SIPp's (130 bytes). */
const SMALL_OFFER = 'v=0\r\no=user1 53655765 2353687637 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n';
/** What a desk phone offers (G.722, G.711, G.729, telephone-event, ptime): about 300 bytes. */
const DESK_PHONE_OFFER = [
  'v=0', 'o=- 1700000000 1700000000 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0',
  'm=audio 40000 RTP/AVP 9 0 8 18 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:18 G729/8000', 'a=fmtp:18 annexb=no', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv', '',
].join('\r\n');
const ANSWER = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });
/** A softphone's own geodetic fix (RFC 5491 point) by value. */
const DEVICE_PIDF =
  '<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" entity="pres:4101@192.0.2.10">' +
  '<tuple id="gps"><status><gp:geopriv><gp:location-info><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>51.7520 -0.2400</gml:pos></gml:Point></gp:location-info>' +
  '<gp:usage-rules/><gp:method>GPS</gp:method></gp:geopriv></status></tuple></presence>';
/** A 999 from a device that sends its location (RFC 6442): SDP and PIDF-LO in one multipart body, and a reference. */
const DEVICE_LOCATED = {
  sdp: `--dev\r\nContent-Type: application/sdp\r\n\r\n${SMALL_OFFER}\r\n--dev\r\nContent-Type: application/pidf+xml\r\nContent-ID: <gps@192.0.2.10>\r\n\r\n${DEVICE_PIDF}\r\n--dev--\r\n`,
  contentType: 'multipart/mixed;boundary=dev',
  headers: { Geolocation: '<cid:gps@192.0.2.10>;loc-src=lis.example.com, <https://lis.example.com/loc/7f3a>' },
};

/** A local webhook: records every POST; answers with `status`, or holds the request until released. */
class Webhook {
  readonly posts: Array<Record<string, string>> = [];
  status = 200;
  hold = false;
  private held: ServerResponse[] = [];
  private constructor(private readonly server: Server) {}

  static async start(): Promise<Webhook> {
    let hook: Webhook | undefined;
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        hook!.posts.push(JSON.parse(body) as Record<string, string>);
        if (hook!.hold) hook!.held.push(res);
        else res.writeHead(hook!.status).end();
      });
    });
    hook = new Webhook(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return hook;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/alerts`;
  }

  release(): void {
    for (const res of this.held.splice(0)) res.writeHead(200).end();
  }

  async stop(): Promise<void> {
    this.release();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

async function streamEntries(url: string): Promise<Array<Record<string, string>>> {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    const entries = (await client.xRange('callguard:alerts', '-', '+')) ?? [];
    return entries.map((e) => ({ ...e.message }) as Record<string, string>);
  } finally {
    await client.close();
  }
}

/**
 * Everything the SIP contract says about the emergency INVITE: the trunk URI (over TCP when the request
 * is larger than one UDP datagram may be), the callback, and the whole PIDF-LO (every civic element).
 */
function expectEmergencyInvite(invite: OutboundRequest, expected: { uri: string; callback: string; address: string[]; loc: string | RegExp; offer?: string }): void {
  const size = Buffer.byteLength(invite.raw, 'utf8');
  // RFC 3261 §18.1.1: within 200 bytes of a 1,500-byte MTU over UDP; larger goes over TCP
  if (invite.uri.endsWith(';transport=tcp')) expect(invite.uri).toBe(`${expected.uri};transport=tcp`);
  else {
    expect(invite.uri).toBe(expected.uri);
    expect(size, invite.raw).toBeLessThanOrEqual(1300);
  }
  expect(invite.get('P-Asserted-Identity')).toMatch(new RegExp(`^<(tel|sip):\\${expected.callback}[>@;]`));
  const geolocation = invite.get('Geolocation') ?? '';
  const cid = /^<cid:([^>]+)>/.exec(geolocation)?.[1];
  expect(cid, invite.raw).toBeTruthy();
  const contentType = invite.get('Content-Type') ?? '';
  expect(contentType).toMatch(/^multipart\/(mixed|related)/i);
  const parts = multipartParts(contentType, invite.body);
  const sdp = parts.find((p) => p.headers.get('content-type')?.startsWith('application/sdp'));
  const pidf = parts.find((p) => p.headers.get('content-type')?.startsWith('application/pidf+xml'));
  // The trunk is offered the caller's G.711 and telephone-event only (a subset, so the answer fits the caller).
  expect(sdp?.body).toBe(emergencyOffer(expected.offer ?? OFFER));
  expect(pidf, invite.raw).toBeDefined();
  expect(pidf!.headers.get('content-id')?.replace(/[<>]/g, '')).toBe(cid);
  expect(pidf!.body).toContain('urn:ietf:params:xml:ns:pidf');
  expect(pidf!.body).toContain('urn:ietf:params:xml:ns:pidf:geopriv10"');
  expect(pidf!.body).toMatch(/<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">/);
  for (const part of expected.address) expect(pidf!.body).toContain(part);
  if (typeof expected.loc === 'string') expect(pidf!.body).toContain(`<LOC>${expected.loc}</LOC>`);
  else expect(pidf!.body).toMatch(expected.loc);
}

/** The PSAP answers, the caller hangs up. */
async function answerAndHangUp(edge: Edge, a: InboundTransaction, b: OutboundRequest): Promise<void> {
  b.respond(200, { body: ANSWER });
  expect((await a.finalResponse()).status).toBe(200);
  await edge.nextRequest('ACK');
  expect((await a.bye().finalResponse()).status).toBe(200);
  (await edge.nextRequest('BYE')).respond(200);
}

const civic = (fields: Record<string, string>) => Object.entries(fields).map(([k, v]) => `<${k}>${v}</${k}>`);
const COLLEGE_LANE = civic({ country: 'GB', A1: 'England', A2: 'Hertfordshire', A3: 'Hatfield', RD: 'College Lane', PC: 'AL10 9AB', NAM: 'University of Hertfordshire' });
const MOSQUITO_WAY = civic({ country: 'GB', A1: 'England', A2: 'Hertfordshire', A3: 'Hatfield', RD: 'Mosquito Way', PC: 'AL10 9EU', NAM: 'University of Hertfordshire, De Havilland campus' });

describe('SIP edge: emergency calls', () => {
  let edge: Edge;

  afterEach(async () => {
    await edge?.stop();
  });

  describe('routing and location', () => {
    it.each([
      ['4101', '999', '999', '+441707284101', 'Lindop Building, room 2F410'],
      ['4101', '9999', '999', '+441707284101', 'Lindop Building, room 2F410'],
      ['4101', '112', '112', '+441707284101', 'Lindop Building, room 2F410'],
      ['4150', '999', '999', '+441707284000', 'Lindop Building, room 1L100'],
      ['2900', '999', '999', '+441707284000', 'Main Building, lift 1 car'],
      ['2900', '9112', '112', '+441707284000', 'Main Building, lift 1 car'],
      // A closing # as a SIP URI must carry it (RFC 3261: escaped), and a per-call prefix before it.
      ['4101', '999%23', '999', '+441707284101', 'Lindop Building, room 2F410'],
      ['4101', '9141999', '999', '+441707284101', 'Lindop Building, room 2F410'],
    ])('%s dialling %s: at once to sip:%s@<emergencyTrunk>, callback %s, PIDF-LO with the site address and LOC', async (from, dialled, number, callback, loc) => {
      edge = await Edge.start();
      const a = edge.invite(from, dialled, { sdp: SMALL_OFFER });
      const b = await edge.nextInvite();
      expectEmergencyInvite(b, { uri: `sip:${number}@${EMERGENCY_TRUNK}`, callback, address: COLLEGE_LANE, loc, offer: SMALL_OFFER });
      b.respond(180);
      b.respond(200, { body: ANSWER });
      const ok = await a.finalResponse();
      expect(ok.status).toBe(200);
      expect(ok.body).toBe(ANSWER);
      await edge.nextRequest('ACK');
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });

    // RFC 5031 / RFC 6881 §9.2: a device that knows the call is an emergency call may send the service URN alone.
    it.each(['urn:service:sos', 'urn:service:sos.police', 'URN:Service:SOS.Ambulance'])('4101 calling %s (an emergency service URN): the site\'s emergency number, 999, with callback and PIDF-LO', async (urn) => {
      edge = await Edge.start();
      const a = edge.invite('4101', '', { sdp: SMALL_OFFER, ruri: urn });
      const b = await edge.nextInvite();
      expectEmergencyInvite(b, { uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284101', address: COLLEGE_LANE, loc: 'Lindop Building, room 2F410', offer: SMALL_OFFER });
      await answerAndHangUp(edge, a, b);
      expect((await edge.waitForLog('the URN', (l) => l.serviceUrn === urn)).dialled).toBe('999');
      expect(await edge.waitForLog('the decision', (l) => l.msg === 'emergency call')).toMatchObject({ to: '999', class: 'emergency' });
    });

    it('an emergency service URN when call handling fails: the direct route still sends it to sip:999@<emergencyTrunk>', async () => {
      edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
      const a = edge.invite('4101', '', { sdp: SMALL_OFFER, ruri: 'urn:service:sos' });
      const b = await edge.nextInvite();
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      await edge.waitForLog('the fallback', (l) => l.msg?.startsWith('call handling failed on an emergency call') === true);
    });

    // The direct route reads the caller again, guarded: the PSAP calls back the phone and is sent its room, not the switchboard and the site.
    it.each([
      ['4101', '+441707284101', COLLEGE_LANE, 'Lindop Building, room 2F410'],
      ['4301', '+441707284301', MOSQUITO_WAY, 'De Havilland campus, Business School, room N204'],
      ['2900', '+441707284000', COLLEGE_LANE, 'Main Building, lift 1 car'],
    ])("call handling failing on %s's 999: the direct route still sends its callback %s and its location, and Security is told who called", async (from, callback, address, loc) => {
      edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
      const a = edge.invite(from, '999', { sdp: SMALL_OFFER });
      const b = await edge.nextInvite();
      expectEmergencyInvite(b, { uri: `sip:999@${EMERGENCY_TRUNK}`, callback, address, loc, offer: SMALL_OFFER });
      await edge.waitForLog('the fallback', (l) => l.msg?.startsWith('call handling failed on an emergency call') === true);
      const message = await edge.nextRequest('MESSAGE');
      expect(message.body).toMatch(/^EMERGENCY/);
      expect(message.body).toContain(from);
      expect(message.body).toContain(loc);
      expect(message.body).not.toContain('caller unknown');
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
    });

    it("call handling failing on a 999 whose caller cannot be read: the direct route sends the site's main number and address", async () => {
      edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
      const a = edge.invite('', '999', { sdp: SMALL_OFFER, fromUri: '<>' });
      const b = await edge.nextInvite();
      expect(b.get('P-Asserted-Identity')).toBe('<tel:+441707284000>');
      const pidf = multipartParts(b.get('Content-Type') ?? '', b.body).find((p) => p.headers.get('content-type') === 'application/pidf+xml')!.body;
      for (const part of COLLEGE_LANE) expect(pidf).toContain(part);
      expect(pidf).not.toContain('<LOC>');
      expect((await edge.nextRequest('MESSAGE')).body).toContain('caller unknown');
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
    });

    it('call handling failing on the 999 of a phone without a DDI: the direct route still holds a callback number for it', async () => {
      let reads = 0;
      // Only the decision's read of the clock fails: the direct route can then hold the number.
      edge = await Edge.start({ now: () => { if (reads++ === 0) throw new Error('injected clock failure'); return Date.now(); } });
      const a = edge.invite('4150', '999', { sdp: SMALL_OFFER });
      const b = await edge.nextInvite();
      expectEmergencyInvite(b, { uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284000', address: COLLEGE_LANE, loc: 'Lindop Building, room 1L100', offer: SMALL_OFFER });
      expect(await edge.waitForLog('the hold', (l) => l.msg === 'PSAP callback number held for the caller')).toMatchObject({ ext: '4150', callback: '+441707284000' });
      expect((await edge.nextRequest('MESSAGE')).body).toContain('reaches this extension until');
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
    });

    it("call handling failing once the 999 is decided: the direct route carries it, and the call's session ends with it (calls in progress, the call record)", async () => {
      let reads = 0;
      // The decision reads the clock; the emergency action's next read fails, inside the call's handling.
      edge = await Edge.start({ now: () => { if (reads++ > 0) throw new Error('injected clock failure'); return Date.now(); } });
      const a = edge.invite('4101', '999', { sdp: SMALL_OFFER });
      const b = await edge.nextInvite();
      await edge.waitForLog('the fallback', (l) => l.msg?.startsWith('call handling failed on an emergency call') === true);
      expect(await edge.metric('callguard_calls_in_progress')).toBe(1);
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
      await until('the session ended', async () => (await edge.metric('callguard_calls_in_progress')) === 0);
    });

    it("call handling failing on a softphone's 999: the direct route offers the trunk G.711 audio beside the PIDF-LO, not the whole offer", async () => {
      edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
      const a = edge.invite('4101', '999', { sdp: BARESIP_VIDEO_OFFER });
      const b = await edge.nextInvite();
      const parts = multipartParts(b.get('Content-Type') ?? '', b.body);
      expect(parts.map((p) => p.headers.get('content-type'))).toEqual(['application/sdp', 'application/pidf+xml']);
      expect(parts[0]!.body).toBe(emergencyOffer(BARESIP_VIDEO_OFFER));
      b.respond(200, { body: ANSWER });
      const ok = await a.finalResponse();
      expect(ok.status).toBe(200);
      expect(ok.body).toBe(ANSWER);
    });

    it.each([181, 182])('the emergency centre answering %s without SDP (forwarded, queued): the caller hears ringing (180) until it answers', async (status) => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', { sdp: SMALL_OFFER });
      const b = await edge.nextInvite();
      b.respond(status);
      expect((await a.nextResponse()).status).toBe(180);
      await answerAndHangUp(edge, a, b);
    });

    it('a service URN outside the sos tree (urn:service:counseling) is not an emergency call: 416', async () => {
      edge = await Edge.start();
      const a = edge.invite('4101', '', { sdp: SMALL_OFFER, ruri: 'urn:service:counseling' });
      expect((await a.finalResponse()).status).toBe(416);
    });

    it('4301 on the De Havilland campus: its own address (Mosquito Way), not College Lane', async () => {
      edge = await Edge.start();
      const a = edge.invite('4301', '999', { sdp: SMALL_OFFER });
      const b = await edge.nextInvite();
      expectEmergencyInvite(b, { offer: SMALL_OFFER, uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284301', address: MOSQUITO_WAY, loc: 'De Havilland campus, Business School, room N204' });
      expect(b.body).not.toContain('College Lane');
      await answerAndHangUp(edge, a, b);
    });

    // RFC 6442: location values in the order they were added, so the device's own come before the site's.
    it.each([
      ['an untrusted phone', PHONE_SOURCE, '<cid:gps@192.0.2.10>, <https://lis.example.com/loc/7f3a>, <cid:loc@cg>'],
      ['a trusted PBX', TRUSTED_SOURCE, '<cid:gps@192.0.2.10>;loc-src=lis.example.com, <https://lis.example.com/loc/7f3a>, <cid:loc@cg>'],
    ])("999 from %s carrying its own location (a PIDF-LO by value, a reference): both reach the trunk before the site's, whole", async (_who, source, geolocation) => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', { ...DEVICE_LOCATED, source });
      const b = await edge.nextInvite();
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      expect(b.get('Geolocation'), b.raw).toBe(geolocation);
      const parts = multipartParts(b.get('Content-Type') ?? '', b.body);
      expect(parts.map((p) => p.headers.get('content-id') ?? p.headers.get('content-type'))).toEqual(['application/sdp', '<gps@192.0.2.10>', '<loc@cg>']);
      expect(parts[0]!.body).toBe(emergencyOffer(SMALL_OFFER));
      expect(parts[1]!.body).toBe(`${DEVICE_PIDF}\r\n`);
      for (const element of [...COLLEGE_LANE, '<LOC>Lindop Building, room 2F410</LOC>']) expect(parts[2]!.body).toContain(element);
      expect(await edge.waitForLog('the note', (l) => l.msg === "the caller sent its own location: passed on before the site's")).toMatchObject({ values: 2, dropped: [] });
      // Security is told the room in the plan may not be where the caller is.
      await until('the alert noting it', () => edge.fake.outboundRequests.some((r) => r.method === 'MESSAGE' && r.body.includes("note: the caller's phone sent a location of its own")));
      await answerAndHangUp(edge, a, b);
    });

    it.each([
      ['a re-INVITE', 'INVITE'],
      ['an UPDATE', 'UPDATE'],
    ])("a softphone putting its 999 on hold with %s offering its whole codec list and video: the trunk is offered what it was offered first, G.711 audio, still on hold", async (_what, method) => {
      edge = await Edge.start();
      // Without an offer, so that the call is surely connected once the trunk's ACK carries the caller's answer.
      const a = edge.invite('4101', '999', { sdp: null, autoAck: false });
      const b = await edge.nextInvite();
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      a.ack({ body: SMALL_OFFER });
      expect((await edge.nextRequest('ACK')).body).toBe(SMALL_OFFER);
      const hold = BARESIP_VIDEO_OFFER.replace(/a=sendrecv\r\n/g, '').replace(/(m=audio [^\r]*\r\n)/, '$1a=sendonly\r\n');
      const reoffer = a.sendInDialog(method, { body: hold });
      const toTrunk = await edge.nextRequest('INVITE');
      expect(toTrunk.body).toBe(emergencyOffer(hold));
      expect(toTrunk.body).toMatch(/^m=audio \d+ RTP\/AVP 0 8 101\r\na=sendonly\r\n/m);
      expect(toTrunk.body).toMatch(/^m=video 0 /m);
      expect(toTrunk.body).not.toMatch(/opus|a=ssrc|G722/i);
      toTrunk.respond(200, { body: ANSWER.replace('a=sendrecv', 'a=recvonly') });
      expect((await reoffer.finalResponse()).status).toBe(200);
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });

    it("a trunk that will not take TCP gets the INVITE over UDP with the site's location alone, rather than the caller's too in a fragmented datagram", async () => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', DEVICE_LOCATED);
      const overTcp = await edge.nextInvite();
      expect(overTcp.uri).toBe(`sip:999@${EMERGENCY_TRUNK};transport=tcp`);
      expect(overTcp.get('Geolocation')).toContain('cid:gps@192.0.2.10');
      overTcp.respond(503);
      const overUdp = await edge.nextInvite();
      expectEmergencyInvite(overUdp, { offer: SMALL_OFFER, uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284101', address: COLLEGE_LANE, loc: 'Lindop Building, room 2F410' });
      expect(overUdp.get('Geolocation')).toBe('<cid:loc@cg>');
      expect(await edge.waitForLog('the UDP fallback', (l) => l.msg === 'emergency trunk did not take the INVITE over TCP: sent over UDP')).toMatchObject({ withoutCallerLocation: true, status: 503 });
      await answerAndHangUp(edge, a, overUdp);
    });

    it('a TCP connection to the trunk that takes the INVITE and never answers (a firewall dropping TCP): sent over UDP to the same trunk after the progress timeout, not to the public trunk', async () => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', DEVICE_LOCATED);
      const overTcp = await edge.nextInvite();
      expect(overTcp.uri).toBe(`sip:999@${EMERGENCY_TRUNK};transport=tcp`);
      const overUdp = await edge.nextInvite(15_000);
      expectEmergencyInvite(overUdp, { offer: SMALL_OFFER, uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284101', address: COLLEGE_LANE, loc: 'Lindop Building, room 2F410' });
      expect(await edge.waitForLog('the UDP fallback', (l) => l.msg === 'emergency trunk did not take the INVITE over TCP: sent over UDP')).toMatchObject({ status: 'no reply' });
      await answerAndHangUp(edge, a, overUdp);
    });

    it('the trunk ringing over TCP and then refusing is not tried over UDP: it has taken TCP', async () => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', DEVICE_LOCATED);
      const overTcp = await edge.nextInvite();
      overTcp.respond(180);
      expect((await a.nextResponse()).status).toBe(180);
      overTcp.respond(486);
      const next = await edge.nextInvite();
      expect(withoutTransport(next.uri)).toBe(`sip:999@${EXTERNAL}`);
      next.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
    });

    // A redirect followed would be decided again: to an emergency number, another emergency call to the same trunk, without end.
    it.each([
      ['an alternate server', '<sip:999@sbc2.example.net>'],
      ['a premium number', '<sip:09011234567@sbc2.example.net>'],
    ])('the emergency trunk redirecting the 999 (302 to %s): that route has failed, the public trunk gets it, once', async (_what, contact) => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', { sdp: SMALL_OFFER });
      (await edge.nextInvite()).respond(302, { headers: { Contact: contact } });
      const next = await edge.nextInvite();
      expect(withoutTransport(next.uri)).toBe(`sip:999@${EXTERNAL}`);
      next.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE')).toHaveLength(2);
      await until('the alert', () => edge.fake.outboundRequests.some((r) => r.method === 'MESSAGE' && r.body.includes('routed via the public trunk')));
    });

    it("the trunk refusing the caller's location (424 Bad Location Information): sent again to the same trunk with the site's alone, and the call connects", async () => {
      edge = await Edge.start();
      const a = edge.invite('4101', '999', DEVICE_LOCATED);
      let b = await edge.nextInvite();
      // Over TCP, the device's PIDF-LO making the INVITE too large for UDP; refused there, it is not sent over UDP too.
      expect(b.uri).toBe(`sip:999@${EMERGENCY_TRUNK};transport=tcp`);
      expect(b.get('Geolocation')).toContain('cid:gps@192.0.2.10');
      b.respond(424);
      b = await edge.nextInvite();
      expectEmergencyInvite(b, { offer: SMALL_OFFER, uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284101', address: COLLEGE_LANE, loc: 'Lindop Building, room 2F410' });
      expect(b.body).not.toContain('gml:pos');
      await edge.waitForLog('the resend', (l) => l.msg === "emergency INVITE refused with the caller's own location: sent again with the site's alone" && l.status === 424);
      await answerAndHangUp(edge, a, b);
      expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.uri.includes(EXTERNAL))).toEqual([]);
    });

    it.each([
      ['a desk phone', DESK_PHONE_OFFER],
      ["baresip's ordinary", BARESIP_OFFER],
      ['a video', BARESIP_VIDEO_OFFER],
      ['a WebRTC-sized', WEBRTC_SIZED_OFFER],
    ])("%s offer from the other campus: the whole location reaches the trunk, over TCP when the INVITE is larger than a datagram", async (_what, offer) => {
      edge = await Edge.start();
      const a = edge.invite('4301', '999', { sdp: offer });
      const b = await edge.nextInvite();
      expect(b.uri).toBe(`sip:999@${EMERGENCY_TRUNK};transport=tcp`);
      expect(b.get('To')).toMatch(new RegExp(`^<sip:999@${EMERGENCY_TRUNK}>`));
      expectEmergencyInvite(b, { offer, uri: `sip:999@${EMERGENCY_TRUNK}`, callback: '+441707284301', address: MOSQUITO_WAY, loc: 'De Havilland campus, Business School, room N204' });
      await answerAndHangUp(edge, a, b);
    });

    it('a trunk that will not take the INVITE over TCP gets it over UDP whole, and the log says so', async () => {
      edge = await Edge.start();
      const a = edge.invite('4301', '999', { sdp: BARESIP_OFFER });
      const overTcp = await edge.nextInvite();
      expect(overTcp.uri).toBe(`sip:999@${EMERGENCY_TRUNK};transport=tcp`);
      overTcp.respond(503);
      const overUdp = await edge.nextInvite();
      expect(overUdp.uri).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      expect(overUdp.body).toBe(overTcp.body);
      await edge.waitForLog('the UDP fallback', (l) => l.msg?.startsWith('emergency trunk did not take the INVITE over TCP') === true);
      await answerAndHangUp(edge, a, overUdp);
    });

    it('a locked phone with a PIN (4101) is never asked for it: 999 goes straight out', async () => {
      edge = await Edge.start();
      // the same phone is locked for international calls...
      expect((await edge.invite('4101', '90033142685300').finalResponse()).status).toBe(503);
      // ...and still reaches the emergency trunk
      const a = edge.invite('4101', '999', { sdp: OFFER });
      const b = await edge.nextInvite();
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      await answerAndHangUp(edge, a, b);
    });

    it('the emergency trunk answering 503: the same number is tried on routes.external, and Security is told', async () => {
      edge = await Edge.start();
      // A small offer: the INVITE goes over UDP, so the trunk's 503 is its only attempt there.
      const a = edge.invite('4101', '999', { sdp: SMALL_OFFER });
      const trunk = await edge.nextInvite();
      expect(trunk.uri).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      trunk.respond(503);
      const fallback = await edge.nextInvite();
      expectEmergencyInvite(fallback, { offer: SMALL_OFFER, uri: `sip:999@${EXTERNAL}`, callback: '+441707284101', address: COLLEGE_LANE, loc: 'Lindop Building, room 2F410' });
      fallback.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      await until('a second alert about the failover', () =>
        edge.fake.outboundRequests.some((r) => r.method === 'MESSAGE' && /^EMERGENCY/.test(r.body) && /public trunk/.test(r.body)),
      );
      await edge.nextRequest('ACK');
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });

    it('an emergency trunk that is dead (not even a 100 Trying, so no CANCEL can be sent): the public trunk is tried at the 5 s mark, not when the INVITE times out', async () => {
      edge = await Edge.start({ farEndAnswersCancel: false });
      const a = edge.invite('4101', '999', { sdp: SMALL_OFFER });
      const dead = await edge.nextInvite();
      expect(dead.uri).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      // Nothing comes back from the trunk, ever (its INVITE transaction would run to Timer B, 32 s).
      const fallback = await edge.nextInvite(20_000);
      expect(fallback.uri).toBe(`sip:999@${EXTERNAL}`);
      fallback.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      await edge.nextRequest('ACK');
      // The dead trunk waking up and answering after all: that leg is hung up at once, the call stays on the public trunk.
      dead.respond(200, { body: ANSWER });
      const bye = await edge.nextRequest('BYE');
      expect(bye.get('Call-ID')).toBe(dead.get('Call-ID'));
      bye.respond(200);
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });

    it('emergency calls are routed even while draining', async () => {
      edge = await Edge.start({ drainSeconds: 30 });
      // a call in progress keeps the drain going
      const call = await edge.connect('4101', '4202');
      const drained = edge.drain();
      expect((await edge.get('/health')).status).toBe(503);
      const refused = await edge.invite('4202', '4101').finalResponse();
      expect(refused.status).toBe(503);
      expect(refused.get('Retry-After')).toMatch(/^\d+$/);
      const a = edge.invite('4101', '999', { sdp: OFFER });
      const b = await edge.nextInvite();
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      await answerAndHangUp(edge, a, b);
      expect((await call.a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
      await drained;
    });
  });

  describe('the Security alert on three channels', () => {
    let redis: RedisServer;
    let webhook: Webhook;

    beforeAll(async () => {
      redis = await RedisServer.start();
      webhook = await Webhook.start();
    });

    afterAll(async () => {
      await webhook?.stop();
      await redis?.stop();
    });

    it('SIP MESSAGE to Security Control, XADD callguard:alerts with every field, and a webhook POST', async () => {
      edge = await Edge.start({ redisUrl: redis.url, alertWebhook: webhook.url });
      webhook.status = 200;
      webhook.hold = false;
      const postsBefore = webhook.posts.length;
      const a = edge.invite('4101', '9999', { sdp: OFFER });
      const b = await edge.nextInvite();

      const message = await edge.nextRequest('MESSAGE');
      expect(message.uri).toBe(`sip:2222@${INTERNAL}`);
      expect(message.get('Content-Type')).toMatch(/^text\/plain/);
      expect(message.body).toMatch(/^EMERGENCY\b/);
      for (const part of ['999', '4101', 'Dr Alice Moreno', '+441707284101', 'Lindop Building, room 2F410']) expect(message.body).toContain(part);
      message.respond(200);

      const entry = await until('the alert on callguard:alerts', async () => (await streamEntries(redis.url)).find((e) => e.callId === a.request!.callId));
      expect(entry).toMatchObject({ kind: 'emergency', ext: '4101', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', callId: a.request!.callId });
      expect(Number.isNaN(Date.parse(entry.at!))).toBe(false);
      expect(entry.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

      const post = await until('the webhook POST', () => webhook.posts.slice(postsBefore).find((p) => p.callId === a.request!.callId));
      expect(post).toMatchObject({ kind: 'emergency', ext: '4101', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410' });

      await until('three alerts counted as sent', async () =>
        (await edge.metric('callguard_security_alerts_total', { outcome: 'sent' })) >= 3,
      );
      for (const channel of ['sip-message', 'redis-stream', 'webhook']) {
        expect(await edge.metric('callguard_security_alerts_total', { channel, outcome: 'sent' })).toBeGreaterThanOrEqual(1);
      }
      await answerAndHangUp(edge, a, b);
    });

    it("Security Control's desk not registered (480 to the MESSAGE): the alert goes to the first failover, and the log says so", async () => {
      edge = await Edge.start({ redisUrl: redis.url });
      const a = edge.invite('4101', '999', { sdp: OFFER });
      const b = await edge.nextInvite();
      const desk = await edge.nextRequest('MESSAGE');
      expect(desk.uri).toBe(`sip:2222@${INTERNAL}`);
      desk.respond(480);
      const failover = await edge.nextRequest('MESSAGE');
      expect(failover.uri).toBe(`sip:2223@${INTERNAL}`);
      expect(failover.body).toBe(desk.body);
      failover.respond(200);
      await edge.waitForLog('the failover noted', (l) => l.msg === "security alert MESSAGE taken by a failover: Security Control's target did not take it" && l.to === `sip:2223@${INTERNAL}`);
      expect(await edge.metric('callguard_security_alerts_total', { channel: 'sip-message', outcome: 'sent' })).toBe(1);
      await answerAndHangUp(edge, a, b);
    });

    it('a webhook that hangs, an unanswered MESSAGE: the call is placed and connected regardless', async () => {
      edge = await Edge.start({ redisUrl: redis.url, alertWebhook: webhook.url });
      webhook.hold = true;
      const postsBefore = webhook.posts.length;
      const a = edge.invite('4101', '999', { sdp: OFFER });
      const b = await edge.nextInvite();
      await until('the webhook POST is being held', () => webhook.posts.length > postsBefore);
      expect(edge.fake.outboundRequests.find((r) => r.method === 'MESSAGE')?.finalStatus).toBeUndefined();
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      webhook.hold = false;
      webhook.release();
      await edge.nextRequest('ACK');
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });

    it('a failing webhook (500) is retried a bounded number of times and counted as failed; the call is unaffected', async () => {
      edge = await Edge.start({ redisUrl: redis.url, alertWebhook: webhook.url });
      webhook.hold = false;
      webhook.status = 500;
      const postsBefore = webhook.posts.length;
      const a = edge.invite('4101', '999', { sdp: OFFER });
      const b = await edge.nextInvite();
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      b.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      await until('the webhook failure counted', async () => (await edge.metric('callguard_security_alerts_total', { channel: 'webhook', outcome: 'failed' })) === 1, 15_000);
      const attempts = webhook.posts.slice(postsBefore).filter((p) => p.callId === a.request!.callId).length;
      expect(attempts).toBeGreaterThan(1);
      expect(attempts).toBeLessThanOrEqual(5);
      expect(await edge.metric('callguard_security_alerts_total', { channel: 'redis-stream', outcome: 'sent' })).toBe(1);
      expect(edge.logs.some((l) => l.channel === 'webhook' && l.msg === 'security alert could not be delivered')).toBe(true);
      webhook.status = 200;
      await edge.nextRequest('ACK');
      expect((await a.bye().finalResponse()).status).toBe(200);
      (await edge.nextRequest('BYE')).respond(200);
    });

    it('Redis stopped: the call still goes out, the stream channel is counted as failed', async () => {
      const doomed = await RedisServer.start();
      try {
        edge = await Edge.start({ redisUrl: doomed.url, alertWebhook: webhook.url });
        webhook.status = 200;
        await doomed.kill();
        const a = edge.invite('4101', '999', { sdp: OFFER });
        const b = await edge.nextInvite();
        expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
        expect(b.get('P-Asserted-Identity')).toMatch(/\+441707284101/);
        b.respond(200, { body: ANSWER });
        expect((await a.finalResponse()).status).toBe(200);
        await until('the stream failure counted', async () => (await edge.metric('callguard_security_alerts_total', { channel: 'redis-stream', outcome: 'failed' })) === 1, 15_000);
        await until('the webhook still delivered', async () => (await edge.metric('callguard_security_alerts_total', { channel: 'webhook', outcome: 'sent' })) === 1);
        await edge.nextRequest('ACK');
        expect((await a.bye().finalResponse()).status).toBe(200);
        (await edge.nextRequest('BYE')).respond(200);
      } finally {
        await doomed.stop();
      }
    });
  });
});
