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
 * - A pair gone while a call rings there: with its callguard gone, drachtio-server answers Kamailio's
 *   CANCEL and the call is moved to the other pair; with its whole box gone nothing answers, and the
 *   caller gets 503 within seconds rather than ringback until the 11-minute backstop.
 */
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kamailioBin, kamailioPath, startKamailio, type Kamailio } from '../support/kamailio.js';
import { e2eLab, quietly, startDrachtio, stopAll, waitFor, type Drachtio } from '../support/lab.js';
import { dialTo, finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const ANSWER_SDP = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40000 RTP/AVP 0', 'a=rtpmap:0 PCMU/8000', ''].join('\r\n');

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
  let lab_: AppPairs;

  beforeAll(async () => {
    // Apps that take every INVITE and never answer it: drachtio-server's 100 Trying, then nothing. An
    // ordinary call's first timer far beyond the test: a call moved on is moved by the emergency one.
    lab_ = await startAppPairs(() => {}, { probeIntervalSeconds: 3600, defines: { FIRST_TIMEOUT_MS: '600000' } });
  }, 60_000);

  afterAll(() => stopAppPairs(lab_), 60_000);

  it.each(['999', '9999', '999%23', '141999', '91470112', '*67911', '9*67911'])('%s on a stuck pair is moved to the next on the emergency timer', async (to) => {
    const { front } = lab_;
    const from = { stdout: front.process.stdoutLines.length, stderr: front.process.stderrLines.length };
    const caller = await dialTo(lab!, `127.0.0.1:${front.sipPort}`, { from: '4101', to, expect: 503 }, 120);
    try {
      await front.process.waitForLine(`${to} moved off the stuck pair`, (line) => /did not answer in time: trying pair/.test(line), 60_000, from);
    } finally {
      await caller.stop();
    }
  }, 90_000);
});

describe.skipIf(!lab || !kamailio)('Kamailio in front of pairs, one gone while a call rings there (real Kamailio, drachtio-server, SIPp)', () => {
  let lab_: AppPairs;
  /** Which pair each INVITE reached, in order. */
  const reached: number[] = [];
  /** What the pairs do with an INVITE: ring and never answer, or answer it 6 s later (see below). */
  let answerAfter6s = false;

  beforeAll(async () => {
    // Probes every second, as the scale-out lab has them. A probe may take up to 5 s to be answered, not
    // 2 (the apps answer OPTIONS from this test's own process, on a busy machine): the pair a call moves
    // to must not be probed down meanwhile.
    lab_ = await startAppPairs((pair, req, res) => {
      reached.push(pair);
      if (!answerAfter6s) return void res.send(180);
      setTimeout(() => void lab_.apps[pair]!.createUAS(req, res, { localSdp: ANSWER_SDP }).catch(() => {}), 6_000);
    }, { probeIntervalSeconds: 1, defines: { NO_REPLY_TIMEOUT_MS: '5000' } });
  }, 60_000);

  afterAll(() => stopAppPairs(lab_), 60_000);

  it('its callguard gone (drachtio-server answers the CANCEL): the call is moved to the other pair and answered there', async () => {
    const caller = await dialTo(lab!, `127.0.0.1:${lab_.front.sipPort}`, { from: '4101', to: '4202', expect: 'call' }, 120);
    await waitFor('the call to ring on a pair', () => reached.length > 0, 30_000, 50);
    const first = reached[0]!;
    // The moved call is answered after Kamailio's wait for the first pair's answer to its CANCEL
    // (4-5 s) has passed: that wait must not end a call the answer moved on.
    answerAfter6s = true;
    // drachtio-server stays and keeps the INVITE open; its OPTIONS answers turn 503 and the pair goes down.
    lab_.apps[first]!.disconnect();
    expect(await caller.waitExit(60_000), `${caller.describe()}\n${lab_.front.process.tail()}`).toBe(0);
    expect(reached, 'the call moved to the other pair').toEqual([first, 1 - first]);
  }, 90_000);

  it('its whole box gone (nothing answers the CANCEL): the caller gets 503, not ringing until the 11-minute backstop', async () => {
    answerAfter6s = false;
    const before = reached.length;
    const caller = await dialTo(lab!, `127.0.0.1:${lab_.front.sipPort}`, { from: '4101', to: '4202', expect: 503 }, 120);
    await waitFor('the call to ring on a pair', () => reached.length > before, 30_000, 50);
    lab_.pairs[reached[before]!]!.process.signal('SIGKILL');
    expect(await caller.waitExit(60_000), caller.describe()).toBe(0);
    const [final] = caller.received((m) => m.status !== undefined && m.status >= 200);
    expect(final?.status, caller.describe()).toBe(503);
    expect(lab_.front.process.stderrLines.some((line) => /answered not even the CANCEL \(the box is gone\): refused with 503/.test(line)), lab_.front.process.tail()).toBe(true);
  }, 90_000);
});

