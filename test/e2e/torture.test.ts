/**
 * RFC 4475's torture messages (adapted to the sample plan: test/sip/rfc4475Messages.ts) sent as raw
 * text over UDP to a real drachtio-server in front of `callguard serve`. For each request: whether
 * drachtio-server passes it to callguard or answers or drops it itself (each message's `atDrachtio`
 * records what it does, and the CI-level test takes the invalid ones it passes); when callguard has it,
 * it is decided as its Request-URI and From say, or refused with a 4xx, never a 5xx. The far ends answer
 * with RFC 4475's odd responses. Afterwards callguard is alive and healthy and a normal SIPp call connects.
 *
 * Whether drachtio-server passed a message on is learnt without waiting for silence: each message is
 * followed by a plain barred call (the barrier). drachtio-server handles datagrams in order, and
 * callguard decides in order and logs in order, so once the barrier's decision is in callguard's log,
 * the message before it has been decided, refused or never seen.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, waitFor } from '../support/lab.js';
import * as sipText from '../support/sipText.js';
import { INVALID_REQUESTS, RESPONSES, VALID_REQUESTS, responseHead, type AnsweredRequest, type Route, type TortureRequest } from '../sip/rfc4475Messages.js';
import { ackAndHangUp, ackFailure, FarEnd, SipSocket, type Answer, type ReadSip } from './rawSip.js';
import { dial, finish, peer, startStack, stopStack, type PeerName, type Stack } from './stack.js';

const lab = e2eLab();

/** What happened to one message. */
interface Seen {
  name: string;
  reached: 'callguard' | 'drachtio-srf' | 'drachtio-server';
  responses: string[];
  final: ReadSip | undefined;
  bLeg: { route: Route; invite: ReadSip } | undefined;
  /** Call-IDs other than its own (and the barrier's) that callguard decided meanwhile. */
  othersDecided: string[];
}

const PREMIUM_BARRIER = '909011234567';
/** callguard's log messages for an INVITE it has read: decided, or refused unread. */
const DECIDED = new Set(['decision', 'emergency call', 'malformed INVITE refused']);
const statusLines = (responses: ReadSip[]): string[] => responses.map((r) => `${r.status} ${r.reason ?? ''}`.trim());
const busy = (invite: AnsweredRequest): string => [...responseHead('SIP/2.0 486 Busy Here', invite), 'Content-Length: 0', '', ''].join('\r\n');

