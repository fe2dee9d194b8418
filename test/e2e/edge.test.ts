/**
 * End to end through a real drachtio-server: the SIP edge as the network around it sees it. Calls a
 * trusted PBX forwards (Diversion, History-Info) decided as the forwarding extension's; Max-Forwards;
 * OPTIONS probes over UDP and TCP while serving, draining and stopped; a large emergency INVITE to a
 * trunk on TCP, and to one that takes only UDP.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cseqMethod, e2eLab, multipartParts, startSipp, waitFor, type Sipp, type SipMessage } from '../support/lab.js';
import { BARESIP_VIDEO_OFFER } from '../support/offers.js';
import { dial, finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();

/** The PBX that forwards calls, a host of its own (a second loopback address) and a trusted source. */
const PBX_ADDRESS = '127.0.0.2';
const OUTSIDE_CALLER = '+447700900123';
const OUTSIDE_FROM = `"Outside Caller" <sip:${OUTSIDE_CALLER}@pbx.herts.example.ac.uk>`;
const DIVERSION = 'Diversion: <sip:4101@pbx.herts.example.ac.uk>;reason=unconditional;counter=1';

/** uac-call.xml's offer: one PCMU stream at SIPp's media port. */
const PLAIN_OFFER = ['v=0', 'o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]', 's=-', 'c=IN IP[media_ip_type] [media_ip]', 't=0 0', 'm=audio [media_port] RTP/AVP 0', 'a=rtpmap:0 PCMU/8000'].join('\n');

interface InviteOptions {
  from: string;
  to: string;
  /** Header lines besides Max-Forwards. */
  headers?: string[];
  maxForwards?: number;
  sdp?: string;
  /** The final response expected: 200 (then ACK, a short hold, BYE) or a refusal. */
  expect: number;
  /** The caller's own address (default 127.0.0.1, an ordinary phone). */
  address?: string;
}

/** An INVITE written here (uac-invite.xml) into drachtio-server's SIP port over UDP. */
function invite(stack: Stack, options: InviteOptions): Promise<Sipp> {
  const headers = [`Max-Forwards: ${options.maxForwards ?? 70}`, ...(options.headers ?? [])];
  const sdp = (options.sdp ?? PLAIN_OFFER).replace(/\r\n/g, '\n').trimEnd();
  return startSipp(stack.lab, {
    role: 'uac',
    scenarioFile: 'uac-invite.xml',
    template: { from: options.from, headers: headers.join('\n'), sdp, status: options.expect, hold: 300 },
    ...(options.address ? { address: options.address } : {}),
    remote: `127.0.0.1:${stack.drachtio.sipPort}`,
    service: options.to,
    calls: 1,
    timeoutSeconds: 90,
  });
}

/** The caller ends well and its INVITE's final response is `status` (the scenario also takes a 200 for any). */
async function expectFinal(uac: Sipp, status: number): Promise<SipMessage> {
  expect(await uac.waitExit(), uac.describe()).toBe(0);
  const final = uac.received((m) => m.status !== undefined && m.status >= 200 && cseqMethod(m) === 'INVITE')[0];
  expect(final?.status, uac.describe()).toBe(status);
  return final!;
}

/** An OPTIONS probe (uac-options.xml) over `transport`, expecting `status`; its answer. */
async function probe(stack: Stack, transport: 'udp' | 'tcp', status: number): Promise<SipMessage> {
  const prober = await startSipp(stack.lab, { role: 'uac', scenarioFile: 'uac-options.xml', template: { status }, transport, remote: `127.0.0.1:${stack.drachtio.sipPort}`, calls: 1, timeoutSeconds: 60 });
  const code = await prober.waitExit();
  const answer = prober.received((m) => m.status !== undefined && cseqMethod(m) === 'OPTIONS')[0];
  expect(answer?.status, prober.describe()).toBe(status);
  expect(code, prober.describe()).toBe(0);
  return answer!;
}

/** Extension `ext` as the dialplan copy the app serves writes it. */
function extensionEntry(stack: Stack, ext: string): { address: Record<string, string>; location: string } {
  const dir = join(stack.dialplan.dir, 'extensions');
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) {
    const doc = parse(readFileSync(join(dir, file), 'utf8')) as { extensions?: Array<{ ext: string; address?: Record<string, string>; location: string }> };
    const found = doc.extensions?.find((e) => e.ext === ext);
    if (found?.address) return { address: found.address, location: found.location };
  }
  throw new Error(`extension ${ext} with an address of its own not found in ${dir}`);
}

