/**
 * RFC 4475's torture messages (adapted to the sample plan: rfc4475Messages.ts) through drachtio-srf's
 * real code and callguard's real edge, with the fake drachtio-server as the SIP stack. Every valid
 * INVITE is decided as its Request-URI and From say (the B-leg to the right route, or the 403 with its
 * Reason), the far end answering with RFC 4475's 100 without a reason phrase and 200 with a UTF-8 one.
 * The invalid ones are those the real drachtio-server passes to an application (test/e2e/torture.test.ts
 * finds which): each gets a 4xx, or, dialling an emergency number, goes to the emergency trunk; never a
 * 5xx; and the edge goes on deciding.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_HOST, EMERGENCY_TRUNK, Edge, EXTERNAL, INTERNAL, multipartParts, PHONE_SOURCE, until } from '../support/edgeFixture.js';
import type { InboundTransaction } from '../support/fakeDrachtio.js';
import { parseSip, type ParsedSip } from '../support/sipMessage.js';
import * as sip from '../support/sipText.js';
import { INVALID_REQUESTS, UNREASON_PHRASE, VALID_REQUESTS, type Route, type TortureRequest } from './rfc4475Messages.js';

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const ROUTE_HOST: Record<Route, string> = { internal: INTERNAL, external: EXTERNAL, emergency: EMERGENCY_TRUNK };
const ANSWER = sip.sdp({ ip: '192.0.2.198', port: 49170, sessionId: 2890844527 });
/** callguard's log messages for an INVITE it has read: decided, or refused unread. */
const DECIDED = new Set(['decision', 'emergency call', 'malformed INVITE refused']);

