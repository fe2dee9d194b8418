/**
 * Offer and answer across the B2BUA beyond a caller's plain offer. Callers that make no SDP offer (a PBX
 * trunk set to delayed offer, Cisco CUCM's default): the B leg goes out without an offer too, the far
 * end offers in its 2xx, the caller is answered with that offer, and the caller's answer, from its ACK,
 * is what the far end gets in its own ACK. The emergency INVITE still carries the whole PIDF-LO, as the
 * only part of its body; so does the direct route taken when call handling fails. Mid-call: a re-INVITE
 * without an offer is passed on the same way, and an UPDATE's offer reaches the other side.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EMERGENCY_TRUNK, Edge, EXTERNAL, INTERNAL, multipartParts, withoutTransport } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';

const FAR_OFFER = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });
const CALLER_ANSWER = sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 4000 });
const HOLD = sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 4000, direction: 'sendonly' });

let edge: Edge | undefined;
afterEach(async () => {
  await edge?.stop();
  edge = undefined;
});

/** The app's ACKs to the B leg `b` so far. */
function acksTo(b: OutboundRequest): OutboundRequest[] {
  return edge!.fake.outboundRequests.filter((r) => r.method === 'ACK' && r.get('Call-ID') === b.get('Call-ID'));
}

/**
 * B offers in its 2xx; the caller gets that offer in its 200, and B gets no ACK until the caller has
 * ACKed with its answer, which B's ACK then carries.
 */
async function answerWithOffer(a: InboundTransaction, b: OutboundRequest): Promise<void> {
  b.respond(200, { body: FAR_OFFER });
  const final = await a.finalResponse();
  expect(final.status).toBe(200);
  expect(final.body).toBe(FAR_OFFER);
  expect(acksTo(b)).toEqual([]);
  a.ack({ body: CALLER_ANSWER });
  const ack = await edge!.nextRequest('ACK');
  expect(ack.get('Call-ID')).toBe(b.get('Call-ID'));
  expect(ack.body).toBe(CALLER_ANSWER);
}

function expectLocationAlone(invite: OutboundRequest): void {
  expect(invite.get('Geolocation')).toMatch(/^<cid:/);
  const parts = multipartParts(invite.get('Content-Type') ?? '', invite.body);
  expect(parts.map((p) => p.headers.get('content-type'))).toEqual(['application/pidf+xml']);
  expect(parts[0]!.body).toContain('College Lane');
}