describe.skipIf(!lab || !kamailio)('Kamailio in front of one pair, an emergency trunk slow to ring (real Kamailio, drachtio-server, callguard, SIPp)', () => {
  let stack: Stack;
  let front: Kamailio;

  beforeAll(async () => {
    // Kamailio plays the PBX's front, trusted: the only kind of caller whose 18x go reliably when it requires 100rel.
    stack = await startStack(lab!, { env: { CALLGUARD_TRUSTED_SOURCES: '127.0.0.1' } });
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

  it('a 999 from a caller requiring 100rel: the reliable 183 and its PRACK pass through Kamailio, and the call connects', async () => {
    // The caller's scenario fails unless its PRACK, sent along the 183's route set, is answered before the 200.
    const trunk = await peer(stack, 'emergency', '100rel', 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const caller = await dialTo(lab!, `127.0.0.1:${front.sipPort}`, { from: '4101', to: '999', expect: 'call', reliable: 183 }, 60);
    expect(await caller.waitExit(), caller.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    expect(caller.received((m) => m.status === 183)[0]?.header('RSeq'), caller.describe()).toMatch(/^\d+$/);
    await finish(security);
  }, 120_000);
});

interface AppPairs {
  pairs: Drachtio[];
  apps: Srf[];
  front: Kamailio;
}

/**
 * Kamailio in front of two real drachtio-servers, each with an app in this process standing in for
 * callguard: it answers OPTIONS probes 200 and hands each INVITE to `invite` with its pair's index.
 */
async function startAppPairs(invite: (pair: number, req: Srf.SrfRequest, res: Srf.SrfResponse) => void, options: { probeIntervalSeconds: number; defines?: Record<string, string> }): Promise<AppPairs> {
  const started: Partial<AppPairs> & Pick<AppPairs, 'pairs' | 'apps'> = { pairs: [], apps: [] };
  try {
    for (let i = 0; i < 2; i++) {
      const drachtio = await startDrachtio(lab!);
      started.pairs.push(drachtio);
      const app = new Srf();
      app.on('error', () => {});
      started.apps.push(app);
      const connected = new Promise<void>((resolve) => app.once('connect', () => resolve()));
      app.connect(drachtio.connectOptions);
      await connected;
      // drachtio-srf registers a handler per SIP method; its typings miss `options`.
      (app as unknown as { options(handler: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void }).options((_req, res) => res.send(200));
      app.invite((req, res) => invite(i, req, res));
    }
    const front = await startKamailio(kamailio!, { pairs: started.pairs.map((p) => p.sipPort), ...options });
    return { ...started, front };
  } catch (error) {
    await stopAppPairs(started);
    throw error;
  }
}

async function stopAppPairs(started: Partial<AppPairs> | undefined): Promise<void> {
  if (!started) return;
  await quietly(() => started.front?.stop());
  for (const app of started.apps ?? []) await quietly(() => app.disconnect());
  for (const pair of started.pairs ?? []) await quietly(() => pair.stop());
  await stopAll();
}
