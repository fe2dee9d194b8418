/**
 * PSAP callback on the wire (drachtio-srf's real code against the fake drachtio-server): a phone without
 * a DDI calls 999 presenting one of site.emergency.callbackNumbers, concurrent calls from different
 * phones present different ones, and for callbackMinutes a call from outside to that number goes
 * straight to the phone, then to Security Control when the phone does not take it. After the window the
 * number is routed as before. Held numbers are shared through a real redis-server.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMERGENCY_TRUNK, Edge, INTERNAL, until, withoutTransport, type LogLine } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import { RedisServer } from '../support/redisServer.js';
import * as sip from '../support/sipText.js';

const POOL = ['+441707284990', '+441707284991'];
const MAIN_NUMBER = '+441707284000';
/** The emergency service's operator, calling back from outside. */
const PSAP = '+441632960123';
const ANSWER = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });
const MINUTE = 60_000;

/** The sample plan with its own callback numbers and a 5 s ring before Security Control. */
const withPool = (numbers: string[]) => (site: string) =>
  site.replace(/callbackNumbers: \[[^\]]*\]/, `callbackNumbers: ${JSON.stringify(numbers)}`).replace(/callbackRingSeconds: \d+/, 'callbackRingSeconds: 5');

/** The number an emergency INVITE presents as its callback (P-Asserted-Identity `<tel:+44...>`). */
function presented(invite: OutboundRequest): string | undefined {
  return /^<tel:(\+\d+)>/.exec(invite.get('P-Asserted-Identity') ?? '')?.[1];
}

