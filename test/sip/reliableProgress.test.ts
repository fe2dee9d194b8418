/**
 * Callers that require reliable provisional responses (RFC 3262 `Require: 100rel`, as some PBX trunks
 * are set). Every 18x they get carries `Require: 100rel`, which is what makes drachtio-server send it
 * reliably with a Contact; their answer waits for the PRACK of a 1xx that carried SDP. On the emergency
 * path, the direct route taken when call handling fails does the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CallerProgress, requiresReliable } from '../../src/sip/reliableProgress.js';
import { EMERGENCY_TRUNK, Edge, TRUSTED_SOURCE, withoutTransport } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest, RecordedResponse } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';

const REQUIRE_100REL = { Require: '100rel', Supported: '100rel' };
/** A PBX requiring 100rel: the only kind of caller whose 18x go reliably. */
const FROM_PBX = { headers: REQUIRE_100REL, source: TRUSTED_SOURCE, pai: 'sip:4101@pbx.herts.example.ac.uk' };
const FAR_SDP = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });

let edge: Edge | undefined;
afterEach(async () => {
  await edge?.stop();
  edge = undefined;
});

/** Wire order of what the app sent: the index of the first message from it matching `match`. */
function sentAt(match: RegExp): number {
  return edge!.fake.wire.findIndex((w) => w.direction === 'from-app' && match.test(w.text));
}

/**
 * B sends its early media in a 183 and then answers; the caller gets a reliable 183 and PRACKs it only
 * once the app has taken B's answer (ACKed it). The caller's 200 must come after the PRACK's 200.
 */
async function earlyMediaThenAnswer(a: InboundTransaction, b: OutboundRequest): Promise<RecordedResponse> {
  b.respond(183, { body: FAR_SDP });
  const early = await a.nextResponse();
  expect(early.status).toBe(183);
  expect(early.get('require')).toBe('100rel');
  expect(early.get('rseq')).toMatch(/^\d+$/);
  expect(early.body).toBe(FAR_SDP);
  b.respond(200, { body: FAR_SDP });
  await edge!.nextRequest('ACK');
  expect(a.finalSent).toBe(false);
  const prack = a.prack();
  expect((await prack.finalResponse()).status).toBe(200);
  const final = await a.finalResponse();
  expect(final.status).toBe(200);
  expect(sentAt(/^SIP\/2\.0 200[^]*^cseq: \d+ PRACK/im)).toBeLessThan(sentAt(/^SIP\/2\.0 200[^]*^cseq: \d+ INVITE/im));
  return final;
}

/** B rings, then answers with its SDP; the caller gets a reliable 180 and PRACKs it. Returns the caller's final response. */
async function ringThenAnswer(a: InboundTransaction, b: OutboundRequest): Promise<RecordedResponse> {
  b.respond(180);
  const ringing = await a.nextResponse();
  expect([ringing.status, ringing.get('require')]).toEqual([180, '100rel']);
  expect((await a.prack().finalResponse()).status).toBe(200);
  b.respond(200, { body: FAR_SDP });
  return a.finalResponse();
}

describe('SIP edge: callers requiring 100rel', () => {
  it('4101 -> 999 requiring 100rel: the trunk\'s early media goes to the caller in a reliable 183, and the answer waits for its PRACK', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '999', FROM_PBX);
    const b = await edge.nextInvite();
    expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    await earlyMediaThenAnswer(a, b);
  });

  it("4101 -> 999 requiring 100rel, the trunk ringing, then early media and the answer at once: the 183 waits for the 180's PRACK, and the answer for the 183's", async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '999', FROM_PBX);
    const b = await edge.nextInvite();
    b.respond(180);
    expect((await a.nextResponse()).status).toBe(180);
    b.respond(183, { body: FAR_SDP });
    b.respond(200, { body: FAR_SDP });
    await edge.nextRequest('ACK');
    expect((await a.prack().finalResponse()).status).toBe(200);
    const early = await a.nextResponse();
    expect([early.status, early.get('rseq'), early.body]).toEqual([183, '2', FAR_SDP]);
    expect((await a.prack().finalResponse()).status).toBe(200);
    expect((await a.finalResponse()).status).toBe(200);
    // RFC 3262 §3: no 2xx while a reliable 1xx with SDP is unacknowledged: the answer comes after the second PRACK's 200.
    const pracksAnswered = edge.fake.wire.flatMap((w, i) => (w.direction === 'from-app' && /^SIP\/2\.0 200[^]*^cseq: \d+ PRACK/im.test(w.text) ? [i] : []));
    expect(pracksAnswered).toHaveLength(2);
    expect(pracksAnswered[1]).toBeLessThan(sentAt(/^SIP\/2\.0 200[^]*^cseq: \d+ INVITE/im));
  });

  it('4101 -> 4202 requiring 100rel, the PBX ringing: the caller gets a reliable 180', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '4202', FROM_PBX);
    expect((await ringThenAnswer(a, await edge.nextInvite())).status).toBe(200);
  });

  it('999 when call handling fails, requiring 100rel: the direct route sends the 183 reliably and answers after its PRACK', async () => {
    edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    const a = edge.invite('4101', '999', FROM_PBX);
    const b = await edge.nextInvite();
    expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
    await earlyMediaThenAnswer(a, b);
    await edge.waitForLog('the fallback', (l) => l.msg?.startsWith('call handling failed on an emergency call') === true);
  });

  it('999 with no offer when call handling fails, requiring 100rel: the ringing goes reliably, and the trunk\'s offer in the 200', async () => {
    edge = await Edge.start({ now: () => { throw new Error('injected clock failure'); } });
    const a = edge.invite('4101', '999', { ...FROM_PBX, sdp: null, autoAck: false });
    const final = await ringThenAnswer(a, await edge.nextInvite());
    expect([final.status, final.body]).toEqual([200, FAR_SDP]);
  });

  for (const failing of [false, true]) {
    it(`a phone (not a trusted source) requiring 100rel dials 999${failing ? ' when call handling fails' : ''}: it gets no 18x at all, so none can be left unPRACKed (drachtio-server dies when such an INVITE ends), and the call connects`, async () => {
      edge = await Edge.start(failing ? { now: () => { throw new Error('injected clock failure'); } } : {});
      const a = edge.invite('4101', '999', { headers: REQUIRE_100REL });
      const b = await edge.nextInvite();
      expect(withoutTransport(b.uri)).toBe(`sip:999@${EMERGENCY_TRUNK}`);
      b.respond(180);
      b.respond(183, { body: FAR_SDP });
      b.respond(200, { body: FAR_SDP });
      const final = await a.finalResponse();
      expect(final.status).toBe(200);
      expect(a.responses.map((r) => r.status)).toEqual([200]);
    });
  }

  it('a caller that only supports 100rel gets its 18x as before, unreliable', async () => {
    edge = await Edge.start();
    const a = edge.invite('4101', '999', { headers: { Supported: '100rel' } });
    const b = await edge.nextInvite();
    b.respond(183, { body: FAR_SDP });
    const early = await a.nextResponse();
    expect([early.status, early.get('require'), early.get('rseq')]).toEqual([183, undefined, undefined]);
    b.respond(200, { body: FAR_SDP });
    expect((await a.finalResponse()).status).toBe(200);
  });
});

