/**
 * A real softphone end to end (issue 19): baresip (Debian `baresip` 1.0) as extension 4101, calling
 * through the real drachtio-server, `callguard serve`, FreeSWITCH and redis-server, with SIPp peers as
 * the PBX and the trunks. A premium number's spoken refusal heard in early media before the 403; the
 * emergency INVITE's PIDF-LO beside baresip's full offer (opus, G.722, G.711, telephone-event, a=ssrc);
 * a recorded extension's notice heard before the callee is called; the PIN of a locked phone keyed as
 * RFC 2833 telephone-events, after which the call reaches the public trunk.
 *
 * "Heard" means baresip decoded audio above a silent line's level (test/support/baresip.ts says how it
 * is caught). Nothing asserts on timing; the one ordering (notice heard, then the callee INVITEd) is of
 * events on one clock. FreeSWITCH has no channel left after each media call. Skips with one line when
 * the E2E_* variables are unset or baresip is not installed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { baresipBin, startSoftphone, type Softphone } from '../support/baresip.js';
import { callguard } from '../support/cli.js';
import { e2eMediaLab, type Freeswitch } from '../support/freeswitch.js';
import { multipartParts, quietly, waitFor, type SipMessage } from '../support/lab.js';
import { finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eMediaLab();
const bin = lab ? baresipBin() : undefined;

/** Dr Alice Moreno: a grant for CH, FR, DE, so her desk phone is PIN-locked. */
const EXT = '4101';
const PIN = '274915';
/** 9 for an outside line, then 090 1123 4567: premium rate, barred with a spoken reason. */
const PREMIUM = '909011234567';
/** 9 0033 1 42 68 53 00: Paris, international, pin-required while the phone is locked. */
const PARIS = '90033142685300';
/** The IT Service Desk: recorded, notice service-desk. */
const RECORDED = '3000';
/** Speech is well above it; digital silence is 0 and comfort noise a few thousandths. */
const HEARD_RMS = 0.01;

/** When SIPp received a message ("2026-11-23 21:08:52.159673", local time), in epoch ms. */
function receivedAt(message: SipMessage): number {
  const t = Date.parse(message.at.replace(' ', 'T'));
  if (Number.isNaN(t)) throw new Error(`unexpected SIPp trace timestamp ${JSON.stringify(message.at)}`);
  return t;
}

function unescapeXml(text: string): string {
  const named: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
  return text.replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (whole, ref: string) => {
    if (ref.startsWith('#x') || ref.startsWith('#X')) return String.fromCodePoint(parseInt(ref.slice(2), 16));
    if (ref.startsWith('#')) return String.fromCodePoint(Number(ref.slice(1)));
    return named[ref] ?? whole;
  });
}

/** The civic address elements of a PIDF-LO (RFC 5139), by element name, whatever namespace prefix they carry. */
function civicElements(pidf: string): Record<string, string> {
  const civic = /<(?:[\w.-]+:)?civicAddress\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?civicAddress>/.exec(pidf)?.[1];
  if (civic === undefined) throw new Error(`no civicAddress in the PIDF-LO:\n${pidf}`);
  const elements: Record<string, string> = {};
  for (const m of civic.matchAll(/<(?:[\w.-]+:)?([\w.-]+)\b[^>]*>([^<]*)<\/(?:[\w.-]+:)?\1>/g)) elements[m[1]!] = unescapeXml(m[2]!);
  return elements;
}

