/**
 * Security Control on an emergency call, end to end: the real `callguard serve` with a real
 * drachtio-server, FreeSWITCH configured by freeswitch-conf/ (mod_conference) and redis-server; SIPp
 * plays the caller, the emergency trunk and Security Control's phone, each sending its own tone (caller
 * 440 Hz, trunk 1 kHz, Security 1.5 kHz), and what each of them hears is kept by an RtpEar (rtpEar.ts)
 * and measured tone by tone in stretches by sender: directly from the other party, then from
 * FreeSWITCH while Security is joined, then directly again.
 *
 * talk: everyone hears everyone while joined; listen: Security hears both, nobody hears Security;
 * FreeSWITCH killed (SIGKILL) while Security is joined: the call goes on directly; with FreeSWITCH
 * down Security gets the alert only. Nothing asserts on timing. Skips with one line when
 * E2E_DRACHTIO_BIN / E2E_DRACHTIO_CONF / E2E_SIPP_BIN / E2E_FREESWITCH_RUN are unset.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { JoinEmergency } from '../../src/policy/plan.js';
import { e2eMediaLab, type Freeswitch } from '../support/freeswitch.js';
import { editSite, labTempDir, startSipp, waitFor, type Sipp } from '../support/lab.js';
import { RtpEar, type Stretch } from './rtpEar.js';
import { writeRtpPcap } from './rtpPcap.js';
import { finish, peer, requests, SECURITY_USER, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eMediaLab();

const TONE = { caller: 440, trunk: 1_000, security: 1_500 } as const;
type Party = keyof typeof TONE;
const TONES = Object.values(TONE);
/** A tone's level (a sine's amplitude; each party sends 8000) above this is heard, below QUIET it is not. */
const HEARD = 2_000;
const QUIET = 400;
/** The caller hangs up once this long passes without a re-INVITE: well after Security has left. */
const CALLER_IDLE_MS = 15_000;
const TRUNK_HOLD_MS = 120_000;
/** SIPp gives up after this long: well past every wait below. */
const SIPP_TIMEOUT_S = 150;

interface EmergencyCall {
  caller: Sipp;
  trunk: Sipp;
  security: Sipp;
  ears: Record<Party, RtpEar>;
}

/** Where a stretch came from: the far party directly (SIPp) or the FreeSWITCH conference. */
function route(stretches: Stretch[]): string[] {
  const direct = stretches[0]?.from;
  return stretches.map((s) => (s.from === direct ? 'direct' : 'freeswitch'));
}