describe('SIP edge: offer and answer', () => {
  it('4101 -> 4202: the PBX is called without an offer and gets the caller\'s answer in its ACK', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202', { sdp: null, autoAck: false });
    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:4202@${INTERNAL}`);
    expect(b.body).toBe('');
    await answerWithOffer(a, b);
  });

  it('4101 -> 999: the emergency INVITE carries the PIDF-LO alone, and the trunk gets the caller\'s answer in its ACK', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '999', { sdp: null, autoAck: false });
    const b = await edge.nextInvite();
    expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    expect(b.get('P-Asserted-Identity')).toBe('<tel:+441707284101>');
    expectLocationAlone(b);
    await answerWithOffer(a, b);
    await edge.waitForLog('the emergency decision', (l) => l.msg === 'emergency call');
  });

  it('999 with the emergency trunk failing: the public trunk gets the same PIDF-LO alone, and the caller\'s answer in its ACK', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '999', { sdp: null, autoAck: false });
    const trunk = await edge.nextInvite();
    trunk.respond(503);
    const publicTrunk = await edge.nextInvite();
    expect(withoutTransport(publicTrunk.uri)).toBe(`sip:999@${EXTERNAL}`);
    expectLocationAlone(publicTrunk);
    await answerWithOffer(a, publicTrunk);
  });

  it('999 when call handling fails: the direct route sends the PIDF-LO alone and passes the caller\'s answer on', async () => {
    edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    const a = edge.invite('4101', '999', { sdp: null, autoAck: false });
    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    expectLocationAlone(b);
    await answerWithOffer(a, b);
    await edge.waitForLog('the fallback', (l) => l.msg?.startsWith('call handling failed on an emergency call') === true);
  });

  it('lift phone 2900 with no offer: Security rings unanswered and is CANCELled, the failover offers in its 200 and gets the caller\'s answer', async () => {
    edge = await Edge.start({ answerTimeoutSeconds: 5 });
    const a = edge.invite('2900', '4202', { sdp: null, autoAck: false });
    const first = await edge.nextInvite();
    expect(first.uri).toBe(`sip:2222@${INTERNAL}`);
    expect(first.body).toBe('');
    first.respond(180);
    await first.waitForCancel({ timeoutMs: 20_000 });
    const second = await edge.nextInvite(20_000);
    expect(second.uri).toBe(`sip:2223@${INTERNAL}`);
    expect(second.get('From')).toMatch(/^"HOTLINE /);
    await answerWithOffer(a, second);
    expect(a.responses.filter((r) => r.status === 180).map((r) => r.body)).toEqual(['']);
  });

  it('a re-INVITE without an offer on a connected call: passed on without one; the callee\'s offer goes back, and its ACK carries the caller\'s answer', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202', { sdp: null, autoAck: false });
    // Connected once the callee's ACK carries the caller's answer: the call's re-INVITE handling is in place by then.
    await answerWithOffer(a, await edge.nextInvite());
    const reInvite = a.sendInDialog('INVITE', { autoAck: false });
    const toCallee = await edge.nextRequest('INVITE');
    expect(toCallee.body).toBe('');
    toCallee.respond(200, { body: FAR_OFFER });
    const ok = await reInvite.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(FAR_OFFER);
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'ACK' && r.get('CSeq') === `${toCallee.get('CSeq')!.split(' ')[0]} ACK`)).toEqual([]);
    reInvite.ack({ body: CALLER_ANSWER });
    const ack = await edge.nextRequest('ACK');
    expect(ack.get('Call-ID')).toBe(toCallee.get('Call-ID'));
    expect(ack.body).toBe(CALLER_ANSWER);
  });

  it.each([
    [491, 491, 'both offering at once: the caller tries again (RFC 3261 14.1)'],
    [488, 488, 'not acceptable'],
    [500, 488, 'any other refusal'],
  ])("a re-INVITE the callee answers %s: the caller gets %s (%s), and its next re-INVITE still reaches the callee and is answered (drachtio-srf's modify lets the next through only after a 200)", async (refused, passedBack) => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202', { sdp: null, autoAck: false });
    await answerWithOffer(a, await edge.nextInvite());
    const hold = a.sendInDialog('INVITE', { body: HOLD });
    (await edge.nextRequest('INVITE')).respond(refused);
    expect((await hold.finalResponse()).status).toBe(passedBack);
    const resume = a.sendInDialog('INVITE', { body: CALLER_ANSWER });
    const toCallee = await edge.nextRequest('INVITE');
    expect(toCallee.body).toBe(CALLER_ANSWER);
    toCallee.respond(200, { body: FAR_OFFER });
    expect((await resume.finalResponse()).status).toBe(200);
  });

  it.each(['caller', 'callee'] as const)("the %s's SIP INFO digits and in-dialog MESSAGE on a connected call reach the other side, whose answer comes back (a phone set to INFO DTMF, calling an IVR)", async (side) => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202', { sdp: null, autoAck: false });
    const b = await edge.nextInvite();
    await answerWithOffer(a, b);
    const [from, toCallId] = side === 'caller' ? [a, b.get('Call-ID')] : [b, a.request!.callId];
    const info = from.sendInDialog('INFO', { body: 'Signal=5\r\nDuration=160\r\n', contentType: 'application/dtmf-relay' });
    const passed = await edge.nextRequest('INFO');
    expect(passed.get('Call-ID')).toBe(toCallId);
    expect(passed.get('Content-Type')).toBe('application/dtmf-relay');
    expect(passed.body).toBe('Signal=5\r\nDuration=160\r\n');
    passed.respond(200);
    expect((await info.finalResponse()).status).toBe(200);
    const message = from.sendInDialog('MESSAGE', { body: 'hello', contentType: 'text/plain' });
    const relayed = await edge.nextRequest('MESSAGE');
    expect(relayed.get('Call-ID')).toBe(toCallId);
    expect(relayed.body).toBe('hello');
    relayed.respond(415);
    expect((await message.finalResponse()).status).toBe(415);
  });

  it('an UPDATE with a new offer on a connected call reaches the callee as a re-INVITE, and its answer comes back; one without an offer (a session refresh) is answered alone', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202', { sdp: null, autoAck: false });
    const b = await edge.nextInvite();
    // Connected once the callee's ACK carries the caller's answer: the call's handlers are in place by then.
    await answerWithOffer(a, b);
    const moved = sip.sdp({ ip: '203.0.113.44', port: 41000, sessionId: 4001 });
    const update = a.sendInDialog('UPDATE', { body: moved, contentType: 'application/sdp' });
    const toCallee = await edge.nextRequest('INVITE');
    expect(toCallee.get('Call-ID')).toBe(b.get('Call-ID'));
    expect(toCallee.body).toBe(moved);
    const calleeAnswer = sip.sdp({ ip: '192.0.2.20', port: 50002, sessionId: 2001 });
    toCallee.respond(200, { body: calleeAnswer });
    const ok = await update.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(calleeAnswer);
    const refresh = await a.sendInDialog('UPDATE').finalResponse();
    expect(refresh.status).toBe(200);
    expect(refresh.body).toBe('');
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE' || r.method === 'UPDATE')).toHaveLength(2);
  });

  it('an UPDATE from the caller while its call rings: without SDP 200 with no body (drachtio-srf alone answers 500); with SDP 500 and Retry-After (RFC 3311 5.2); the call then connects', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(180);
    expect((await a.nextResponse()).status).toBe(180);
    const refresh = await a.update().finalResponse();
    expect([refresh.status, refresh.body]).toEqual([200, '']);
    const offer = await a.update({ body: sip.sdp({ ip: '203.0.113.44', port: 41000, sessionId: 4001 }) }).finalResponse();
    expect(offer.status).toBe(500);
    expect(Number(offer.get('retry-after'))).toBeLessThanOrEqual(10);
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'UPDATE')).toEqual([]);
    b.respond(200, { body: FAR_OFFER });
    expect((await a.finalResponse()).status).toBe(200);
  });

  it('999 with no offer when call handling fails: the caller\'s UPDATE without SDP while it rings gets 200 on the direct route too', async () => {
    edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    const a = edge.invite('4101', '999', { sdp: null, autoAck: false });
    const b = await edge.nextInvite();
    b.respond(180);
    expect((await a.nextResponse()).status).toBe(180);
    expect((await a.update().finalResponse()).status).toBe(200);
    await answerWithOffer(a, b);
  });
});