describe.skipIf(!bin)('a real softphone: baresip through callguard serve (real drachtio-server, FreeSWITCH, redis-server, SIPp peers)', () => {
  let stack: Stack;
  let fs: Freeswitch;
  const phones: Softphone[] = [];

  const phone = async () => {
    const started = await startSoftphone(bin!, { ext: EXT, proxyPort: stack.drachtio.sipPort });
    phones.push(started);
    return started;
  };
  /** FreeSWITCH's channels all gone; if not, the failure says which stayed and FreeSWITCH's log (waitForChannelCount), and what callguard logged last. */
  const noChannelLeft = async () => {
    try {
      expect(await fs.waitForChannelCount(0, 30_000)).toBe(0);
    } catch (error) {
      throw new Error(`${(error as Error).message}\ncallguard's last lines:\n${stack.app.output().split('\n').slice(-40).join('\n')}`, { cause: error });
    }
  };
  /** Until the phone has heard something, polled often so the moment is close to when it arrived. */
  const heard = (caller: Softphone, what: string) => waitFor(what, () => caller.received().rms > HEARD_RMS && Date.now(), 60_000, 50);

  beforeAll(async () => {
    stack = await startStack(lab!, { media: true });
    fs = stack.freeswitch!;
  }, 180_000);

  afterEach(async () => {
    for (const started of phones.splice(0)) await quietly(() => started.stop());
    // A crashed callguard shows up as drachtio-server's bare 503 in every later scenario: say so here.
    if (stack && !stack.app.process.alive) throw new Error(`callguard exited ${JSON.stringify(stack.app.process.status)}\n${stack.app.output()}`);
  }, 30_000);

  afterAll(async () => {
    await stopStack(stack);
  }, 90_000);

  it('a premium number: the spoken refusal is heard in early media, then the call ends with 403 premium-barred', async () => {
    const caller = await phone();
    await caller.dial(PREMIUM);
    const closed = await caller.waitForEvent('CALL_CLOSED', 90_000);
    expect(closed.param, caller.describe()).toMatch(/^403 /);
    expect(caller.events().find((e) => e.type === 'CALL_PROGRESS'), caller.describe()).toBeDefined();
    const level = caller.received();
    process.stdout.write(`baresip heard ${level.seconds.toFixed(2)} s at rms ${level.rms.toFixed(4)} before the 403\n`);
    expect(level.rms, caller.describe()).toBeGreaterThan(HEARD_RMS);
    await stack.app.waitForLog('the premium-barred decision', (e) => e.msg === 'decision' && e.callId === closed.id && e.reason === 'premium-barred');
    await noChannelLeft();
  }, 120_000);

  it('999 with baresip\'s full offer: the emergency trunk gets a PIDF-LO with every civic element of the site address and the extension\'s LOC, none cut', async () => {
    const loaded = await loadPlan(stack.dialplan.dir);
    if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.where}: ${p.message}`).join('\n'));
    const extension = loaded.plan.extensions.get(EXT)!;
    const expected = { ...(extension.address ?? loaded.plan.site.address), LOC: extension.location };

    const trunk = await peer(stack, 'emergency', 'answer', 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const caller = await phone();
    await caller.dial('999');
    await caller.waitForEvent('CALL_ESTABLISHED', 60_000);
    await caller.hangup();
    await caller.waitForEvent('CALL_CLOSED');
    expect(await finish(trunk), trunk.describe()).toBe(0);
    await finish(security, 15_000);

    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.emergency}`);
    const parts = multipartParts(invite!);
    expect(parts.find((p) => p.contentType?.toLowerCase().startsWith('application/sdp'))?.body, invite!.raw).toMatch(/^m=audio /m);
    const pidf = parts.find((p) => p.contentType?.toLowerCase().startsWith('application/pidf+xml'));
    expect(pidf, invite!.raw).toBeDefined();
    expect(civicElements(pidf!.body), invite!.raw).toEqual(expected);
  }, 120_000);

  it('a recorded extension: baresip hears the recording notice before the callee gets its INVITE, then the call connects', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const caller = await phone();
    await caller.dial(RECORDED);
    await caller.waitForEvent('CALL_PROGRESS', 60_000);
    const noticeHeardAt = await heard(caller, 'the recording notice heard by baresip');
    await caller.waitForEvent('CALL_ESTABLISHED', 90_000);
    await caller.hangup();
    await caller.waitForEvent('CALL_CLOSED');
    expect(await finish(pbx), pbx.describe()).toBe(0);
    await noChannelLeft();

    const [invite] = requests(pbx, 'INVITE');
    expect(invite?.uri, pbx.describe()).toBe(`sip:${RECORDED}@127.0.0.1:${stack.ports.pbx}`);
    process.stdout.write(`notice heard by baresip ${((receivedAt(invite!) - noticeHeardAt) / 1000).toFixed(3)} s before the callee's INVITE\n`);
    expect(receivedAt(invite!), `notice heard at ${new Date(noticeHeardAt).toISOString()}, callee INVITEd at ${invite!.at}`).toBeGreaterThan(noticeHeardAt);
  }, 120_000);

  it('a PIN-locked phone: the PIN keyed on baresip as RFC 2833 telephone-events lets the international call through to the public trunk', async () => {
    // A fresh PIN, the phone locked, no failures.
    const pinSet = callguard(['pin', 'set', EXT, '--redis', stack.redis.url, '--dialplan', stack.dialplan.dir], `${PIN}\n`);
    expect(pinSet.status, pinSet.stderr).toBe(0);
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    const caller = await phone();
    await caller.dial(PARIS);
    const early = await caller.waitForEvent('CALL_PROGRESS', 60_000);
    await heard(caller, 'the PIN prompt heard by baresip');
    await caller.sendDigits(PIN);
    await caller.waitForEvent('CALL_ESTABLISHED', 90_000);
    await caller.hangup();
    await caller.waitForEvent('CALL_CLOSED');
    expect(await finish(trunk), trunk.describe()).toBe(0);
    await noChannelLeft();

    // The call was asked for its PIN (not let through by an unlocked phone)...
    await stack.app.waitForLog('the pin-required decision', (e) => e.msg === 'decision' && e.callId === early.id && e.action === 'pin-required');
    expect(caller.process.stdoutLines.filter((l) => l.includes('audio: send DTMF digit:')), caller.describe()).toHaveLength(PIN.length);
    // ...and reached the public trunk once the digits were collected.
    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:+33142685300@127.0.0.1:${stack.ports.trunk}`);
    expect(invite?.header('P-Asserted-Identity'), invite?.raw).toMatch(/[:<]\+441707284101[@>;]/);
    expect(stack.app.output()).not.toContain(PIN);
  }, 120_000);
});
