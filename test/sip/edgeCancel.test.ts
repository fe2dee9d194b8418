/**
 * CANCEL and BYE at awkward moments: while the callee rings, during Security failover, crossing the
 * callee's answer, and a hang-up in the same instant as the answer. Nothing may be left connected.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { answerByes, Edge, INTERNAL, until } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

const ANSWER = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });

describe('SIP edge: CANCEL and hang-up races', () => {
  let edge: Edge;

  beforeEach(async () => {
    edge = await Edge.start({ answerTimeoutSeconds: 5 });
  });

  afterEach(async () => {
    await edge.stop();
  });

  /** Every dialog is gone and the app counts no call in progress. */
  async function expectNothingLeft(): Promise<void> {
    await until('no call in progress', async () => (await edge.callsInProgress) === 0);
    await until(`no open dialog (open: ${edge.fake.openDialogs.join(', ')})`, () => edge.fake.openDialogs.length === 0);
  }

  it('CANCEL while the callee rings: the B leg is CANCELled and the caller gets 487', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(180);
    expect((await a.nextResponse()).status).toBe(180);
    a.cancel();
    const cancel = await b.waitForCancel();
    expect(cancel.uri).toBe(b.uri);
    expect(cancel.get('Call-ID')).toBe(b.get('Call-ID'));
    expect((await a.finalResponse()).status).toBe(487);
    await until('B answered 487', () => b.finalStatus === 487);
    await expectNothingLeft();
  });

  it('CANCEL before the callee has even rung', async () => {
    const a = edge.invite('4101', '901707123456');
    const b = await edge.nextInvite();
    a.cancel();
    await b.waitForCancel();
    expect((await a.finalResponse()).status).toBe(487);
    await expectNothingLeft();
  });

  it('CANCEL during the hotline failover: the ringing failover is CANCELled and no further target is tried', async () => {
    const a = edge.invite('2900', '0');
    const first = await edge.nextInvite();
    expect(first.uri).toBe(`sip:2222@${INTERNAL}`);
    first.respond(180);
    // no answer within answerTimeoutSeconds: CANCEL, then the first failover
    await first.waitForCancel({ timeoutMs: 15_000 });
    const second = await edge.nextInvite(15_000);
    expect(second.uri).toBe(`sip:2223@${INTERNAL}`);
    second.respond(180);
    a.cancel();
    await second.waitForCancel();
    expect((await a.finalResponse()).status).toBe(487);
    await expectNothingLeft();
    // the last failover (+441707284999) is never dialled for a caller who has gone
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE')).toHaveLength(2);
  });

  it('CANCEL crossing the callee\'s 200: the answered B leg gets a BYE, the caller 487', async () => {
    answerByes(edge);
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(180);
    await a.nextResponse();
    b.respond(200, { body: ANSWER });
    a.cancel();
    expect((await a.finalResponse()).status).toBe(487);
    await until('a BYE to the answered B leg', () =>
      edge.fake.outboundRequests.some((r) => r.method === 'BYE' && r.get('Call-ID') === b.get('Call-ID')),
    );
    await expectNothingLeft();
  });

  it('CANCEL arriving just before the callee\'s 200: the late answer is hung up', async () => {
    answerByes(edge);
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(180);
    await a.nextResponse();
    a.cancel();
    b.respond(200, { body: ANSWER });
    expect((await a.finalResponse()).status).toBe(487);
    await until('a BYE to the answered B leg', () =>
      edge.fake.outboundRequests.some((r) => r.method === 'BYE' && r.get('Call-ID') === b.get('Call-ID')),
    );
    await expectNothingLeft();
  });

  it('the caller hangs up the instant it is answered: B still gets its BYE', async () => {
    answerByes(edge);
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(200, { body: ANSWER });
    expect((await a.finalResponse()).status).toBe(200);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await until('a BYE to B', () => edge.fake.outboundRequests.some((r) => r.method === 'BYE' && r.get('Call-ID') === b.get('Call-ID')));
    await expectNothingLeft();
  });

  it('the callee hangs up the instant it answers: the caller is answered and then gets a BYE', async () => {
    answerByes(edge);
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    b.respond(200, { body: ANSWER });
    // B hangs up as soon as RFC 3261 §15 lets it (on the app's ACK), while the caller is still being answered
    await edge.nextRequest('ACK');
    b.bye();
    await until('a BYE to A', () => edge.fake.outboundRequests.some((r) => r.method === 'BYE' && r.get('Call-ID') === a.request!.callId));
    await expectNothingLeft();
  });
});