describe('CallerProgress', () => {
  type Sent = { status: number; headers?: Record<string, string>; body?: string; onPrack?: () => void };
  function fakeResponse(): { res: ConstructorParameters<typeof CallerProgress>[0]; sent: Sent[] } {
    const sent: Sent[] = [];
    const res = {
      finalResponseSent: false,
      send(status: number, _reason: unknown, opts?: { headers?: Record<string, string>; body?: string }, _callback?: unknown, onPrack?: () => void) {
        // The unreliable form is send(status, opts).
        const o = (typeof _reason === 'object' ? _reason : opts) as { headers?: Record<string, string>; body?: string } | undefined;
        sent.push({ status, ...o, ...(onPrack ? { onPrack } : {}) });
      },
    };
    return { res: res as unknown as ConstructorParameters<typeof CallerProgress>[0], sent };
  }

  it('reads Require: 100rel among other option tags, in any case', () => {
    const req = (require?: string) => ({ get: (name: string) => (name === 'require' ? require : undefined) });
    expect(requiresReliable(req('100rel'))).toBe(true);
    expect(requiresReliable(req('timer, 100REL'))).toBe(true);
    expect(requiresReliable(req('timer'))).toBe(false);
    expect(requiresReliable(req(undefined))).toBe(false);
  });

  it('sends no second reliable 1xx before the first is PRACKed: the latest goes then', async () => {
    const { res, sent } = fakeResponse();
    const progress = new CallerProgress(res, 'reliable');
    progress.send(180);
    progress.send(183, 'v=0 first');
    progress.send(183, 'v=0 latest');
    expect(sent.map((s) => s.status)).toEqual([180]);
    expect(sent[0]!.headers).toEqual({ Require: '100rel' });
    const answered = progress.acknowledged(undefined, 60_000);
    let done = false;
    void answered.then(() => (done = true));
    sent[0]!.onPrack!();
    expect(sent.map((s) => [s.status, s.body])).toEqual([[180, undefined], [183, 'v=0 latest']]);
    // The 183 went as that PRACK came and is unPRACKed: the answer, asked for before it went, waits for its PRACK too.
    await new Promise((resolve) => setImmediate(resolve));
    expect(done).toBe(false);
    sent[1]!.onPrack!();
    expect(await answered).toBe(true);
  });

  it('an answer waits no longer than its limit for a PRACK that never comes, nor once the caller has left; then it may not go', async () => {
    const { res } = fakeResponse();
    const progress = new CallerProgress(res, 'reliable');
    expect(await progress.acknowledged(undefined, 5)).toBe(true);
    progress.send(183, 'v=0');
    expect(await progress.acknowledged(undefined, 5)).toBe(false);
    expect(await progress.acknowledged(Promise.resolve(), 60_000)).toBe(false);
  });

  it('to a caller that does not require 100rel, each 18x goes at once, without Require', () => {
    const { res, sent } = fakeResponse();
    const progress = new CallerProgress(res, 'plain');
    progress.send(180);
    progress.send(183, 'v=0');
    expect(sent).toEqual([{ status: 180 }, { status: 183, body: 'v=0' }]);
  });
});