/** `from` dials 999; the trunk answers. Returns the caller's transaction and the trunk leg. */
async function emergencyCall(edge: Edge, from: string): Promise<{ a: InboundTransaction; trunk: OutboundRequest }> {
  const a = edge.invite(from, '999');
  const trunk = await edge.nextInvite();
  expect(withoutTransport(trunk.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
  trunk.respond(200, { body: ANSWER });
  expect((await a.finalResponse()).status).toBe(200);
  await edge.nextRequest('ACK');
  return { a, trunk };
}

async function hangUp(edge: Edge, a: InboundTransaction): Promise<void> {
  expect((await a.bye().finalResponse()).status).toBe(200);
  (await edge.nextRequest('BYE')).respond(200);
}

const messages = (edge: Edge, pattern: RegExp) => edge.fake.outboundRequests.filter((r) => r.method === 'MESSAGE' && pattern.test(r.body));

describe('SIP edge: PSAP callback', () => {
  let edge: Edge | undefined;
  const more: Edge[] = [];

  afterEach(async () => {
    await Promise.all([edge, ...more.splice(0)].map((e) => e?.stop()));
    edge = undefined;
  });

  it('concurrent 999 calls from phones without a DDI present different callback numbers; the DDI phone its DDI', async () => {
    edge = await Edge.start({ site: withPool(POOL) });
    const first = await emergencyCall(edge, '4150');
    const second = await emergencyCall(edge, '4202');
    const third = await emergencyCall(edge, '4101');
    expect([presented(first.trunk), presented(second.trunk), presented(third.trunk)]).toEqual([...POOL, '+441707284101']);
    // Security's alert gives the callback number and how long it leads back to the phone.
    const alert = await until('the EMERGENCY alert for 4150', () => messages(edge!, /^EMERGENCY 999/).find((m) => m.body.includes('extension: 4150')));
    expect(alert.body).toMatch(/callback: \+441707284990 \(reaches this extension until \d{4}-\d\d-\d\dT/);
    for (const call of [first, second, third]) await hangUp(edge, call.a);
  });

  it('a call from outside to the callback number goes straight to the phone that dialled 999, in any usual number form', async () => {
    edge = await Edge.start({ site: withPool(POOL) });
    const lab = await emergencyCall(edge, '4150');
    await hangUp(edge, lab.a);
    for (const dialled of ['+441707284990', '01707284990']) {
      const a = edge.invite(PSAP, dialled);
      const phone = await edge.nextInvite();
      expect(phone.uri).toBe(`sip:4150@${INTERNAL}`);
      expect(phone.get('From')).toMatch(/^"EMERGENCY CALLBACK"\s*<sip:\+441632960123@/);
      phone.respond(180);
      expect((await a.nextResponse()).status).toBe(180);
      phone.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      await edge.nextRequest('ACK');
      await hangUp(edge, a);
    }
    // Security is told on the emergency's own alert: a follow-up with its Call-ID.
    const followUp = await until('the callback follow-up', () => messages(edge!, /callback from the emergency service → 4150/).at(0));
    expect(followUp.body).toMatch(/^EMERGENCY 999/);
    const decision = await edge.waitForLog('the callback decision', (l) => l.reason === 'psap-callback');
    expect(decision).toMatchObject({ action: 'psap-callback', from: PSAP, to: '4150' });
  });

  it('the phone not answering within callbackRingSeconds: CANCEL, then Security Control, who is told why', async () => {
    edge = await Edge.start({ site: withPool(POOL) });
    await hangUp(edge, (await emergencyCall(edge, '4150')).a);
    const a = edge.invite(PSAP, POOL[0]!);
    const phone = await edge.nextInvite();
    expect(phone.uri).toBe(`sip:4150@${INTERNAL}`);
    phone.respond(180);
    await phone.waitForCancel({ timeoutMs: 30_000 });
    const security = await edge.nextInvite(30_000);
    expect(security.uri).toBe(`sip:2222@${INTERNAL}`);
    expect(security.get('From')).toMatch(/^"EMERGENCY CALLBACK for 4150"/);
    security.respond(200, { body: ANSWER });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    await until('the unanswered follow-up', () => messages(edge!, /4150 did not take it \(no answer in 5 s\), put through to Security Control/).at(0));
    await hangUp(edge, a);
  });

  it('the phone busy: Security Control at once', async () => {
    edge = await Edge.start({ site: withPool(POOL) });
    await hangUp(edge, (await emergencyCall(edge, '4202')).a);
    const a = edge.invite(PSAP, POOL[0]!);
    const phone = await edge.nextInvite();
    expect(phone.uri).toBe(`sip:4202@${INTERNAL}`);
    phone.respond(486);
    const security = await edge.nextInvite();
    expect(security.uri).toBe(`sip:2222@${INTERNAL}`);
    security.respond(200, { body: ANSWER });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    await hangUp(edge, a);
  });

  it('the default pool (the main number): within the window the switchboard number leads to the phone, after it to the switchboard again', async () => {
    let clock = Date.parse('2026-11-23T14:00:00Z');
    edge = await Edge.start({ now: () => clock });
    const lab = await emergencyCall(edge, '4150');
    expect(presented(lab.trunk)).toBe(MAIN_NUMBER);
    await hangUp(edge, lab.a);

    clock += 59 * MINUTE;
    const inWindow = edge.invite(PSAP, MAIN_NUMBER);
    const phone = await edge.nextInvite();
    expect(phone.uri).toBe(`sip:4150@${INTERNAL}`);
    phone.respond(486);
    // Busy: on to Security Control and its two failovers; each refuses too.
    for (let i = 0; i < 3; i++) (await edge.nextInvite()).respond(486);
    expect((await inWindow.finalResponse()).status).toBe(486);

    clock += 2 * MINUTE;
    const after = edge.invite(PSAP, MAIN_NUMBER);
    const switchboard = await edge.nextInvite();
    expect(switchboard.uri).toBe(`sip:3200@${INTERNAL}`);
    switchboard.respond(486);
    expect((await after.finalResponse()).status).toBe(486);
  });

  it('the pool exhausted: the number held longest is reused, and the log says whose callback it no longer reaches', async () => {
    edge = await Edge.start({ site: withPool(POOL) });
    for (const ext of ['4150', '4202']) await hangUp(edge, (await emergencyCall(edge, ext)).a);
    const third = await emergencyCall(edge, '2900');
    expect(presented(third.trunk)).toBe(POOL[0]);
    const line: LogLine = await edge.waitForLog('the exhausted pool', (l) => /PSAP callback numbers exhausted/.test(l.msg ?? ''));
    expect(line).toMatchObject({ ext: '2900', callback: POOL[0], displacedExt: '4150' });
    await hangUp(edge, third.a);
    const a = edge.invite(PSAP, POOL[0]!);
    expect((await edge.nextInvite()).uri).toBe(`sip:2900@${INTERNAL}`);
    await a.cancel().finalResponse();
  });

  describe('with Redis', () => {
    let redis: RedisServer;

    beforeAll(async () => {
      redis = await RedisServer.start();
    });
    afterAll(async () => redis.stop());

    it('another instance routes the callback: the hold is a key per number with the extension and expiry', async () => {
      edge = await Edge.start({ site: withPool(POOL), redisUrl: redis.url });
      await hangUp(edge, (await emergencyCall(edge, '4150')).a);
      const client = createClient({ url: redis.url });
      await client.connect();
      try {
        const stored = await until('the hold in Redis', () => client.get(`callguard:callback:${POOL[0]}`).then((v) => v ?? undefined));
        expect(JSON.parse(stored)).toMatchObject({ number: POOL[0], ext: '4150', dialled: '999' });
        expect(await client.pTTL(`callguard:callback:${POOL[0]}`)).toBeGreaterThan(55 * MINUTE);
      } finally {
        await client.close();
      }
      const other = await Edge.start({ site: withPool(POOL), redisUrl: redis.url });
      more.push(other);
      const a = other.invite(PSAP, POOL[0]!);
      const phone = await other.nextInvite();
      expect(phone.uri).toBe(`sip:4150@${INTERNAL}`);
      phone.respond(200, { body: ANSWER });
      expect((await a.finalResponse()).status).toBe(200);
      await other.nextRequest('ACK');
      await hangUp(other, a);
    });

    it('Redis down: the 999 goes out with a pool number all the same, and this instance routes the callback', async () => {
      edge = await Edge.start({ site: withPool(POOL), redisUrl: redis.url });
      await redis.kill();
      try {
        const lab = await emergencyCall(edge, '4150');
        expect(POOL).toContain(presented(lab.trunk));
        await edge.waitForLog('the unshared hold', (l) => /PSAP callback hold not shared through Redis/.test(l.msg ?? ''));
        await hangUp(edge, lab.a);
        const a = edge.invite(PSAP, presented(lab.trunk)!);
        expect((await edge.nextInvite()).uri).toBe(`sip:4150@${INTERNAL}`);
        await a.cancel().finalResponse();
      } finally {
        await redis.restart();
      }
    });
  });
});
