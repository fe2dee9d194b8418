/**
 * Kamailio with the shipped deploy/kamailio/kamailio.cfg in front of pairs, where what it does itself
 * reaches the caller (the scale-out suite, scaleOut.test.ts, covers the pairs' work behind it):
 * - Pairs that cannot take calls (real drachtio-servers whose callguard is gone: each answers 503
 *   itself, as a draining callguard does), before Kamailio's probes have marked them down. A PBX in
 *   front fails over on 503: the caller gets 503 with Retry-After, as from one callguard or from
 *   Kamailio once the probes have caught up, not the 500 a proxy makes of the last pair's relayed 503.
 * - Pairs that take a call and never answer it (stuck): an emergency call, in every form callguard's
 *   numbering knows (after a per-call prefix such as 141 or *67, a closing #), is moved to the next
 *   pair on the short emergency timer; and on the last pair left,
 * - an emergency trunk that takes seconds to ring: that short timer must not cancel the 999 there,
 *   where it has nowhere else to go.
 */
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioBin, kamailioPath, startKamailio, type Kamailio } from '../support/kamailio.js';
import { e2eLab, quietly, startDrachtio, stopAll, type Drachtio } from '../support/lab.js';
import { dialTo, finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();
const kamailio = kamailioBin();
if (lab && !kamailio) console.log(`Kamailio e2e skipped: no kamailio at ${kamailioPath()} (Debian package kamailio; or set E2E_KAMAILIO_BIN)`);

describe.skipIf(!lab || !kamailio)('Kamailio in front of pairs that all answer 503 (real Kamailio, drachtio-server, SIPp)', () => {
  const pairs: Drachtio[] = [];
  let front: Kamailio;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) pairs.push(await startDrachtio(lab!));
    // Probes an hour apart: both pairs stay in the rotation for the whole test, as in the seconds
    // between a pair starting to drain (or losing its callguard) and its second failed probe.
    front = await startKamailio(kamailio!, { pairs: pairs.map((p) => p.sipPort), probeIntervalSeconds: 3600 });
  }, 60_000);

  afterAll(async () => {
    await quietly(() => front?.stop());
    for (const pair of pairs) await quietly(() => pair.stop());
    await stopAll();
  }, 60_000);

  it.each([
    ['an emergency call', '999'],
    ['an ordinary call', '4202'],
  ])('%s tried on both pairs gets 503 with Retry-After', async (_what, to) => {
    const caller = await dialTo(lab!, `127.0.0.1:${front.sipPort}`, { from: '4101', to, expect: 503 }, 60);
    expect(await caller.waitExit(), caller.describe()).toBe(0);
    const [final] = caller.received((m) => m.status !== undefined && m.status >= 200);
    expect(final?.status, caller.describe()).toBe(503);
    expect(final?.header('Retry-After'), caller.describe()).toMatch(/^\d+/);
    // Both pairs were asked before the caller was answered.
    const logged = front.process.stderrLines.filter((line) => line.includes(`call ${final?.header('call-id')}:`));
    expect(logged.some((line) => /answered 503: trying pair/.test(line)), front.process.tail()).toBe(true);
    expect(logged.some((line) => /answered 503 and no other pair is up: refused with 503/.test(line)), front.process.tail()).toBe(true);
  }, 90_000);
});

describe.skipIf(!lab || !kamailio)('Kamailio in front of stuck pairs (real Kamailio, drachtio-server, SIPp)', () => {
  const pairs: Drachtio[] = [];
  const apps: Srf[] = [];
  let front: Kamailio;

  beforeAll(async () => {
    for (let i = 0; i < 2; i++) {
      const drachtio = await startDrachtio(lab!);
      pairs.push(drachtio);
      // An app that takes every INVITE and never answers it: drachtio-server's 100 Trying, then nothing.
      const app = new Srf();
      app.on('error', () => {});
      const connected = new Promise<void>((resolve) => app.once('connect', () => resolve()));
      app.connect(drachtio.connectOptions);
      await connected;
      app.invite(() => {});
      apps.push(app);
    }
    // An ordinary call's first timer far beyond the test: a call moved on is moved by the emergency one.
    front = await startKamailio(kamailio!, { pairs: pairs.map((p) => p.sipPort), probeIntervalSeconds: 3600, defines: { FIRST_TIMEOUT_MS: '600000' } });
  }, 60_000);

  afterAll(async () => {
    await quietly(() => front?.stop());
    for (const app of apps) await quietly(() => app.disconnect());
    for (const pair of pairs) await quietly(() => pair.stop());
    await stopAll();
  }, 60_000);

  it.each(['999', '9999', '999%23', '141999', '91470112', '*67911', '9*67911'])('%s on a stuck pair is moved to the next on the emergency timer', async (to) => {
    const from = { stdout: front.process.stdoutLines.length, stderr: front.process.stderrLines.length };
    const caller = await dialTo(lab!, `127.0.0.1:${front.sipPort}`, { from: '4101', to, expect: 503 }, 120);
    try {
      await front.process.waitForLine(`${to} moved off the stuck pair`, (line) => /did not answer in time: trying pair/.test(line), 60_000, from);
    } finally {
      await caller.stop();
    }
  }, 90_000);
});

describe.skipIf(!lab || !kamailio)('Kamailio in front of one pair, an emergency trunk slow to ring (real Kamailio, drachtio-server, callguard, SIPp)', () => {
  let stack: Stack;
  let front: Kamailio;

  beforeAll(async () => {
    stack = await startStack(lab!);
    // A dispatcher list's pairs are in the rotation from the start.
    front = await startKamailio(kamailio!, { pairs: [stack.drachtio.sipPort] });
  }, 120_000);

  afterAll(async () => {
    await quietly(() => front?.stop());
    await stopStack(stack);
  }, 60_000);

  it('a 999 whose trunk says nothing but 100 Trying for 4 s, then rings, is answered there, not cancelled', async () => {
    // Longer than the 2 s emergency first timer, which moves a 999 off a pair only when another is left.
    const trunk = await peer(stack, 'emergency', { silentMs: 4_000, ringMs: 500 }, 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const caller = await dialTo(lab!, `127.0.0.1:${front.sipPort}`, { from: '4101', to: '999', expect: 'call' }, 60);
    expect(await caller.waitExit(), caller.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    expect(requests(trunk, 'INVITE'), trunk.describe()).toHaveLength(1);
    expect(requests(trunk, 'CANCEL'), trunk.describe()).toHaveLength(0);
    await finish(security);
  }, 120_000);
});