describe.skipIf(!lab)('RFC 4475 torture messages, raw over UDP to a real drachtio-server in front of callguard serve', () => {
  let stack: Stack;
  let caller: SipSocket;
  const farEnds = new Map<PeerName, FarEnd>();
  const farEnd = (name: PeerName): FarEnd => farEnds.get(name)!;
  const routeOf: Record<Route, PeerName> = { internal: 'pbx', external: 'trunk', emergency: 'emergency' };
  const seen: Seen[] = [];
  let barriers = 0;

  beforeAll(async () => {
    stack = await startStack(lab!);
    caller = await SipSocket.bind();
    for (const name of Object.keys(stack.ports) as PeerName[]) {
      const end = await FarEnd.bind(stack.ports[name]);
      end.answer = [RESPONSES.noreason.text, RESPONSES.unreason.text];
      farEnds.set(name, end);
    }
  }, 120_000);

  afterAll(async () => {
    process.stdout.write(`\nRFC 4475 at drachtio-server and callguard:\n${seen.map(describeSeen).join('\n')}\n`);
    await caller?.close();
    for (const end of farEnds.values()) await end.close();
    await stopStack(stack);
  }, 60_000);

  const sipPort = (): number => stack.drachtio.sipPort;
  const addressing = () => ({ caller: `127.0.0.1:${caller.port}`, app: `127.0.0.1:${sipPort()}` });

  /** A plain call from 4101 to a premium number; returns once callguard has logged and answered it. */
  async function barrier(logsFrom: number): Promise<void> {
    const callId = `barrier-${++barriers}@test.invalid`;
    const text = sipText.invite({ from: `sip:4101@127.0.0.1:${caller.port}`, to: `sip:${PREMIUM_BARRIER}@127.0.0.1:${sipPort()}`, via: `127.0.0.1:${caller.port}`, callId });
    caller.send(text, sipPort());
    await stack.app.waitForLog(`callguard deciding ${callId}`, (e) => e.callId === callId, 30_000, logsFrom);
    const final = await caller.finalResponse(callId);
    expect(final.status, 'the barrier call').toBe(403);
    ackFailure(caller, text, final, sipPort());
  }

  /** Sends a request as written, and finds out who handled it and how. */
  async function exchange(request: TortureRequest): Promise<Seen> {
    const logsFrom = stack.app.logs().length;
    const outputFrom = { stdout: stack.app.process.stdoutLines.length, stderr: stack.app.process.stderrLines.length };
    const datagramsFrom = caller.received.length;
    const invitesFrom = new Map([...farEnds].map(([name, end]) => [name, end.invites.length]));
    const text = request.text(addressing());
    caller.send(text, sipPort());
    await barrier(logsFrom);

    // Responses to it: those with its Call-ID, and drachtio-server's refusals of a message it could not read far enough to copy one.
    const responses = (): ReadSip[] =>
      caller.received.slice(datagramsFrom).flatMap((d) => (d.message?.status !== undefined && (!d.message.has('call-id') || d.message.get('call-id') === request.callId) ? [d.message] : []));
    const logged = stack.app.logs().slice(logsFrom);
    let reached: Seen['reached'] = 'drachtio-server';
    if (logged.some((e) => e.callId === request.callId)) reached = 'callguard';
    else if (responses().some((r) => r.status === 100)) {
      // passed on, yet callguard logged nothing: drachtio-srf could not read it (it says so on stderr)
      const unreadable = await stack.app.process
        .waitForLine('drachtio-srf saying it cannot parse the message', (l) => l.includes('unable to parse incoming message'), 10_000, outputFrom)
        .then(() => true, () => false);
      reached = unreadable ? 'drachtio-srf' : 'callguard';
    }

    const final = reached === 'callguard' ? await caller.finalResponse(request.callId) : responses().find((r) => r.status! >= 200);
    let bLeg: Seen['bLeg'];
    for (const route of Object.keys(routeOf) as Route[]) {
      const invite = farEnd(routeOf[route]).invites[invitesFrom.get(routeOf[route])!];
      if (invite) bLeg = { route, invite };
    }
    if (final && final.status! >= 300) ackFailure(caller, text, final, sipPort());
    if (final && final.status! < 300) await ackAndHangUp(caller, final, sipPort());
    const result: Seen = {
      name: request.name,
      reached,
      responses: statusLines(responses()),
      final,
      bLeg,
      othersDecided: logged.flatMap((e) => (DECIDED.has(String(e.msg)) && e.callId !== request.callId && !String(e.callId).startsWith('barrier-') ? [String(e.callId)] : [])),
    };
    seen.push(result);
    return result;
  }

  /** The request was handled as its `atDrachtio` says, and, where callguard had it, as its `outcome` says. */
  function expectHandled(request: TortureRequest, result: Seen): void {
    const at = request.atDrachtio;
    const story = describeSeen(result);
    expect(result.reached, story).toBe(at.reaches);
    expect(result.othersDecided, `${story}: nothing else in the datagram was taken for a call`).toEqual([]);
    if (at.reaches === 'drachtio-server') {
      expect(result.final?.status ?? null, story).toBe(at.answers);
      expect(result.bLeg, story).toBeUndefined();
      return;
    }
    if (at.reaches === 'drachtio-srf') {
      expect(result.responses, story).toEqual(['100 Trying']);
      expect(result.bLeg, story).toBeUndefined();
      return;
    }
    const { outcome } = request;
    if (outcome.action === 'rejected') {
      expect(result.bLeg, `${story}: no B-leg for a barred call`).toBeUndefined();
      if (!request.valid) {
        // RFC 4475 lets an element refuse these as malformed (400) or read them liberally (here: barred)
        expect(result.final?.status, story).toBeGreaterThanOrEqual(400);
        expect(result.final?.status, story).toBeLessThan(500);
        return;
      }
      expect(result.final?.status, story).toBe(outcome.status);
      expect(result.final?.get('reason'), story).toBe(`Q.850;cause=21;text="${outcome.reason}"`);
      return;
    }
    expect(result.bLeg?.route, `${story}: the B-leg's route`).toBe(outcome.route);
    expect(result.bLeg?.invite.uri, story).toBe(`sip:${outcome.user}@127.0.0.1:${stack.ports[routeOf[outcome.route]]}`);
    if (outcome.callback) expect(result.bLeg?.invite.get('p-asserted-identity'), story).toContain(outcome.callback);
    expect(result.final?.status, `${story}: the far end's 200 reaches the caller`).toBe(200);
  }

  describe('§3.1.1 valid requests', () => {
    it.each(VALID_REQUESTS.map((r) => [r.name, r] as const))('%s: handled by drachtio-server as atDrachtio says; when callguard has it, decided as its Request-URI and From say', async (_name, request) => {
      await expectHandled(request, await exchange(request));
      expect(stack.app.process.alive).toBe(true);
    }, 120_000);
  });

  describe('§3.1.2 invalid requests', () => {
    it.each(INVALID_REQUESTS.map((r) => [r.name, r] as const))('%s: handled by drachtio-server as atDrachtio says; callguard refuses what it gets with a 4xx (or, for an emergency number, routes it), never a 5xx', async (_name, request) => {
      await expectHandled(request, await exchange(request));
      expect(stack.app.process.alive).toBe(true);
    }, 120_000);
  });

  describe('far ends answering with the responses of RFC 4475', () => {
    /** A plain call 4101 -> 4202 the PBX answers with `answer`. */
    async function callWith(name: string, answer: Answer): Promise<ReadSip> {
      farEnd('pbx').answer = answer;
      try {
        const callId = `${name}-${randomUUID()}@test.invalid`;
        const text = sipText.invite({ from: `sip:4101@127.0.0.1:${caller.port}`, to: `sip:4202@127.0.0.1:${sipPort()}`, via: `127.0.0.1:${caller.port}`, callId });
        caller.send(text, sipPort());
        const final = await caller.finalResponse(callId);
        seen.push({ name, reached: 'callguard', responses: statusLines(caller.responses(callId)), final, bLeg: undefined, othersDecided: [] });
        if (final.status! >= 300) ackFailure(caller, text, final, sipPort());
        return final;
      } finally {
        farEnd('pbx').answer = [RESPONSES.noreason.text, RESPONSES.unreason.text];
      }
    }

    it.each([RESPONSES.bigcode, RESPONSES.scalarlg].map((r) => [r.name, r.section, r.tortures, r] as const))('%s (§%s: %s) from the PBX breaks nothing: the 486 after it reaches the caller', async (name, _section, _tortures, response) => {
      const final = await callWith(name, [RESPONSES.noreason.text, response.text, busy]);
      expect(final.status).toBe(486);
      expect(stack.app.process.alive).toBe(true);
    }, 120_000);
  });

  describe('afterwards', () => {
    it('callguard serve is alive, /health answers 200, it never answered with a 5xx, and a normal SIPp call 4101 -> 4202 connects', async () => {
      expect(stack.app.process.alive, stack.app.output()).toBe(true);
      const health = await fetch(`http://127.0.0.1:${stack.app.httpPort}/health`);
      expect(health.status, await health.text()).toBe(200);
      const metrics = await (await fetch(`http://127.0.0.1:${stack.app.httpPort}/metrics`)).text();
      expect(metrics).not.toMatch(/^callguard_invite_final_response_seconds_count\{[^}]*status="5xx"[^}]*\} [1-9]/m);
      expect(stack.app.logs().filter((e) => /handling failed/.test(String(e.msg))), stack.app.output()).toEqual([]);
      await farEnd('pbx').close();
      farEnds.delete('pbx');
      const pbx = await peer(stack, 'pbx', 'answer', 1);
      const uac = await dial(stack, { from: '4101', to: '4202', expect: 'call' });
      expect(await uac.waitExit(), uac.describe()).toBe(0);
      expect(await finish(pbx), pbx.describe()).toBe(0);
    }, 120_000);
  });
});

function describeSeen(s: Seen): string {
  const bLeg = s.bLeg ? `, B-leg ${s.bLeg.route} ${s.bLeg.invite.uri}` : '';
  return `${s.name.padEnd(12)} reached ${s.reached.padEnd(15)} responses: ${s.responses.join(', ') || 'none'}${bLeg}`;
}
