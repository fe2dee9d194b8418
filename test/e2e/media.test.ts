/**
 * Media paths end to end: the real `callguard serve` with a real drachtio-server, FreeSWITCH configured
 * by freeswitch-conf/ and redis-server, SIPp callers sending RTP and RFC 2833 digits, SIPp peers playing
 * the PBX, the trunk and Security Control. Recording notices (heard before the callee is called), the
 * stereo recording and its sidecar, PIN entry on a locked phone (right, wrong three times, locked out
 * across calls with a Security alert), feature codes, CANCEL during a notice and a spoken reject.
 *
 * Nothing asserts on timing except one lower bound: the callee's INVITE comes at least the notice's
 * length after the caller's 183. After every scenario FreeSWITCH has no channel left. Skips with one
 * line when E2E_DRACHTIO_BIN / E2E_DRACHTIO_CONF / E2E_SIPP_BIN / E2E_FREESWITCH_RUN are unset.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';
import { channelStat, e2eMediaLab, type Freeswitch } from '../support/freeswitch.js';
import { labTempDir, startSipp, waitFor, type Sipp, type SipMessage } from '../support/lab.js';
import { filesUnder } from './recordedCalls.js';
import { pinEntries, writeRtpPcap, type RtpSegment } from './rtpPcap.js';
import { dial, finish, peer, requests, startStack, stopStack, streamEntries, type Stack } from './stack.js';

const run = promisify(execFile);
const lab = e2eMediaLab();

/** Dr Alice Moreno: a grant for CH, FR, DE, so her desk phone is PIN-locked. */
const EXT = '4101';
const PIN = '274915';
const WRONG = '918273';
/** 9 0033 1 42 68 53 00: Paris, international, pin-required while the phone is locked. */
const PARIS = '90033142685300';
/** The IT Service Desk: recorded, notice service-desk. */
const RECORDED = '3000';

/** When SIPp wrote a message into its trace ("2026-11-23 21:08:52.159673", local time), in ms. */
function traceTime(message: SipMessage): number {
  const t = Date.parse(message.at.replace(' ', 'T'));
  if (Number.isNaN(t)) throw new Error(`unexpected SIPp trace timestamp ${JSON.stringify(message.at)}`);
  return t;
}

/** Length of an audio file in seconds (`soxi -D`). */
async function audioSeconds(file: string): Promise<number> {
  const { stdout } = await run('soxi', ['-D', file]);
  return Number(stdout.trim());
}

