/**
 * Hotline (emergency line) calls: whatever a lift phone dials goes to Security Control with
 * `HOTLINE <location>` as the caller's name; no answer in time or a failure moves on to each failover;
 * when every target fails the caller gets a failure and Security gets an extra alert saying so.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Edge, EXTERNAL, INTERNAL, until } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

const LIFT = 'Main Building, lift 1 car';

describe('SIP edge: hotline to Security Control', () => {
  let edge: Edge;

  beforeEach(async () => {
    edge = await Edge.start({ answerTimeoutSeconds: 5 });
  });

  afterEach(async () => {
    await edge.stop();
  });

  const messages = (pattern: RegExp) => edge.fake.outboundRequests.filter((r) => r.method === 'MESSAGE' && pattern.test(r.body));

  it.each(['4202', '0', '901707123456'])('2900 dialling %s reaches Security Control as "HOTLINE <location>"; Security is alerted', async (dialled) => {
    const a = edge.invite('2900', dialled);
    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:2222@${INTERNAL}`);
    expect(b.get('From')).toMatch(new RegExp(`^"HOTLINE ${LIFT}"\\s*<sip:2900@`));
    const alert = await edge.nextRequest('MESSAGE');
    expect(alert.uri).toBe(`sip:2222@${INTERNAL}`);
    expect(alert.body).toMatch(/^HOTLINE\b/);
    expect(alert.body).toContain('2900');
    expect(alert.body).toContain(LIFT);
    alert.respond(200);
    b.respond(180);
    expect((await a.nextResponse()).status).toBe(180);
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.22' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    expect((await b.bye().finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
  });

  it('no answer within answerTimeoutSeconds: CANCEL and the next failover; all fail: the caller gets a failure and Security an extra alert', async () => {
    const a = edge.invite('2900', '4202');
    const first = await edge.nextInvite();
    expect(first.uri).toBe(`sip:2222@${INTERNAL}`);
    first.respond(180);
    await first.waitForCancel({ timeoutMs: 20_000 });
    const second = await edge.nextInvite(20_000);
    expect(second.uri).toBe(`sip:2223@${INTERNAL}`);
    expect(second.get('From')).toMatch(/^"HOTLINE /);
    second.respond(486);
    const third = await edge.nextInvite();
    expect(third.uri).toBe(`sip:+441707284999@${EXTERNAL}`);
    third.respond(503);
    const final = await a.finalResponse();
    expect(final.status).toBeGreaterThanOrEqual(400);
    await until('the unanswered alert', () => messages(/^HOTLINE/).find((m) => /not answered/i.test(m.body)), 10_000);
    await until('no call in progress', async () => (await edge.callsInProgress) === 0);
  });

  it('the target failing at once: the first failover answers, and Security is told who did', async () => {
    const a = edge.invite('2900', '4202');
    (await edge.nextInvite()).respond(503);
    const second = await edge.nextInvite();
    expect(second.uri).toBe(`sip:2223@${INTERNAL}`);
    second.respond(200, { body: sip.sdp({ ip: '192.0.2.23' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await until('the failover alert', () => messages(/^HOTLINE/).find((m) => m.body.includes('2223')));
    await edge.nextRequest('ACK');
    expect((await a.bye().finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
  });

  it('the Security desk dead (its phone sends nothing, not even 100 Trying): the first failover rings once answerTimeoutSeconds have passed, not when that INVITE times out', async () => {
    await edge.stop();
    edge = await Edge.start({ answerTimeoutSeconds: 5, farEndAnswersCancel: false });
    const a = edge.invite('2900', '4202');
    const dead = await edge.nextInvite();
    expect(dead.uri).toBe(`sip:2222@${INTERNAL}`);
    const second = await edge.nextInvite(20_000);
    expect(second.uri).toBe(`sip:2223@${INTERNAL}`);
    second.respond(200, { body: sip.sdp({ ip: '192.0.2.23' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    expect((await a.bye().finalResponse()).status).toBe(200);
    (await edge.nextRequest('BYE')).respond(200);
  });
});