/** The emergency INVITE carries the whole PIDF-LO: every civic element of `ext`'s address, and its LOC. */
function expectWholeLocation(stack: Stack, invite: SipMessage, ext: string): void {
  const { address, location } = extensionEntry(stack, ext);
  const geolocation = /^<cid:([^>]+)>/.exec(invite.header('Geolocation') ?? '')?.[1];
  const parts = multipartParts(invite);
  const pidf = parts.find((p) => p.contentType?.toLowerCase().startsWith('application/pidf+xml'));
  expect(pidf?.headers.get('content-id')?.replace(/[<>]/g, ''), invite.raw).toBe(geolocation);
  for (const [element, value] of [...Object.entries(address), ['LOC', location]]) expect(pidf!.body, `civic element ${element}`).toContain(`<${element}>${value}</${element}>`);
  expect(parts.find((p) => p.contentType?.toLowerCase().startsWith('application/sdp'))?.body, invite.raw).toMatch(/^m=audio [1-9]/m);
}

describe.skipIf(!lab)('callguard serve: the SIP edge on the network (real drachtio-server, SIPp peers)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(lab!, { env: { CALLGUARD_TRUSTED_SOURCES: PBX_ADDRESS } });
  }, 120_000);

  afterAll(async () => {
    await stopStack(stack);
  }, 60_000);

  describe('calls the trusted PBX forwards', () => {
    it("Diversion naming 4101, to a UK mobile: decided as 4101's call, on the public trunk with the outside caller in From", async () => {
      const trunk = await peer(stack, 'trunk', 'answer', 1);
      const logsBefore = stack.app.logs().length;
      const uac = await invite(stack, { from: OUTSIDE_FROM, to: '07700900456', headers: [DIVERSION], address: PBX_ADDRESS, expect: 200 });
      await expectFinal(uac, 200);
      expect(await finish(trunk), trunk.describe()).toBe(0);
      const [forwarded] = requests(trunk, 'INVITE');
      expect(forwarded?.uri, trunk.describe()).toBe(`sip:+447700900456@127.0.0.1:${stack.ports.trunk}`);
      expect(forwarded!.header('From'), forwarded!.raw).toContain(OUTSIDE_CALLER);
      const decision = await stack.app.waitForLog('the decision', (e) => e.msg === 'decision' && e.to === '07700900456', 20_000, logsBefore);
      expect(decision, JSON.stringify(decision)).toMatchObject({ from: '4101' });
    }, 120_000);

    it('History-Info naming 4101, to a premium number: 403 premium-barred', async () => {
      const history = 'History-Info: <sip:4101@pbx.herts.example.ac.uk>;index=1, <sip:09011234567@pbx.herts.example.ac.uk;cause=302>;index=1.1';
      const uac = await invite(stack, { from: OUTSIDE_FROM, to: '09011234567', headers: [history], address: PBX_ADDRESS, expect: 403 });
      const final = await expectFinal(uac, 403);
      expect(final.header('Reason'), uac.describe()).toBe('Q.850;cause=21;text="premium-barred"');
    }, 120_000);

    it('Diversion naming 4101, to 999: the emergency trunk', async () => {
      const emergency = await peer(stack, 'emergency', 'answer', 1);
      const security = await peer(stack, 'security', 'answer', 1);
      const uac = await invite(stack, { from: OUTSIDE_FROM, to: '999', headers: [DIVERSION], address: PBX_ADDRESS, expect: 200 });
      await expectFinal(uac, 200);
      expect(await finish(emergency), emergency.describe()).toBe(0);
      await finish(security, 10_000);
      expect(requests(emergency, 'INVITE')[0]?.uri, emergency.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.emergency}`);
    }, 120_000);

    it('from a source that is not trusted the Diversion is ignored: 403 unknown-caller', async () => {
      const uac = await invite(stack, { from: OUTSIDE_FROM, to: '07700900456', headers: [DIVERSION], expect: 403 });
      const final = await expectFinal(uac, 403);
      expect(final.header('Reason'), uac.describe()).toBe('Q.850;cause=21;text="unknown-caller"');
    }, 120_000);
  });

  describe('Max-Forwards', () => {
    it('0: 483 Too Many Hops', async () => {
      const uac = await invite(stack, { from: '<sip:4101@[local_ip]:[local_port]>', to: '4202', maxForwards: 0, expect: 483 });
      await expectFinal(uac, 483);
    }, 120_000);

    it('5 in: the PBX sees 4', async () => {
      const pbx = await peer(stack, 'pbx', 'answer', 1);
      const uac = await invite(stack, { from: '<sip:4101@[local_ip]:[local_port]>', to: '4202', maxForwards: 5, expect: 200 });
      await expectFinal(uac, 200);
      expect(await finish(pbx), pbx.describe()).toBe(0);
      const [leg] = requests(pbx, 'INVITE');
      expect(leg?.uri, pbx.describe()).toBe(`sip:4202@127.0.0.1:${stack.ports.pbx}`);
      expect(leg!.header('Max-Forwards'), leg!.raw).toBe('4');
    }, 120_000);
  });

  describe('a 999 from 4301 (another campus, a long address) with a video offer: larger than one UDP datagram', () => {
    it('reaches an emergency trunk listening on TCP over TCP, with the whole PIDF-LO', async () => {
      const emergency = await peer(stack, 'emergency', 'answer', 1, { transport: 'tcp' });
      const security = await peer(stack, 'security', 'answer', 1);
      const uac = await invite(stack, { from: '"Emma Lewis" <sip:4301@[local_ip]:[local_port]>', to: '999', sdp: BARESIP_VIDEO_OFFER, expect: 200 });
      await expectFinal(uac, 200);
      expect(await finish(emergency), emergency.describe()).toBe(0);
      await finish(security, 10_000);
      const [leg] = requests(emergency, 'INVITE');
      expect(leg?.uri, emergency.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.emergency};transport=tcp`);
      expect(leg!.header('Via'), leg!.raw).toMatch(/^SIP\/2\.0\/TCP /i);
      expect(Buffer.byteLength(leg!.raw), leg!.raw).toBeGreaterThan(1_300);
      expectWholeLocation(stack, leg!, '4301');
    }, 120_000);

    it('reaches a trunk that takes only UDP over UDP, whole, once TCP is refused', async () => {
      const emergency = await peer(stack, 'emergency', 'answer', 1);
      const security = await peer(stack, 'security', 'answer', 1);
      const logsBefore = stack.app.logs().length;
      const uac = await invite(stack, { from: '"Emma Lewis" <sip:4301@[local_ip]:[local_port]>', to: '999', sdp: BARESIP_VIDEO_OFFER, expect: 200 });
      await expectFinal(uac, 200);
      expect(await finish(emergency), emergency.describe()).toBe(0);
      await finish(security, 10_000);
      const [leg] = requests(emergency, 'INVITE');
      expect(leg?.uri, emergency.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.emergency}`);
      expect(leg!.header('Via'), leg!.raw).toMatch(/^SIP\/2\.0\/UDP /i);
      expect(Buffer.byteLength(leg!.raw), leg!.raw).toBeGreaterThan(1_300);
      expectWholeLocation(stack, leg!, '4301');
      await stack.app.waitForLog('the UDP fallback', (e) => String(e.msg).startsWith('emergency trunk did not take the INVITE over TCP'), 20_000, logsBefore);
    }, 120_000);
  });
});

describe.skipIf(!lab)('callguard serve: OPTIONS probes over UDP and TCP (real drachtio-server, SIPp prober)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(lab!, { env: { CALLGUARD_DRAIN_SECONDS: '60' } });
  }, 120_000);

  afterAll(async () => {
    await stopStack(stack);
  }, 60_000);

  for (const transport of ['udp', 'tcp'] as const) {
    it(`serving, over ${transport.toUpperCase()}: 200 with Allow, Accept and Supported`, async () => {
      const answer = await probe(stack, transport, 200);
      expect(answer.header('Allow'), answer.raw).toMatch(/\bINVITE\b/);
      expect(answer.header('Allow'), answer.raw).toMatch(/\bOPTIONS\b/);
      expect(answer.header('Accept'), answer.raw).toBe('application/sdp');
      expect(answer.headers.has('supported'), answer.raw).toBe(true);
    }, 120_000);
  }

  it('draining (a call still up): 503 with Retry-After over UDP and TCP; once callguard has stopped, drachtio-server answers 503', async () => {
    // The call in progress keeps the app draining, not gone, while the prober asks.
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const call = await dial(stack, { from: '4101', to: '4202', expect: 'call', holdMs: 20_000 });
    await waitFor('the held call to connect', () => requests(pbx, 'ACK').length > 0, 30_000, 100);
    const logsBefore = stack.app.logs().length;
    stack.app.signal('SIGTERM');
    await stack.app.waitForLog('the drain', (e) => String(e.msg).startsWith('draining'), 20_000, logsBefore);

    for (const transport of ['udp', 'tcp'] as const) {
      const answer = await probe(stack, transport, 503);
      expect(answer.header('Retry-After'), answer.raw).toMatch(/^\d+/);
      // Retry-After is callguard's: the 503 came from the draining app, not from a server with no app.
      expect(stack.app.process.alive, stack.app.output()).toBe(true);
    }

    expect(await call.waitExit(), call.describe()).toBe(0);
    await finish(pbx);
    expect(await stack.app.waitExit(90_000), stack.app.output()).toBe(0);
    // No app to ask: drachtio-server answers for itself, and a prober must not take that for up.
    for (const transport of ['udp', 'tcp'] as const) await probe(stack, transport, 503);
  }, 240_000);
});