describe.skipIf(!lab)('Security joined to an emergency call through FreeSWITCH (real drachtio-server, FreeSWITCH, redis-server, SIPp audio)', () => {
  let stack: Stack;
  let fs: Freeswitch;
  const work = labTempDir('callguard-security-join-');
  const pcaps = Object.fromEntries(
    Object.entries(TONE).map(([party, hz]) => {
      const file = join(work, `${party}.pcap`);
      writeRtpPcap(file, [{ kind: 'tone', hz, ms: 90_000 }]);
      return [party, file];
    }),
  ) as Record<Party, string>;
  const open: RtpEar[] = [];

  const setMode = async (mode: JoinEmergency) => {
    const from = stack.app.logs().length;
    editSite(stack.dialplan.dir, { security: { joinEmergency: mode } });
    await stack.app.waitForLog('the dialplan reloaded', (e) => e.msg === 'dialplan reloaded', 30_000, from);
  };

  /** Ears for the parties, each closed after the test. */
  const earsFor = async <P extends Party>(...parties: P[]): Promise<Record<P, RtpEar>> => {
    const ears = {} as Record<P, RtpEar>;
    for (const party of parties) open.push((ears[party] = await RtpEar.open()));
    return ears;
  };

  /** The emergency trunk: answers at once, sends its tone to the app and holds the call. */
  const trunkAnswering = (ear: RtpEar) =>
    startSipp(lab!, {
      role: 'uas',
      scenarioFile: 'uas-media-reinvite.xml',
      template: { pcap: pcaps.trunk, ringMs: 0, hold: TRUNK_HOLD_MS },
      extraArgs: ear.sippArgs,
      port: stack.ports.emergency,
      service: 'emergency',
      calls: 1,
      timeoutSeconds: SIPP_TIMEOUT_S,
    });

  /** 4101 dials 999, sends its tone, and hangs up once `idleMs` pass without a re-INVITE. */
  const callerDialling999 = (ear: RtpEar, idleMs: number) =>
    startSipp(lab!, {
      role: 'uac',
      scenarioFile: 'uac-media-reinvite.xml',
      template: { pcap: pcaps.caller, idle: idleMs },
      extraArgs: ear.sippArgs,
      remote: `127.0.0.1:${stack.drachtio.sipPort}`,
      service: '999',
      keys: { from: '4101' },
      calls: 1,
      timeoutSeconds: SIPP_TIMEOUT_S,
    });

  /** A 999 from 4101 with the trunk answering at once and Security ringing 3 s, then holding `securityHoldMs` before it hangs up. */
  const emergencyCall = async (securityHoldMs: number): Promise<EmergencyCall> => {
    const ears = await earsFor('caller', 'trunk', 'security');
    const trunk = await trunkAnswering(ears.trunk);
    // The alert MESSAGE and the call to join: two calls.
    const security = await startSipp(lab!, {
      role: 'uas',
      scenarioFile: 'uas-media-reinvite.xml',
      template: { pcap: pcaps.security, ringMs: 3_000, hold: securityHoldMs },
      extraArgs: ears.security.sippArgs,
      port: stack.ports.security,
      service: SECURITY_USER,
      calls: 2,
      timeoutSeconds: SIPP_TIMEOUT_S,
    });
    const caller = await callerDialling999(ears.caller, CALLER_IDLE_MS);
    return { caller, trunk, security, ears };
  };

  const ended = async (call: EmergencyCall) => {
    expect(await call.caller.waitExit(150_000), call.caller.describe()).toBe(0);
    expect(await finish(call.trunk, 60_000), call.trunk.describe()).toBe(0);
    expect(await finish(call.security, 60_000), call.security.describe()).toBe(0);
  };

  const levels = (ear: RtpEar) => `${ear.describe(TONES)}`;

  /** What caller and trunk heard: each the other directly, then through FreeSWITCH, then directly again. */
  const intoFreeswitchAndBack = ({ caller, trunk }: EmergencyCall['ears']): { heardByCaller: Stretch[]; heardByTrunk: Stretch[] } => {
    const heardByCaller = caller.stretches();
    const heardByTrunk = trunk.stretches();
    expect(route(heardByCaller), levels(caller)).toEqual(['direct', 'freeswitch', 'direct']);
    expect(route(heardByTrunk), levels(trunk)).toEqual(['direct', 'freeswitch', 'direct']);
    return { heardByCaller, heardByTrunk };
  };

  /** Security heard something, and in all of it both the caller and the trunk. */
  const securityHeardBoth = (security: RtpEar) => {
    const heardBySecurity = security.stretches();
    expect(heardBySecurity.length, levels(security)).toBeGreaterThan(0);
    for (const stretch of heardBySecurity) {
      expect(stretch.level(TONE.caller), levels(security)).toBeGreaterThan(HEARD);
      expect(stretch.level(TONE.trunk), levels(security)).toBeGreaterThan(HEARD);
    }
  };

  beforeAll(async () => {
    stack = await startStack(lab!, { media: true, answerTimeoutSeconds: 30 });
    fs = stack.freeswitch!;
  }, 180_000);

  afterEach(async () => {
    await Promise.all(open.splice(0).map((ear) => ear.close()));
    if (stack && !stack.app.process.alive) throw new Error(`callguard exited ${JSON.stringify(stack.app.process.status)}\n${stack.app.output()}`);
  });

  afterAll(async () => {
    await stopStack(stack);
  }, 90_000);

  it('talk: caller and trunk hear each other before, during and after; while joined Security hears both and both hear Security; Security hangs up and the media goes back directly', async () => {
    await setMode('talk');
    const from = stack.app.logs().length;
    const call = await emergencyCall(6_000);
    await ended(call);
    await stack.app.waitForLog('Security left (hung up)', (e) => e.msg === 'Security left the emergency call' && e.why === 'Security hung up', 30_000, from);
    await stack.app.waitForLog('the media back directly', (e) => e.msg === 'emergency call back on direct media', 30_000, from);
    expect(await fs.waitForChannelCount(0, 30_000)).toBe(0);

    const { caller, trunk, security } = call.ears;
    const { heardByCaller, heardByTrunk } = intoFreeswitchAndBack(call.ears);
    for (const stretch of heardByCaller) expect(stretch.level(TONE.trunk), levels(caller)).toBeGreaterThan(HEARD);
    for (const stretch of heardByTrunk) expect(stretch.level(TONE.caller), levels(trunk)).toBeGreaterThan(HEARD);
    // Security is heard only while joined.
    expect(heardByCaller[1]!.level(TONE.security), levels(caller)).toBeGreaterThan(HEARD);
    expect(heardByTrunk[1]!.level(TONE.security), levels(trunk)).toBeGreaterThan(HEARD);
    for (const stretch of [heardByCaller[0]!, heardByCaller[2]!, heardByTrunk[0]!, heardByTrunk[2]!]) expect(stretch.level(TONE.security), `${levels(caller)}\n${levels(trunk)}`).toBeLessThan(QUIET);
    securityHeardBoth(security);
    // Into FreeSWITCH and back out: two re-INVITEs each.
    expect(requests(call.caller, 'INVITE'), call.caller.describe()).toHaveLength(2);
    expect(requests(call.trunk, 'INVITE'), call.trunk.describe()).toHaveLength(3);
  }, 240_000);

  it('listen: Security hears caller and trunk; neither hears Security', async () => {
    await setMode('listen');
    const from = stack.app.logs().length;
    const call = await emergencyCall(6_000);
    await ended(call);
    await stack.app.waitForLog('Security joined', (e) => e.msg === 'Security Control joined to the emergency call' && e.mode === 'listen', 30_000, from);
    expect(await fs.waitForChannelCount(0, 30_000)).toBe(0);

    const { caller, trunk } = call.ears;
    const { heardByCaller, heardByTrunk } = intoFreeswitchAndBack(call.ears);
    for (const stretch of heardByCaller) {
      expect(stretch.level(TONE.trunk), levels(caller)).toBeGreaterThan(HEARD);
      expect(stretch.level(TONE.security), levels(caller)).toBeLessThan(QUIET);
    }
    for (const stretch of heardByTrunk) {
      expect(stretch.level(TONE.caller), levels(trunk)).toBeGreaterThan(HEARD);
      expect(stretch.level(TONE.security), levels(trunk)).toBeLessThan(QUIET);
    }
    securityHeardBoth(call.ears.security);
  }, 240_000);

  it('FreeSWITCH killed (SIGKILL) while Security is joined: caller and trunk go on hearing each other directly; Security is hung up', async () => {
    await setMode('talk');
    const from = stack.app.logs().length;
    // Security would hold for minutes: it is the app that hangs it up.
    const call = await emergencyCall(TRUNK_HOLD_MS);
    await stack.app.waitForLog('Security joined', (e) => e.msg === 'Security Control joined to the emergency call', 60_000, from);
    // Killed once the conference is heard, so there is a stretch through FreeSWITCH to tell from the rest.
    await waitFor('the caller and the trunk hearing the conference', () => route(call.ears.caller.stretches()).includes('freeswitch') && route(call.ears.trunk.stretches()).includes('freeswitch'), 30_000, 100);
    process.kill(fs.process.pid, 'SIGKILL');
    await ended(call);
    await stack.app.waitForLog('Security left (FreeSWITCH failed)', (e) => e.msg === 'Security left the emergency call' && String(e.why).startsWith('FreeSWITCH failed'), 30_000, from);
    await stack.app.waitForLog('the media back directly', (e) => e.msg === 'emergency call back on direct media', 30_000, from);

    const { caller, trunk } = call.ears;
    const { heardByCaller, heardByTrunk } = intoFreeswitchAndBack(call.ears);
    expect(heardByCaller[2]!.level(TONE.trunk), levels(caller)).toBeGreaterThan(HEARD);
    expect(heardByTrunk[2]!.level(TONE.caller), levels(trunk)).toBeGreaterThan(HEARD);
    // Security got its BYE from the app.
    expect(requests(call.security, 'BYE'), call.security.describe()).toHaveLength(1);
  }, 240_000);

  it('FreeSWITCH down: the 999 connects directly and Security gets the alert only, with a log line saying why', async () => {
    const from = stack.app.logs().length;
    const ears = await earsFor('caller', 'trunk');
    const trunk = await trunkAnswering(ears.trunk);
    const security = await peer(stack, 'security', 'answer', 1);
    const caller = await callerDialling999(ears.caller, 5_000);
    expect(await caller.waitExit(120_000), caller.describe()).toBe(0);
    expect(await finish(trunk, 60_000), trunk.describe()).toBe(0);
    expect(await finish(security, 30_000), security.describe()).toBe(0);
    await stack.app.waitForLog('Security not joined: FreeSWITCH down', (e) => String(e.msg).startsWith('Security not joined to the emergency call: no media server connected'), 30_000, from);
    expect(requests(security, 'MESSAGE'), security.describe()).toHaveLength(1);
    expect(requests(security, 'INVITE'), security.describe()).toEqual([]);
    expect(route(ears.caller.stretches()), levels(ears.caller)).toEqual(['direct']);
    expect(ears.caller.stretches()[0]!.level(TONE.trunk), levels(ears.caller)).toBeGreaterThan(HEARD);
    expect(ears.trunk.stretches()[0]!.level(TONE.caller), levels(ears.trunk)).toBeGreaterThan(HEARD);
  }, 180_000);
});