describe('SIP edge: RFC 4475 torture messages', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start();
  });

  afterAll(async () => {
    await edge.stop();
  });

  /**
   * The request as the caller writes it, handed to the app as drachtio-server would hand it. The fake
   * stack's parser is stricter than drachtio-server's about the Request-Line (trws's trailing spaces);
   * `raw` hands such a request over all the same, and then the fake cannot carry the app's answer back
   * (see appAnswer).
   */
  function send(request: TortureRequest): InboundTransaction {
    const text = request.text({ caller: `${PHONE_SOURCE}:5060`, app: APP_HOST });
    return edge.fake.sendRequest(text, { source_address: PHONE_SOURCE, raw: request.name === 'trws' });
  }

  /** The final response the app sent for a Call-ID, read off the control connection. */
  function appAnswer(callId: string): Promise<ParsedSip> {
    return until(`the app's final response for ${callId}`, () => {
      for (const entry of edge.fake.wire) {
        if (entry.direction !== 'from-app') continue;
        const sent = entry.text.slice(entry.text.indexOf('\r\n') + 2);
        try {
          const message = parseSip(sent);
          if (message.kind === 'response' && message.callId === callId && message.status! >= 200) return message;
        } catch {
          // control-protocol traffic that is not a SIP message
        }
      }
      return undefined;
    });
  }

  /** The edge still decides: a plain barred call gets its 403. */
  async function stillServing(): Promise<void> {
    const final = await edge.invite('4101', '909011234567').finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
  }

  /** The SDP of the caller's offer: the body, or a multipart body's application/sdp part. */
  function callerSdp(a: InboundTransaction): string | undefined {
    const type = a.request?.get('content-type') ?? '';
    if (!/^multipart\//i.test(type)) return a.request?.body;
    return multipartParts(type, a.request!.body).find((p) => /^application\/sdp/i.test(p.headers.get('content-type') ?? ''))?.body;
  }

  /**
   * Expects the decision the request's Request-URI and From call for, and nothing else in its text
   * taken for a call (dblreq's noise); connects and hangs up a routed call.
   */
  async function expectOutcome(request: TortureRequest, a: InboundTransaction): Promise<void> {
    const { outcome } = request;
    const logsBefore = edge.logs.length;
    const invitesBefore = edge.fake.outboundRequests.filter((r) => r.method === 'INVITE').length;
    const bLegs = () => edge.fake.outboundRequests.filter((r) => r.method === 'INVITE').slice(invitesBefore);
    if (outcome.action === 'rejected') {
      const final = await a.finalResponse();
      expect(final.status, final.raw).toBe(outcome.status);
      expect(final.get('Reason')).toBe(`Q.850;cause=21;text="${outcome.reason}"`);
      expect(bLegs()).toEqual([]);
    } else {
      const b = await edge.nextInvite().catch((error: Error) => {
        throw new Error(`${request.name}: no B-leg (${error.message}); the caller got ${a.responses.map((r) => r.status).join(', ') || 'nothing'}`);
      });
      // an emergency INVITE too big for UDP goes over TCP (RFC 3261 §18.1.1)
      expect(b.uri).toMatch(new RegExp(`^sip:${escaped(outcome.user)}@${escaped(ROUTE_HOST[outcome.route])}(;transport=tcp)?$`));
      if (outcome.callback) expect(b.get('P-Asserted-Identity')).toMatch(new RegExp(`^<(tel|sip):\\${outcome.callback}[>@;]`));
      // a B2BUA: the caller's Route set stays with the caller; a trunk or PBX is offered plain SDP
      expect(b.get('Route')).toBeUndefined();
      if (outcome.route !== 'emergency') {
        expect(b.get('Content-Type'), b.raw).toMatch(/^application\/sdp/i);
        expect(b.body, b.raw).toBe(callerSdp(a));
      }
      // RFC 4475 noreason and unreason: a 100 with no reason phrase, a 200 with one of UTF-8 and punctuation
      b.respond(100, { reason: '' });
      b.respond(200, { reason: UNREASON_PHRASE, body: ANSWER });
      const final = await a.finalResponse();
      expect(final.status, final.raw).toBe(200);
      expect(final.body).toBe(ANSWER);
      await edge.nextRequest('ACK');
      // the far end hangs up (the fake stack cannot find wsinv's dialog from its spaced `tag = ` for the caller's BYE)
      const hangUp = b.bye();
      (await edge.nextRequest('BYE')).respond(200);
      expect((await hangUp.finalResponse()).status).toBe(200);
    }
    expect(bLegs(), 'one B-leg at most, to the Request-URI\'s number').toHaveLength(outcome.action === 'routed' ? 1 : 0);
    const decided = edge.logs.slice(logsBefore).filter((l) => DECIDED.has(String(l.msg))).map((l) => l.callId);
    expect(decided, 'nothing else in the text taken for a call').toEqual([request.callId]);
  }

  describe('§3.1.1 valid requests: each decided as its Request-URI and From say', () => {
    it.each(VALID_REQUESTS.map((r) => [r.name, r.section, r.tortures, r] as const))('%s (§%s: %s)', async (_name, _section, _tortures, request) => {
      const a = send(request);
      await a.settled();
      expect(a.delivered, a.notDeliveredBecause).toBe(true);
      await expectOutcome(request, a);
      await stillServing();
    });
  });

  describe('§3.1.2 invalid requests drachtio-server passes on: a 4xx (or the emergency trunk), never a 5xx', () => {
    const passedOn = INVALID_REQUESTS.filter((r) => r.atDrachtio.reaches === 'callguard');

    it.each(passedOn.map((r) => [r.name, r.section, r.tortures, r] as const))('%s (§%s: %s)', async (_name, _section, _tortures, request) => {
      const invitesBefore = edge.fake.outboundRequests.filter((r) => r.method === 'INVITE').length;
      const a = send(request);
      await a.settled();
      expect(a.delivered, a.notDeliveredBecause).toBe(true);
      if (request.outcome.action === 'routed') await expectOutcome(request, a);
      else {
        // RFC 4475 lets an element refuse these as malformed (400) or read them liberally (here: barred)
        const final = a.request ? await a.finalResponse() : await appAnswer(request.callId);
        expect(final.status, final.raw).toBeGreaterThanOrEqual(400);
        expect(final.status, final.raw).toBeLessThan(500);
        expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE')).toHaveLength(invitesBefore);
      }
      await stillServing();
    });
  });
});