describe.skipIf(!lab)('callguard serve: media through FreeSWITCH (real drachtio-server, FreeSWITCH, redis-server, SIPp)', () => {
  let stack: Stack;
  let fs: Freeswitch;
  const work = labTempDir('callguard-media-e2e-');
  let pcapCount = 0;

  const cli = (args: string[], input?: string) => callguard([...args, '--redis', stack.redis.url, '--dialplan', stack.dialplan.dir], input);
  const phoneStatus = () => {
    const r = cli(['phone', 'status', EXT, '--json']);
    if (r.status !== 0) throw new Error(`callguard phone status: ${r.stderr}`);
    return JSON.parse(r.stdout) as { lock: string; failures: number; hasPin: boolean; lockoutUntil?: number };
  };
  /** `callguard pin set`: a fresh PIN, the phone locked, no failures, no lockout. */
  const resetPin = () => {
    const r = cli(['pin', 'set', EXT], `${PIN}\n`);
    expect(r.status, r.stderr).toBe(0);
  };
  const pcap = (segments: RtpSegment[]) => {
    const file = join(work, `caller-${++pcapCount}.pcap`);
    return { file, ms: writeRtpPcap(file, segments) };
  };
  /** A caller that plays `segments` from the first 183; answered: holds `holdMs` and hangs up; else expects `status`. */
  const earlyCall = (to: string, segments: RtpSegment[], options: { status?: number; holdMs?: number } = {}): Promise<Sipp> =>
    startSipp(lab!, {
      role: 'uac',
      scenarioFile: 'uac-early-media.xml',
      template: { pcap: pcap(segments).file, status: options.status ?? 403, hold: options.holdMs ?? 2_000 },
      remote: `127.0.0.1:${stack.drachtio.sipPort}`,
      service: to,
      keys: { from: EXT },
      calls: 1,
      timeoutSeconds: 120,
    });
  const finalOf = (uac: Sipp) => uac.received((m) => m.status !== undefined && m.status >= 200 && m.header('cseq')?.endsWith('INVITE') === true).at(-1);
  const noChannelLeft = async () => expect(await fs.waitForChannelCount(0, 30_000)).toBe(0);
  /** Once the caller and the far end have finished and FreeSWITCH is empty: ms from the caller's 183 to the far end's INVITE. */
  const earlyToInvite = async (uac: Sipp, far: Sipp): Promise<number> => {
    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    expect(await finish(far, 30_000), far.describe()).toBe(0);
    await noChannelLeft();
    const early = uac.received((m) => m.status === 183)[0];
    const [invite] = requests(far, 'INVITE');
    expect(early, uac.describe()).toBeDefined();
    expect(invite, far.describe()).toBeDefined();
    return traceTime(invite!) - traceTime(early!);
  };

  beforeAll(async () => {
    // The SIPp callers play a PBX, the only kind of caller whose 18x go reliably when it requires 100rel.
    stack = await startStack(lab!, { media: true, env: { CALLGUARD_TRUSTED_SOURCES: '127.0.0.1' } });
    fs = stack.freeswitch!;
  }, 180_000);

  afterEach(() => {
    // A crashed callguard shows up as drachtio-server's bare 503 in every later scenario: say so here.
    if (stack && !stack.app.process.alive) throw new Error(`callguard exited ${JSON.stringify(stack.app.process.status)}\n${stack.app.output()}`);
  });

  afterAll(async () => {
    await stopStack(stack);
  }, 90_000);

  it('a recorded extension: the notice plays in early media before the callee is INVITEd; the call is recorded in stereo with a sidecar', async () => {
    const noticeSeconds = await audioSeconds(join(stack.dialplan.dir, 'audio/notices/service-desk.wav'));
    const calleePcap = join(work, 'callee-1k.pcap');
    writeRtpPcap(calleePcap, [{ kind: 'tone', hz: 1_000, ms: 20_000 }]);
    const pbx = await startSipp(lab!, { role: 'uas', scenarioFile: 'uas-media.xml', template: { pcap: calleePcap }, port: stack.ports.pbx, service: 'pbx', calls: 1, timeoutSeconds: 120 });
    // The caller's 440 Hz tone from the 183 on: through the notice and into the connected call.
    const uac = await earlyCall(RECORDED, [{ kind: 'tone', hz: 440, ms: 60_000 }], { holdMs: 4_000 });
    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    expect(await finish(pbx, 30_000), pbx.describe()).toBe(0);
    await noChannelLeft();

    const early = uac.received((m) => m.status === 183)[0];
    const answered = uac.received((m) => m.status === 200 && m.header('cseq')?.endsWith('INVITE') === true)[0];
    const [invite] = requests(pbx, 'INVITE');
    expect(early, uac.describe()).toBeDefined();
    expect(early!.body, early!.raw).toMatch(/^v=0/); // FreeSWITCH's SDP: the caller hears the notice
    expect(answered, uac.describe()).toBeDefined();
    expect(invite?.uri, pbx.describe()).toBe(`sip:${RECORDED}@127.0.0.1:${stack.ports.pbx}`);
    // The lower bound: the callee was not called before the whole notice had played (SIPp's trace
    // stamps are taken on receipt; 50 ms covers the caller reading its 183 late on a busy box).
    const gapMs = traceTime(invite!) - traceTime(early!);
    process.stdout.write(`notice service-desk ${noticeSeconds.toFixed(3)} s; 183 -> callee INVITE ${(gapMs / 1000).toFixed(3)} s\n`);
    expect(gapMs, `183 at ${early!.at}, callee INVITE at ${invite!.at}`).toBeGreaterThanOrEqual(noticeSeconds * 1000 - 50);

    // <dir>/<yyyy>/<mm>/<dd>/3000-<hhmmss>-<call-id>.wav and its .json sidecar (written at hang-up).
    const callId = uac.messages()[0]!.header('call-id')!;
    const sidecarFile = await waitFor('the recording sidecar', () => filesUnder(stack.recordings!).find((f) => f.endsWith('.json')), 20_000, 200);
    const wav = sidecarFile.replace(/\.json$/, '.wav');
    expect(sidecarFile.slice(stack.recordings!.length), filesUnder(stack.recordings!).join('\n')).toMatch(new RegExp(`^/\\d{4}/\\d\\d/\\d\\d/${RECORDED}-\\d{6}-[^/]+\\.json$`));
    expect(existsSync(wav), filesUnder(stack.recordings!).join('\n')).toBe(true);
    const sidecar = JSON.parse(readFileSync(sidecarFile, 'utf8')) as Record<string, unknown>;
    expect(sidecar, JSON.stringify(sidecar)).toMatchObject({ ext: RECORDED, other: EXT, notice: 'service-desk', callId });
    expect(sidecar.durationSeconds, JSON.stringify(sidecar)).toBeGreaterThanOrEqual(2);
    expect(statSync(sidecarFile).mode & 0o777).toBe(0o640);
    // Nothing on the call's path failed: FreeSWITCH's dialplan told the app the notice played (its 200's
    // X-Callguard-Notice-Result), and ringback, bridge and recording by UUID were answered +OK.
    expect(stack.app.logs().filter((e) => e.callId === callId && Number(e.level) >= 40)).toEqual([]);

    const { stdout: channels } = await run('soxi', ['-c', wav]);
    expect(Number(channels.trim())).toBe(2);
    const seconds = await audioSeconds(wav);
    const caller = await channelStat(wav, 1);
    const callee = await channelStat(wav, 2);
    process.stdout.write(`recording ${seconds.toFixed(2)} s; channel 1 (caller) rms ${caller.rms} ~${caller.hz} Hz; channel 2 (callee) rms ${callee.rms} ~${callee.hz} Hz\n`);
    expect(caller.rms, JSON.stringify({ caller, callee })).toBeGreaterThan(0.01);
    expect(callee.rms, JSON.stringify({ caller, callee })).toBeGreaterThan(0.01);
    expect(Math.abs(caller.hz - 440), JSON.stringify({ caller, callee })).toBeLessThan(60);
    expect(Math.abs(callee.hz - 1_000), JSON.stringify({ caller, callee })).toBeLessThan(100);
  }, 180_000);

  it("a caller keying * (FreeSWITCH's default playback terminator), # or 1 during the notice cannot cut it short: the callee is INVITEd only once the whole notice has played", async () => {
    const noticeSeconds = await audioSeconds(join(stack.dialplan.dir, 'audio/notices/service-desk.wav'));
    const calleePcap = join(work, 'callee-1k-keyed.pcap');
    writeRtpPcap(calleePcap, [{ kind: 'tone', hz: 1_000, ms: 20_000 }]);
    const pbx = await startSipp(lab!, { role: 'uas', scenarioFile: 'uas-media.xml', template: { pcap: calleePcap }, port: stack.ports.pbx, service: 'pbx', calls: 1, timeoutSeconds: 120 });
    const uac = await earlyCall(RECORDED, [{ kind: 'silence', ms: 1_500 }, { kind: 'digits', digits: '*#1*' }, { kind: 'tone', hz: 440, ms: 60_000 }], { holdMs: 2_000 });
    const gapMs = await earlyToInvite(uac, pbx);
    process.stdout.write(`notice service-desk ${noticeSeconds.toFixed(3)} s, keyed into; 183 -> callee INVITE ${(gapMs / 1000).toFixed(3)} s\n`);
    expect(gapMs).toBeGreaterThanOrEqual(noticeSeconds * 1000 - 50);
  }, 180_000);

  it('a caller requiring 100rel (RFC 3262) to the recorded extension: FreeSWITCH\'s 183 reaches it reliably, with a Contact to PRACK; the notice plays and the call connects', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    // The caller's scenario fails unless its PRACK of the 183 is answered before the 200 comes.
    const uac = await dial(stack, { from: EXT, to: RECORDED, expect: 'call', reliable: 183, holdMs: 1_000 });
    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    expect(await finish(pbx, 30_000), pbx.describe()).toBe(0);
    await noChannelLeft();
    const early = uac.received((m) => m.status === 183)[0];
    expect(early?.header('RSeq'), uac.describe()).toMatch(/^\d+$/);
    expect(early!.header('Contact'), early!.raw).toMatch(/<sip:/);
    expect(early!.body, early!.raw).toMatch(/^v=0/);
    expect(requests(pbx, 'INVITE')[0]?.uri, pbx.describe()).toBe(`sip:${RECORDED}@127.0.0.1:${stack.ports.pbx}`);
  }, 180_000);

  it('CANCEL during the notice: 487, the callee is never INVITEd and no FreeSWITCH channel is left', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const uac = await startSipp(lab!, {
      role: 'uac',
      scenarioFile: 'uac-cancel.xml',
      template: { after: 2_000 },
      remote: `127.0.0.1:${stack.drachtio.sipPort}`,
      service: RECORDED,
      keys: { from: EXT },
      calls: 1,
      timeoutSeconds: 60,
    });
    expect(await uac.waitExit(60_000), uac.describe()).toBe(0);
    await noChannelLeft();
    // Well past the notice's end: had the CANCEL not stopped it, the PBX would have been called by now.
    const noticeSeconds = await audioSeconds(join(stack.dialplan.dir, 'audio/notices/service-desk.wav'));
    expect(await finish(pbx, noticeSeconds * 1000 + 5_000), pbx.describe()).toBeNull();
    expect(requests(pbx, 'INVITE'), pbx.describe()).toEqual([]);
    expect(await fs.channelCount()).toBe(0);
  }, 120_000);

  it('a caller making no offer (delayed-offer PBX) to the recorded extension: it cannot hear a notice before the answer, so the sample\'s connect-flagged connects it straight to the PBX, which gets the caller\'s answer in its ACK', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const uac = await startSipp(lab!, { role: 'uac', scenarioFile: 'uac-late-offer.xml', template: { hold: 1_000 }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: RECORDED, keys: { from: EXT }, calls: 1, timeoutSeconds: 60 });
    expect(await uac.waitExit(60_000), uac.describe()).toBe(0);
    expect(await finish(pbx, 10_000), pbx.describe()).toBe(0);
    expect(requests(pbx, 'ACK')[0]?.body, pbx.describe()).toContain('o=late-answer ');
    const callId = uac.messages()[0]!.header('call-id')!;
    const flagged = await stack.app.waitForLog('the recording flag', (e) => e.callId === callId && e.recordingUnavailable === true);
    expect(String(flagged.msg)).toMatch(/made no offer/);
    expect(await fs.channelCount()).toBe(0);
  }, 120_000);

  it('a caller making no offer dials *52: answered with FreeSWITCH\'s offer, and FreeSWITCH is given the caller\'s answer from its ACK', async () => {
    const uac = await startSipp(lab!, { role: 'uac', scenarioFile: 'uac-late-offer.xml', template: { hold: 10_000 }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: '*52', keys: { from: EXT }, calls: 1, timeoutSeconds: 60 });
    // While the PIN prompt waits: where FreeSWITCH sends the caller's audio. Before the answer reaches it,
    // that is its own address (drachtio-srf ACKs its offer with that offer turned recvonly).
    const remotePort = await waitFor("FreeSWITCH's channel with the caller's media port", async () => {
      const rows = (JSON.parse(await fs.api('show channels as json')) as { rows?: Array<{ uuid: string }> }).rows ?? [];
      for (const { uuid } of rows) {
        const [remote, local] = await Promise.all([fs.api(`uuid_getvar ${uuid} remote_media_port`), fs.api(`uuid_getvar ${uuid} local_media_port`)]);
        if (/^\d+$/.test(remote.trim()) && remote.trim() !== local.trim()) return remote.trim();
      }
      return undefined;
    }, 20_000, 200);
    expect(await uac.waitExit(60_000), uac.describe()).toBe(0);
    const ack = uac.messages().find((m) => m.direction === 'sent' && m.method === 'ACK');
    expect(ack?.body, uac.describe()).toMatch(new RegExp(`^m=audio ${remotePort} `, 'm'));
    await noChannelLeft();
  }, 120_000);

  it('a locked phone: the international call connects (the trunk gets the INVITE) after the right PIN', async () => {
    resetPin();
    expect(phoneStatus().lock).toBe('locked');
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    const uac = await earlyCall(PARIS, pinEntries([PIN], 1_500, 0, 20_000), { holdMs: 2_000 });
    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    expect(await finish(trunk, 30_000), trunk.describe()).toBe(0);
    await noChannelLeft();
    expect(uac.received((m) => m.status === 183), uac.describe()).not.toEqual([]);
    expect(finalOf(uac)?.status, uac.describe()).toBe(200);
    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:+33142685300@127.0.0.1:${stack.ports.trunk}`);
    expect(invite?.header('P-Asserted-Identity'), invite?.raw).toMatch(/[:<]\+441707284101[@>;]/);
    expect(phoneStatus(), 'the right PIN unlocks the phone').toMatchObject({ lock: 'unlocked', failures: 0 });
  }, 180_000);

  it("a locked phone that is also recorded: after the right PIN its notice plays whole before the trunk is called, keys during it notwithstanding", async () => {
    // 4101 recorded (notice finance) for this test alone, by a hot reload of the stack's plan.
    const extensions = join(stack.dialplan.dir, 'extensions/academic.yaml');
    const plain = readFileSync(extensions, 'utf8');
    const reloaded = async (text: string) => {
      const from = stack.app.logs().length;
      writeFileSync(extensions, text);
      await stack.app.waitForLog('the plan reloaded', (e) => e.msg === 'dialplan reloaded', 30_000, from);
    };
    await reloaded(plain.replace('    ddi: "+441707284101"\n', '    ddi: "+441707284101"\n    recorded: { notice: finance }\n'));
    try {
      resetPin();
      const noticeSeconds = await audioSeconds(join(stack.dialplan.dir, 'audio/notices/finance.wav'));
      const trunk = await peer(stack, 'trunk', 'answer', 1);
      const entry: RtpSegment[] = [{ kind: 'silence', ms: 1_500 }, { kind: 'digits', digits: PIN }];
      // FreeSWITCH has the PIN from its last digit's first packet on: the notice may start no sooner.
      const lastDigitMs = writeRtpPcap(join(work, 'pin-entry-but-one.pcap'), [{ kind: 'silence', ms: 1_500 }, { kind: 'digits', digits: PIN.slice(0, -1) }]);
      const uac = await earlyCall(PARIS, [...entry, { kind: 'silence', ms: 1_000 }, { kind: 'digits', digits: '*#*' }, { kind: 'silence', ms: 30_000 }], { holdMs: 2_000 });
      const gapMs = await earlyToInvite(uac, trunk);
      process.stdout.write(`last PIN digit at ${lastDigitMs} ms, notice finance ${noticeSeconds.toFixed(3)} s, keyed into; 183 -> trunk INVITE ${(gapMs / 1000).toFixed(3)} s\n`);
      expect(gapMs).toBeGreaterThanOrEqual(lastDigitMs + noticeSeconds * 1000 - 50);
    } finally {
      await reloaded(plain);
    }
  }, 180_000);

  it('feature codes: *51 locks the phone and *52 with the PIN unlocks it (answered, prompt, we hang up)', async () => {
    expect(phoneStatus().lock).toBe('unlocked');
    const featureCall = (code: string, segments: RtpSegment[]) =>
      startSipp(lab!, { role: 'uac', scenarioFile: 'uac-answered-bye.xml', template: { pcap: pcap(segments).file }, remote: `127.0.0.1:${stack.drachtio.sipPort}`, service: code, keys: { from: EXT }, calls: 1, timeoutSeconds: 90 });

    const lock = await featureCall('*51', [{ kind: 'silence', ms: 1_000 }]);
    expect(await lock.waitExit(90_000), lock.describe()).toBe(0);
    await noChannelLeft();
    expect(lock.received((m) => m.method === 'BYE'), lock.describe()).toHaveLength(1);
    expect(await waitFor('4101 locked', () => phoneStatus().lock === 'locked', 10_000, 200)).toBe(true);

    const unlock = await featureCall('*52', pinEntries([PIN], 1_500, 0, 10_000));
    expect(await unlock.waitExit(90_000), unlock.describe()).toBe(0);
    await noChannelLeft();
    expect(unlock.received((m) => m.method === 'BYE'), unlock.describe()).toHaveLength(1);
    expect(await waitFor('4101 unlocked', () => phoneStatus().lock === 'unlocked', 10_000, 200)).toBe(true);
    // The log is written in batches (flushed every 250 ms): wait for the line rather than read at once.
    for (const feature of ['lock', 'unlock']) await stack.app.waitForLog(`feature code ${feature} logged`, (e) => e.msg === 'feature code done' && e.feature === feature);
  }, 180_000);

  it('a locked phone: three wrong PINs in a call get a spoken refusal and 403 pin-refused; the trunk is never called', async () => {
    resetPin();
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    const uac = await earlyCall(PARIS, pinEntries([WRONG, WRONG, WRONG], 1_500, 6_000), { status: 403 });
    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    await noChannelLeft();
    const final = finalOf(uac);
    expect(final?.status, uac.describe()).toBe(403);
    expect(final?.header('Reason'), final?.raw).toBe('Q.850;cause=21;text="pin-refused"');
    expect(uac.received((m) => m.status === 183), uac.describe()).not.toEqual([]);
    expect(phoneStatus()).toMatchObject({ lock: 'locked', failures: 3 });
    expect(await finish(trunk, 1_000)).toBeNull();
    expect(requests(trunk, 'INVITE'), trunk.describe()).toEqual([]);
  }, 180_000);

  it('five wrong PINs across calls lock PIN entry (403 pin-locked-out, even for the right PIN) and alert Security by MESSAGE and on the Redis stream', async () => {
    // Three wrong PINs were entered in the previous call; two more make five.
    expect(phoneStatus().failures).toBe(3);
    const alertsBefore = (await streamEntries(stack.redis.url, 'callguard:alerts')).length;
    const security = await peer(stack, 'security', 'answer', 1);
    const uac = await earlyCall(PARIS, pinEntries([WRONG, WRONG], 1_500, 6_000), { status: 403 });
    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    await noChannelLeft();
    const final = finalOf(uac);
    expect(final?.status, uac.describe()).toBe(403);
    expect(final?.header('Reason'), final?.raw).toBe('Q.850;cause=21;text="pin-locked-out"');
    expect(phoneStatus().lockoutUntil, 'PIN entry locked out').toBeGreaterThan(Date.now());

    await finish(security, 30_000);
    const [message] = requests(security, 'MESSAGE');
    expect(message, security.describe()).toBeDefined();
    expect(message!.body.trimStart()).toMatch(/^PIN-LOCKOUT\b/);
    expect(message!.body).toContain(EXT);
    expect(message!.body).not.toContain(WRONG);
    const entries = await waitFor('a PIN-LOCKOUT alert on callguard:alerts', async () => {
      const all = await streamEntries(stack.redis.url, 'callguard:alerts');
      return all.slice(alertsBefore).find((e) => /lockout/i.test(e.kind ?? ''));
    }, 20_000, 200);
    expect(entries, JSON.stringify(entries)).toMatchObject({ ext: EXT });
    expect(JSON.stringify(entries)).not.toContain(WRONG);

    // Locked out: the right PIN is refused too, and the trunk is not called.
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    const again = await earlyCall(PARIS, pinEntries([PIN], 1_500, 0, 15_000), { status: 403 });
    expect(await again.waitExit(120_000), again.describe()).toBe(0);
    await noChannelLeft();
    expect(finalOf(again)?.header('Reason'), again.describe()).toBe('Q.850;cause=21;text="pin-locked-out"');
    expect(await finish(trunk, 1_000)).toBeNull();
    expect(requests(trunk, 'INVITE'), trunk.describe()).toEqual([]);
    // PINs never reach the log.
    expect(stack.app.output()).not.toContain(PIN);
    expect(stack.app.output()).not.toContain(WRONG);
  }, 240_000);

  it('a spoken reject: a premium number gets 183 with the reason spoken, then 403 premium-barred', async () => {
    const uac = await earlyCall('909012345678', [{ kind: 'silence', ms: 15_000 }], { status: 403 });
    expect(await uac.waitExit(90_000), uac.describe()).toBe(0);
    await noChannelLeft();
    const early = uac.received((m) => m.status === 183)[0];
    const final = finalOf(uac);
    expect(early?.body, uac.describe()).toMatch(/^v=0/);
    expect(final?.status, uac.describe()).toBe(403);
    expect(final?.header('Reason'), final?.raw).toBe('Q.850;cause=21;text="premium-barred"');
    const promptSeconds = await audioSeconds(join(stack.dialplan.dir, 'audio/prompts/reject-premium.wav'));
    const gapMs = traceTime(final!) - traceTime(early!);
    process.stdout.write(`reject-premium prompt ${promptSeconds.toFixed(3)} s; 183 -> 403 ${(gapMs / 1000).toFixed(3)} s\n`);
    expect(gapMs).toBeGreaterThanOrEqual(promptSeconds * 1000 - 50);
  }, 120_000);
});
