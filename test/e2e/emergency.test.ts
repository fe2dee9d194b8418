/**
 * End to end through a real drachtio-server: emergency calls (trunk, P-Asserted-Identity, PIDF-LO by
 * value, Security alert by SIP MESSAGE and Redis stream, failover to the public trunk) and hotline calls
 * from a lift phone (Security Control, then its failover when it does not answer).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, multipartParts, quietly, startSipp, waitFor, type SipMessage, type Sipp } from '../support/lab.js';
import { SipSocket } from './rawSip.js';
import { dial, displayNameOf, finish, peer, requests, startStack, startWebhook, stopStack, streamEntries, type PeerScenario, type Stack } from './stack.js';

const lab = e2eLab();

const LOCATION_4101 = 'Lindop Building, room 2F410';
const LIFT = 'Main Building, lift 1 car';

function expectEmergencyInvite(invite: SipMessage | undefined, trunkPort: number, context: string): void {
  expect(invite, context).toBeDefined();
  expect(invite!.uri, context).toBe(`sip:999@127.0.0.1:${trunkPort}`);
  expect(invite!.header('P-Asserted-Identity'), invite!.raw).toMatch(/[:<]\+441707284101[@>;]/);
  const geolocation = invite!.header('Geolocation');
  expect(geolocation, invite!.raw).toMatch(/^<cid:[^>]+>/);
  const cid = /^<cid:([^>]+)>/.exec(geolocation ?? '')?.[1];
  expect(invite!.header('Content-Type'), invite!.raw).toMatch(/^multipart\/(mixed|related)/i);
  const parts = multipartParts(invite!);
  const sdp = parts.find((p) => p.contentType?.toLowerCase().startsWith('application/sdp'));
  const pidf = parts.find((p) => p.contentType?.toLowerCase().startsWith('application/pidf+xml'));
  expect(sdp?.body, invite!.raw).toMatch(/^v=0/);
  expect(pidf, invite!.raw).toBeDefined();
  // The Geolocation cid names the PIDF-LO part (RFC 6442).
  expect(pidf!.headers.get('content-id')?.replace(/[<>]/g, ''), invite!.raw).toBe(cid);
  // RFC 4119 / 5139 civic address: the site's address plus the extension's location.
  expect(pidf!.body).toMatch(/urn:ietf:params:xml:ns:pidf/);
  expect(pidf!.body).toMatch(/civicAddress/);
  expect(pidf!.body).toContain('College Lane');
  expect(pidf!.body).toContain('AL10 9AB');
  expect(pidf!.body).toContain(LOCATION_4101);
}

describe.skipIf(!lab)('callguard serve: emergency and hotline calls (real drachtio-server, SIPp peers)', () => {
  let stack: Stack;
  let webhook: Awaited<ReturnType<typeof startWebhook>> | undefined;

  beforeAll(async () => {
    webhook = await startWebhook();
    // The SIPp callers play a PBX, the only kind of caller whose 18x go reliably when it requires 100rel.
    stack = await startStack(lab!, { answerTimeoutSeconds: 5, alertWebhook: webhook.url, env: { CALLGUARD_TRUSTED_SOURCES: '127.0.0.1' } });
  }, 120_000);

  afterAll(async () => {
    await stopStack(stack);
    await quietly(() => webhook?.close());
  }, 60_000);

  /** One emergency call that connects: the trunk playing `scenario`, Security taking its alert, the caller placed by `place`. */
  async function connectedEmergencyCall(scenario: PeerScenario, place: () => Promise<Sipp>): Promise<{ trunk: Sipp; security: Sipp; uac: Sipp }> {
    const trunk = await peer(stack, 'emergency', scenario, 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const uac = await place();
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    await finish(security, 10_000);
    return { trunk, security, uac };
  }

  for (const dialled of ['999', '9999']) {
    it(`4101 dialling ${dialled} reaches the emergency trunk as sip:999@ with callback, Geolocation and PIDF-LO; Security is alerted by MESSAGE, on Redis and by webhook`, async () => {
      const before = (await streamEntries(stack.redis.url, 'callguard:alerts')).length;
      const trunk = await peer(stack, 'emergency', 'answer', 1);
      const security = await peer(stack, 'security', 'answer', 1);
      const uac = await dial(stack, { from: '4101', to: dialled, expect: 'call' });
      expect(await uac.waitExit(), uac.describe()).toBe(0);
      expect(await finish(trunk), trunk.describe()).toBe(0);
      expectEmergencyInvite(requests(trunk, 'INVITE')[0], stack.ports.emergency, trunk.describe());

      // The alert: a SIP MESSAGE to Security Control's target...
      await finish(security);
      const [message] = requests(security, 'MESSAGE');
      expect(message, security.describe()).toBeDefined();
      expect(message!.uri).toBe(`sip:security@127.0.0.1:${stack.ports.security}`);
      expect(message!.header('Content-Type')).toMatch(/^text\/plain/);
      expect(message!.body.trimStart()).toMatch(/^EMERGENCY\b/);
      for (const part of ['999', '4101', 'Dr Alice Moreno', '+441707284101', LOCATION_4101]) expect(message!.body).toContain(part);

      // ...and an entry on the Redis stream.
      const entries = await waitFor('an alert on callguard:alerts', async () => {
        const all = await streamEntries(stack.redis.url, 'callguard:alerts');
        return all.length > before ? all.slice(before) : undefined;
      }, 20_000, 100);
      const alert = entries.find((e) => /emergency/i.test(e.kind ?? ''));
      expect(alert, JSON.stringify(entries)).toBeDefined();
      expect(alert).toMatchObject({ ext: '4101', callback: '+441707284101', location: LOCATION_4101 });
      expect(alert!.dialled, JSON.stringify(alert)).toMatch(/^9?999$/);
      expect(Number.isNaN(Date.parse(alert!.at ?? '')), JSON.stringify(alert)).toBe(false);
      expect(alert!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d/);
      expect(alert!.callId, JSON.stringify(alert)).toBeTruthy();

      // ...and the same JSON POSTed to CALLGUARD_ALERT_WEBHOOK.
      const post = await waitFor('the alert on the webhook', () => webhook!.posts.map((p) => JSON.parse(p.body) as Record<string, unknown>).find((b) => b.callId === alert!.callId), 20_000, 100).catch(() => undefined);
      expect(post, JSON.stringify(webhook!.posts)).toBeDefined();
      expect(post).toMatchObject({ ext: '4101', dialled: alert!.dialled, callback: '+441707284101', location: LOCATION_4101, at: alert!.at });
      expect(String(post!.kind)).toMatch(/emergency/i);
    }, 120_000);
  }

  it('4301 on another campus dialling 112: the PIDF-LO carries that campus address, not the site address', async () => {
    const trunk = await peer(stack, 'emergency', 'answer', 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const uac = await dial(stack, { from: '4301', to: '112', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    await finish(trunk);
    await finish(security, 10_000);
    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:112@127.0.0.1:${stack.ports.emergency}`);
    expect(invite!.header('P-Asserted-Identity'), invite!.raw).toMatch(/[:<]\+441707284301[@>;]/);
    const pidf = multipartParts(invite!).find((p) => p.contentType?.toLowerCase().startsWith('application/pidf+xml'));
    expect(pidf?.body, invite!.raw).toContain('Mosquito Way');
    expect(pidf?.body).toContain('AL10 9EU');
    expect(pidf?.body).not.toContain('College Lane');
    expect(pidf?.body).toContain('De Havilland campus, Business School, room N204');
  }, 120_000);

  it('4101 dialling 999 with no offer (a delayed-offer PBX): the trunk gets the whole PIDF-LO as the only body part, offers in its 200 and gets the caller\'s answer in its ACK', async () => {
    // The caller's scenario fails unless its 200 carries an audio offer.
    const { trunk, security } = await connectedEmergencyCall('answer', () => dial(stack, { from: '4101', to: '999', expect: 'call', lateOffer: true }));
    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.emergency}`);
    expect(invite!.header('Geolocation'), invite!.raw).toMatch(/^<cid:/);
    const parts = multipartParts(invite!);
    expect(parts.map((p) => p.contentType?.toLowerCase()), invite!.raw).toEqual(['application/pidf+xml']);
    expect(parts[0]!.body).toContain(LOCATION_4101);
    const [ack] = requests(trunk, 'ACK');
    expect(ack?.body, trunk.describe()).toContain('o=late-answer ');
    expect(requests(security, 'MESSAGE')[0]?.body.trimStart(), security.describe()).toMatch(/^EMERGENCY\b/);
  }, 120_000);

  for (const lateOffer of [false, true]) {
    it(`999 ${lateOffer ? 'with no offer' : 'with an offer'}, the trunk sending an UPDATE without SDP while it rings: answered 200 without a body, and the call connects`, async () => {
      // The trunk's scenario fails unless its UPDATE is answered 200.
      const { trunk } = await connectedEmergencyCall('early-update', () => dial(stack, { from: '4101', to: '999', expect: 'call', lateOffer }));
      const updated = trunk.received((m) => m.status === 200 && m.header('cseq')?.endsWith('UPDATE') === true);
      expect(updated.map((m) => m.body.trim()), trunk.describe()).toEqual(['']);
      if (lateOffer) expect(requests(trunk, 'ACK')[0]?.body, trunk.describe()).toContain('o=late-answer ');
    }, 120_000);
  }

  it('4101 calling the emergency service URN urn:service:sos (RFC 5031, as RFC 6881 devices do): the trunk gets sip:999@ with callback and PIDF-LO, and Security is alerted', async () => {
    const { trunk, security } = await connectedEmergencyCall('answer', () => startSipp(stack.lab, { role: 'uac', scenarioFile: 'uac-call-uri.xml', template: { hold: 300 }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: 'urn:service:sos', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 }));
    expectEmergencyInvite(requests(trunk, 'INVITE')[0], stack.ports.emergency, trunk.describe());
    expect(requests(security, 'MESSAGE')[0]?.body.trimStart(), security.describe()).toMatch(/^EMERGENCY 999\b/);
  }, 120_000);

  for (const trunkScenario of ['100rel', { ringMs: 300 }] as const) {
    const reliable = trunkScenario === '100rel' ? 183 : 180;
    it(`999 from a caller requiring 100rel (RFC 3262), the trunk ${reliable === 183 ? 'sending early media in a reliable 183' : 'ringing'}: the caller gets a reliable ${reliable} it can PRACK (RSeq, Contact), and the call connects`, async () => {
      // The caller's scenario fails unless its PRACK of the 1xx is answered before the 200 comes.
      const { trunk, security, uac } = await connectedEmergencyCall(trunkScenario, () => dial(stack, { from: '4101', to: '999', expect: 'call', reliable }));
      expectEmergencyInvite(requests(trunk, 'INVITE')[0], stack.ports.emergency, trunk.describe());
      const [provisional] = uac.received((m) => m.status === reliable);
      expect(provisional?.header('Require'), provisional?.raw).toMatch(/100rel/);
      expect(provisional!.header('RSeq'), provisional!.raw).toMatch(/^\d+$/);
      expect(provisional!.header('Contact'), provisional!.raw).toMatch(/<sip:/);
      if (reliable === 183) expect(provisional!.body, provisional!.raw).toMatch(/^v=0/);
      expect(requests(security, 'MESSAGE')[0]?.body.trimStart(), security.describe()).toMatch(/^EMERGENCY\b/);
    }, 120_000);
  }

  it("999 from a device sending its own location (RFC 6442: a PIDF-LO beside its offer, and a reference): a trunk on TCP gets both before the site's PIDF-LO, whole", async () => {
    const trunk = await peer(stack, 'emergency', 'answer', 1, { transport: 'tcp' });
    const security = await peer(stack, 'security', 'answer', 1);
    const uac = await dial(stack, { from: '4101', to: '999', expect: 'call', located: '<cid:gps@[local_ip]>, <https://lis.example.com/loc/7f3a>' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    await finish(security, 10_000);
    const invite = requests(trunk, 'INVITE')[0];
    expect(invite, trunk.describe()).toBeDefined();
    expect(invite!.header('Geolocation'), invite!.raw).toBe('<cid:gps@127.0.0.1>, <https://lis.example.com/loc/7f3a>, <cid:loc@cg>');
    const parts = multipartParts(invite!);
    expect(parts.map((p) => p.headers.get('content-id') ?? p.contentType), invite!.raw).toEqual(['application/sdp', '<gps@127.0.0.1>', '<loc@cg>']);
    expect(parts[1]!.body).toContain('<gml:pos>51.7520 -0.2400</gml:pos>');
    for (const element of ['College Lane', 'AL10 9AB', LOCATION_4101]) expect(parts[2]!.body).toContain(element);
  });

  it("999 from a device sending its own location to a trunk without TCP: the INVITE goes over UDP with the site's PIDF-LO alone, in one datagram, and the call connects", async () => {
    const logsBefore = stack.app.logs().length;
    const { trunk } = await connectedEmergencyCall('answer', () => dial(stack, { from: '4101', to: '999', expect: 'call', located: '<cid:gps@[local_ip]>, <https://lis.example.com/loc/7f3a>' }));
    const [invite] = requests(trunk, 'INVITE');
    expectEmergencyInvite(invite, stack.ports.emergency, trunk.describe());
    expect(invite!.header('Geolocation'), invite!.raw).toBe('<cid:loc@cg>');
    expect(Buffer.byteLength(invite!.raw), invite!.raw).toBeLessThanOrEqual(1300);
    const fallback = await stack.app.waitForLog('the UDP fallback', (e) => String(e.msg).startsWith('emergency trunk did not take the INVITE over TCP'), 20_000, logsBefore);
    expect(fallback).toMatchObject({ withoutCallerLocation: true });
  });

  it('a caller sending an UPDATE without SDP while its 999 rings: answered 200 (not drachtio-srf\'s 500), and the call connects', async () => {
    // The caller's scenario fails unless its UPDATE is answered 200 before the 200 to its INVITE.
    const { trunk } = await connectedEmergencyCall({ ringMs: 2_000 }, () => startSipp(stack.lab, { role: 'uac', scenarioFile: 'uac-early-update.xml', template: { hold: 300 }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: '999', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 }));
    expectEmergencyInvite(requests(trunk, 'INVITE')[0], stack.ports.emergency, trunk.describe());
    expect(requests(trunk, 'UPDATE'), trunk.describe()).toEqual([]);
  }, 120_000);

  it('a connected 999 re-INVITEd by the caller without an offer (a delayed-offer PBX after a transfer): the trunk is re-INVITEd without one, and its ACK carries the caller\'s answer', async () => {
    // The caller's scenario fails unless the re-INVITE's 200 carries an audio offer.
    const { trunk } = await connectedEmergencyCall('reinvite', () => startSipp(stack.lab, { role: 'uac', scenarioFile: 'uac-reinvite-no-offer.xml', template: { hold: 300 }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: '999', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 }));
    const [, reInvite] = requests(trunk, 'INVITE');
    expect(reInvite?.body.trim(), trunk.describe()).toBe('');
    const [, ack] = requests(trunk, 'ACK');
    expect(ack?.body, trunk.describe()).toContain('o=reinvite-answer ');
  }, 120_000);

  it("a softphone putting its connected 999 on hold, offering opus, G.722 and video again: the trunk's re-INVITE offers G.711 audio alone, sendonly, as its first INVITE did", async () => {
    const { trunk } = await connectedEmergencyCall('reinvite', () => startSipp(stack.lab, { role: 'uac', scenarioFile: 'uac-hold-reoffer.xml', template: { hold: 300 }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: '999', keys: { from: '4101' }, calls: 1, timeoutSeconds: 60 }));
    const [first, hold] = requests(trunk, 'INVITE');
    expect(hold, trunk.describe()).toBeDefined();
    for (const invite of [first!, hold!]) {
      const sdp = invite.header('Content-Type')?.startsWith('multipart/') ? multipartParts(invite).find((p) => p.contentType?.startsWith('application/sdp'))!.body : invite.body;
      expect(sdp, invite.raw).toMatch(/^m=audio [1-9]\d* RTP\/AVP 0 8 101\r?$/m);
      expect(sdp, invite.raw).toMatch(/^m=video 0 /m);
      expect(sdp, invite.raw).not.toMatch(/opus|G722|H264|a=ssrc/);
    }
    expect(hold!.body, hold!.raw).toMatch(/^a=sendonly\r?$/m);
  });

  it('the emergency trunk answering 503: the call is retried on the public trunk with the same number', async () => {
    const emergency = await peer(stack, 'emergency', { reject: 503, phrase: 'Service Unavailable' }, 1);
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    // Security gets the alert, then a second one saying the call went via the public trunk.
    const security = await peer(stack, 'security', 'answer', 2);
    const uac = await dial(stack, { from: '4101', to: '999', expect: 'call' });
    const code = await uac.waitExit();
    await finish(emergency);
    await finish(trunk);
    await finish(security, 15_000);
    const alerts = requests(security, 'MESSAGE');
    expect(alerts, security.describe()).toHaveLength(2);
    for (const alert of alerts) expect(alert.body.trimStart()).toMatch(/^EMERGENCY\b/);
    expect(alerts[1]!.body, alerts[1]!.raw).toMatch(/trunk/i);
    expect(requests(emergency, 'INVITE'), emergency.describe()).toHaveLength(1);
    const [retry] = requests(trunk, 'INVITE');
    expect(retry?.uri, trunk.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.trunk}`);
    expect(retry?.header('P-Asserted-Identity'), retry?.raw).toMatch(/[:<]\+441707284101[@>;]/);
    expect(code, uac.describe()).toBe(0);
  }, 120_000);

  it('an emergency trunk that is down (silent: not even a 100 Trying): the 999 goes to the public trunk while drachtio-server is still resending to the dead one, not once its INVITE has timed out', async () => {
    const dead = await SipSocket.bind(stack.ports.emergency);
    const datagrams: string[] = [];
    dead.handle((d) => void datagrams.push(d.message?.method ?? 'unreadable'));
    try {
      const logsBefore = stack.app.logs().length;
      const trunk = await peer(stack, 'trunk', 'answer', 1);
      const security = await peer(stack, 'security', 'answer', 2);
      const uac = await dial(stack, { from: '4101', to: '999', expect: 'call', holdMs: 500 });
      await stack.app.waitForLog('the failover', (e) => e.msg === 'emergency trunk failed: trying the public trunk' && e.why === 'did not respond', 60_000, logsBefore);
      // drachtio-server resends an unanswered INVITE until Timer B (32 s): one more resend after the
      // failover shows it came while the dead trunk's INVITE was still alive.
      const seenAtFailover = datagrams.length;
      await waitFor('a resend to the dead trunk after the failover', () => datagrams.length > seenAtFailover, 40_000);
      expect(datagrams.every((m) => m === 'INVITE' || m === 'CANCEL'), datagrams.join(' ')).toBe(true);
      expect(await uac.waitExit(), uac.describe()).toBe(0);
      expect(await finish(trunk), trunk.describe()).toBe(0);
      expect(requests(trunk, 'INVITE')[0]?.uri, trunk.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.trunk}`);
      await finish(security, 10_000);
    } finally {
      await dead.close();
    }
  }, 120_000);

  it("Security Control's desk not registered (its PBX answers the MESSAGE 480): the 999's alert goes to the failover desk", async () => {
    const trunk = await peer(stack, 'emergency', 'answer', 1);
    const desk = await peer(stack, 'security', 'unregistered', 1);
    const backup = await peer(stack, 'backup', 'answer', 1);
    const uac = await dial(stack, { from: '4101', to: '999', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    expect(await finish(desk), desk.describe()).toBe(0);
    expect(await finish(backup), backup.describe()).toBe(0);
    const [message] = requests(backup, 'MESSAGE');
    expect(message?.uri, backup.describe()).toBe(`sip:security-backup@127.0.0.1:${stack.ports.backup}`);
    expect(message?.body.trimStart(), backup.describe()).toMatch(/^EMERGENCY 999\b/);
    expect(message?.body, backup.describe()).toContain(LOCATION_4101);
  }, 120_000);

  it('lift phone 2900 dialling anything reaches Security Control with From display name HOTLINE <location>', async () => {
    // Security gets the call and, as for every hotline call, the alert MESSAGE.
    const security = await peer(stack, 'security', 'answer', 2);
    const uac = await dial(stack, { from: '2900', to: '4202', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    await finish(security, 15_000);
    const [invite] = requests(security, 'INVITE');
    expect(invite?.uri, security.describe()).toBe(`sip:security@127.0.0.1:${stack.ports.security}`);
    expect(displayNameOf(invite?.header('From')), invite?.raw).toBe(`HOTLINE ${LIFT}`);
    const [message] = requests(security, 'MESSAGE');
    expect(message?.body.trimStart(), security.describe()).toMatch(/^HOTLINE\b/);
  }, 120_000);

  it('Security Control not answering within answerTimeoutSeconds: CANCEL to it, and the call goes to the failover', async () => {
    const security = await peer(stack, 'security', 'no-answer', 2);
    const backup = await peer(stack, 'backup', 'answer', 1);
    const uac = await dial(stack, { from: '2900', to: '0', expect: 'call' });
    const code = await uac.waitExit();
    await finish(backup);
    await finish(security, 15_000);
    expect(requests(security, 'INVITE'), security.describe()).toHaveLength(1);
    expect(requests(security, 'CANCEL'), security.describe()).toHaveLength(1);
    const [failover] = requests(backup, 'INVITE');
    expect(failover?.uri, backup.describe()).toBe(`sip:security-backup@127.0.0.1:${stack.ports.backup}`);
    expect(displayNameOf(failover?.header('From')), failover?.raw).toBe(`HOTLINE ${LIFT}`);
    expect(code, uac.describe()).toBe(0);
  }, 120_000);
});
