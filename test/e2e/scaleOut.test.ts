/**
 * Past one machine (issue 20), end to end: Kamailio with the shipped deploy/kamailio/kamailio.cfg in
 * front of two drachtio-server + `callguard serve` pairs, which share Redis through Sentinel (master,
 * replica, three sentinels) and a media pool of two FreeSWITCH; SIPp peers (PBX, public trunk, emergency
 * trunk, Security Control) shared by both pairs, and SIPp callers dialling through Kamailio. Shown:
 * calls spread over both pairs; an emergency decided on one pair is on the other pair's Security console
 * and an acknowledgement there reaches the first; a toll-fraud limit counts the calls of both pairs; the
 * Redis master killed: the replica promoted, both pairs follow, writes resume, no alert lost; five wrong
 * PINs across both pairs lock PIN entry once, with one alert; one FreeSWITCH killed: recorded calls of
 * both pairs go to the other; `kill -9` of one callguard mid-traffic loses no call set-up (every 999
 * reaches the emergency trunk, after Kamailio moved it where needed), new calls go straight to the
 * other pair once Kamailio's probes marked the dead one down, and the dead pair's connected calls end
 * at both ends (the far end's RFC 4028 session timer lapses without callguard's refreshes).
 */
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { openState } from '../../src/state/index.js';
import { kamailioBin, kamailioPath, pairUri } from '../support/kamailio.js';
import { e2eMediaLab, type Freeswitch } from '../support/freeswitch.js';
import { labTempDir, sleep, startSipp, waitFor, type Sipp, type SipMessage } from '../support/lab.js';
import { expectRecordedInStereo } from './recordedCalls.js';
import { pinEntries, writeRtpPcap, type RtpSegment } from './rtpPcap.js';
import {
  acknowledge,
  callThroughFront,
  consoleFeed,
  decisionsFor,
  decisionsOf,
  earlyCallThroughFront,
  mediaServersOf,
  OFFICER,
  peer,
  startScaleOut,
  stopScaleOut,
  type Pair,
  type ScaleOut,
} from './scaleOutLab.js';
import { finish, requests, streamEntries } from './stack.js';

const lab = e2eMediaLab();
const kamailio = kamailioBin();
if (lab && !kamailio) console.log(`scale-out e2e skipped: no kamailio at ${kamailioPath()} (Debian package kamailio; or set E2E_KAMAILIO_BIN)`);

/** amoreno (4101) is granted CH; 9 is the outside line. */
const ZURICH = '90041446681800';
const PIN = '482916';
/** bokafor (4102) is granted worldwide: a PIN is set and the desk phone stays locked. */
const LOCKED = '4102';
/** CALLGUARD_SESSION_EXPIRES in the lab: RFC 4028's floor, so a stranded call lapses within the test. */
const SESSION_EXPIRES = 90;
const LOCKED_PIN = '615243';
const WRONG = '918273';
const PARIS = '90033142685300';
/** The IT Service Desk: recorded, notice service-desk. */
const RECORDED = '3000';
const CALLS_ABROAD_A_DAY = 4;
/** Only a per-day limit: the lab's verdicts do not depend on the hour it runs at. */
const LIMITS = `limits:
  default:
    international: { perDay: ${CALLS_ABROAD_A_DAY} }
`;

/** The Call-ID of each call a SIPp caller placed, in order. */
function callIds(uac: Sipp): string[] {
  return [...new Set(uac.messages().filter((m) => m.direction === 'sent' && m.method === 'INVITE').map((m) => m.header('call-id')!))];
}

/** What became of one call a SIPp caller placed: its INVITE's final status, and its BYE's (if it hung up). */
interface CallOutcome {
  callId: string;
  invite: number | undefined;
  bye: number | undefined;
  /** The request-URI of its ACK and BYE: the Contact of the pair that connected it. */
  remoteTarget: string | undefined;
}

function outcomes(uac: Sipp): CallOutcome[] {
  const messages = uac.messages();
  // The scenario's own requests: CSeq 1 INVITE, 2 BYE (SIPp's BYE after an unexpected answer is 3).
  const final = (callId: string, cseq: string) => messages.find((m) => m.direction === 'received' && m.header('call-id') === callId && m.header('cseq') === cseq && (m.status ?? 0) >= 200)?.status;
  return callIds(uac).map((callId) => ({
    callId,
    invite: final(callId, '1 INVITE'),
    bye: final(callId, '2 BYE'),
    remoteTarget: messages.find((m) => m.direction === 'sent' && m.method === 'BYE' && m.header('call-id') === callId)?.uri,
  }));
}

/** The pair whose callguard decided a call (its decision log names the Call-ID). */
function decidedOn(so: ScaleOut, callId: string): Promise<Pair> {
  return waitFor(`the decision of ${callId}`, () => so.pairs.find((p) => decisionsFor(p, callId).length > 0), 20_000, 50);
}

/** amoreno's calls abroad today, as the pairs have shared them in Redis. */
async function sharedCallsAbroad(redisUrl: string): Promise<number> {
  const { createClient } = await import('redis');
  const client = createClient({ url: redisUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const days = await client.keys('callguard:usage:d:*');
    const counts = await Promise.all(days.map((day) => client.hGet(day, 'amoreno|international')));
    return counts.reduce((sum, n) => sum + Number(n ?? 0), 0);
  } finally {
    await client.close();
  }
}

/** The port in the top Via of a request a peer received: which pair's drachtio-server sent it (drachtio-srf's parser). */
const SipParser = (Srf as unknown as { SipMessage: new (raw: string) => Srf.SipMessage }).SipMessage;
function sentByPort(message: SipMessage): number | undefined {
  const vias = new SipParser(message.raw).getParsedHeader('via') as unknown as Array<{ port?: number }>;
  return vias[0]?.port;
}

describe.skipIf(!lab || !kamailio)('scale-out: Kamailio in front of two drachtio-server + callguard pairs sharing Redis (real processes)', () => {
  let so: ScaleOut;

  beforeAll(async () => {
    so = await startScaleOut(lab!, kamailio!, {
      planFiles: { 'limits.yaml': LIMITS },
      env: { CALLGUARD_SESSION_EXPIRES: String(SESSION_EXPIRES) },
      // amoreno has set a PIN and unlocked the desk phone: calls abroad are decided, not sent for a PIN.
      prepareState: async (redisUrl, dialplanDir) => {
        const loaded = await loadPlan(dialplanDir);
        if (!loaded.ok) throw new Error(`the lab's dialplan does not load: ${JSON.stringify(loaded)}`);
        const state = await openState({ plan: loaded.plan, redis: { url: redisUrl } });
        try {
          await state.setPin('4101', PIN);
          expect(await state.unlock('4101', PIN, Date.now())).toEqual({ outcome: 'unlocked' });
          await state.setPin(LOCKED, LOCKED_PIN);
        } finally {
          await state.backend.close();
        }
      },
    });
  }, 180_000);

  afterAll(async () => {
    await stopScaleOut(so);
  }, 90_000);

  it('spreads calls over both pairs', async () => {
    const before = await Promise.all(so.pairs.map(decisionsOf));
    const pbx = await peer(so, 'pbx', 'answer');
    const uac = await callThroughFront(so, { from: '4101', to: '4202', expect: 'call', calls: 10, rate: 5 });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    await pbx.stop();
    const taken = (await Promise.all(so.pairs.map(decisionsOf))).map((n, i) => n - before[i]!);
    expect(taken.reduce((a, b) => a + b), `decisions per pair: ${taken.join(', ')}`).toBe(10);
    for (const n of taken) expect(n, `decisions per pair: ${taken.join(', ')}`).toBeGreaterThan(0);
    expect(requests(pbx, 'INVITE'), pbx.describe()).toHaveLength(10);
  }, 120_000);

  it("an emergency decided on one pair is on the other pair's Security console, and an acknowledgement there shows on the first", async () => {
    const trunk = await peer(so, 'emergency', 'answer');
    const security = await peer(so, 'security', 'answer');
    const uac = await callThroughFront(so, { from: '4301', to: '999', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    const [callId] = callIds(uac);
    const b = await decidedOn(so, callId!);
    const a = so.pairs.find((p) => p !== b)!;
    expect(decisionsFor(a, callId!), 'decided once, on one pair').toEqual([]);

    const onA = await waitFor(`the alert on pair ${a.name}'s console`, async () => (await consoleFeed(so, a)).find((item) => item.alert.callId === callId), 30_000, 200);
    expect(onA.alert).toMatchObject({ kind: 'emergency', ext: '4301', dialled: '999', callback: '+441707284301' });
    expect(onA.ack).toBeUndefined();
    await acknowledge(so, a, onA.id);
    const onB = await waitFor(`the acknowledgement on pair ${b.name}'s console`, async () => (await consoleFeed(so, b)).find((item) => item.id === onA.id && item.ack), 30_000, 200);
    expect(onB.ack!.by).toBe(OFFICER);
    expect(onB.alert.callId).toBe(callId);

    await trunk.stop();
    await security.stop();
    expect(requests(trunk, 'INVITE')[0]?.uri, trunk.describe()).toMatch(/^sip:999@/);
  }, 120_000);

  it('a toll-fraud limit counts the calls abroad of both pairs: four a day in all, one FRAUD alert', async () => {
    const trunk = await peer(so, 'trunk', { reject: 486, phrase: 'Busy Here' });
    const admittedOn: string[] = [];
    const refusedOn: string[] = [];
    // One call after another, as a person makes them, each shared before the next (the pairs read the
    // shared counts back every 200 ms): twice the limit, alternating over the pairs (round-robin).
    for (let i = 0; i < 2 * CALLS_ABROAD_A_DAY; i++) {
      const admitted = i < CALLS_ABROAD_A_DAY;
      const uac = await callThroughFront(so, { from: '4101', to: ZURICH, expect: admitted ? 486 : 403 });
      expect(await uac.waitExit(), `call ${i + 1} abroad: ${uac.describe()}`).toBe(0);
      const [callId] = callIds(uac);
      const pair = await decidedOn(so, callId!);
      if (admitted) {
        admittedOn.push(pair.name);
        await waitFor(`${i + 1} calls abroad shared`, async () => (await sharedCallsAbroad(await so.redis.masterUrl())) >= i + 1, 30_000, 100);
        await sleep(1_500);
      } else {
        refusedOn.push(pair.name);
        const refusal = uac.received((m) => m.status === 403)[0]!;
        expect(refusal.header('Reason'), uac.describe()).toBe('Q.850;cause=21;text="fraud-limit"');
      }
    }
    // Each pair alone has seen only about half the limit's calls: the count is the pairs' together.
    expect(new Set(admittedOn), `admitted on ${admittedOn.join(', ')}`).toEqual(new Set(['A', 'B']));
    expect(new Set(refusedOn), `refused on ${refusedOn.join(', ')}`).toEqual(new Set(['A', 'B']));
    await trunk.stop();
    expect(requests(trunk, 'INVITE'), trunk.describe()).toHaveLength(CALLS_ABROAD_A_DAY);

    const fraud = async () => (await streamEntries(await so.redis.masterUrl(), 'callguard:alerts')).filter((e) => e.kind === 'fraud');
    await waitFor('the FRAUD alert', async () => (await fraud()).length > 0, 30_000, 200);
    await sleep(1_000);
    const alerts = await fraud();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ ext: '4101', dialled: ZURICH });
    expect(alerts[0]!.note).toMatch(/international-per-day limit 4 reached by amoreno/);
  }, 180_000);

  it('the Redis master killed (kill -9): a 999 in the gap is routed, the replica is promoted, both pairs follow it, and no alert is lost', async () => {
    const trunk = await peer(so, 'emergency', 'answer');
    const security = await peer(so, 'security', 'answer');
    const before = await callThroughFront(so, { from: '4301', to: '999', expect: 'call' });
    expect(await before.waitExit(), before.describe()).toBe(0);

    await so.redis.killMaster();
    // No master at all yet (the sentinels call it down after 1 s): decisions go on from each pair's replica.
    const during = await callThroughFront(so, { from: '4301', to: '999', expect: 'call' });
    expect(await during.waitExit(), during.describe()).toBe(0);
    await so.redis.waitForPromotion();
    expect(await so.redis.masterUrl()).toBe(so.redis.replica.url);

    // After the failover: one 999 on each pair (round-robin), each one's alert written to the new master.
    const after = await callThroughFront(so, { from: '4301', to: '999', expect: 'call', calls: 2, rate: 1 });
    expect(await after.waitExit(), after.describe()).toBe(0);
    const afterIds = callIds(after);
    const decidedBy = await Promise.all(afterIds.map((id) => decidedOn(so, id)));
    expect(new Set(decidedBy.map((p) => p.name)), 'the two calls after the failover').toEqual(new Set(['A', 'B']));

    const all = [...callIds(before), ...callIds(during), ...afterIds];
    const onNewMaster = async () => new Set((await streamEntries(so.redis.replica.url, 'callguard:alerts')).filter((e) => e.kind === 'emergency').map((e) => e.callId));
    // The gap's alert waited in its pair's outbox and was delivered once a master was back.
    await waitFor("every 999's alert on the new master's stream", async () => {
      const alerted = await onNewMaster();
      return all.every((id) => alerted.has(id));
    }, 60_000, 500);
    for (const pair of so.pairs) {
      await waitFor(`every 999 on pair ${pair.name}'s console`, async () => {
        const feed = await consoleFeed(so, pair);
        return all.every((id) => feed.some((item) => item.alert.callId === id));
      }, 60_000, 500);
    }
    await trunk.stop();
    await security.stop();
    expect(requests(trunk, 'INVITE'), trunk.describe()).toHaveLength(all.length);
  }, 240_000);

  it('five wrong PINs across both pairs lock PIN entry once, with one PIN-LOCKOUT alert (on the promoted master)', async () => {
    const work = labTempDir('callguard-scale-out-pins-');
    let pcaps = 0;
    const pcap = (segments: RtpSegment[]) => {
      const file = `${work}/caller-${++pcaps}.pcap`;
      writeRtpPcap(file, segments);
      return file;
    };
    const finalOf = (uac: Sipp) => uac.received((m) => m.status !== undefined && m.status >= 200 && m.header('cseq')?.endsWith('INVITE') === true).at(-1);
    const lockouts = async () => (await streamEntries(await so.redis.masterUrl(), 'callguard:alerts')).filter((e) => /lockout/i.test(e.kind ?? '') && e.ext === LOCKED);
    const security = await peer(so, 'security', 'answer');
    const trunk = await peer(so, 'trunk', 'answer');

    // Three wrong in one call (refused), then two in the next: five. Then the right PIN: still locked out.
    const attempts: Array<{ pins: string[]; betweenMs: number; reason: string }> = [
      { pins: [WRONG, WRONG, WRONG], betweenMs: 6_000, reason: 'pin-refused' },
      { pins: [WRONG, WRONG], betweenMs: 6_000, reason: 'pin-locked-out' },
      { pins: [LOCKED_PIN], betweenMs: 0, reason: 'pin-locked-out' },
    ];
    const decidedBy: string[] = [];
    for (const attempt of attempts) {
      const uac = await earlyCallThroughFront(so, { from: LOCKED, to: PARIS, pcap: pcap(pinEntries(attempt.pins, 1_500, attempt.betweenMs, 15_000)), status: 403 });
      expect(await uac.waitExit(240_000), uac.describe()).toBe(0);
      expect(finalOf(uac)?.header('Reason'), uac.describe()).toBe(`Q.850;cause=21;text="${attempt.reason}"`);
      decidedBy.push((await decidedOn(so, callIds(uac)[0]!)).name);
    }
    expect(decidedBy.slice(0, 2).sort(), `the wrong PINs were keyed on pairs ${decidedBy.join(', ')}`).toEqual(['A', 'B']);

    await waitFor('the PIN-LOCKOUT alert', async () => (await lockouts()).length > 0, 30_000, 200);
    await sleep(2_000);
    expect(await lockouts(), 'one PIN-LOCKOUT alert').toHaveLength(1);
    await security.stop();
    const messages = requests(security, 'MESSAGE').filter((m) => m.body.trimStart().startsWith('PIN-LOCKOUT') && m.body.includes(LOCKED));
    expect(messages, security.describe()).toHaveLength(1);
    await trunk.stop();
    expect(requests(trunk, 'INVITE'), trunk.describe()).toEqual([]);
    for (const pair of so.pairs) {
      expect(pair.app.output()).not.toContain(WRONG);
      expect(pair.app.output()).not.toContain(LOCKED_PIN);
    }
  }, 600_000);

  it('one FreeSWITCH killed (kill -9): both pairs see it down, and the recorded calls of both go to the other, recorded in stereo', async () => {
    const [fs1, fs2] = so.mediaServers as [Freeswitch, Freeswitch];
    const work = labTempDir('callguard-scale-out-media-');
    const callerPcap = `${work}/caller-440.pcap`;
    const calleePcap = `${work}/callee-1k.pcap`;
    writeRtpPcap(callerPcap, [{ kind: 'tone', hz: 440, ms: 90_000 }]);
    writeRtpPcap(calleePcap, [{ kind: 'tone', hz: 1_000, ms: 90_000 }]);

    fs1.process.signal('SIGKILL');
    expect((await fs1.process.waitExit(30_000)).signal).toBe('SIGKILL');
    for (const pair of so.pairs) {
      await waitFor(`pair ${pair.name} to see the killed FreeSWITCH down`, async () => (await mediaServersOf(pair))[0]?.connected === false, 60_000, 200);
    }

    const pbx = await startSipp(so.lab, { role: 'uas', scenarioFile: 'uas-media.xml', template: { pcap: calleePcap }, port: so.ports.pbx, service: 'pbx', calls: 4, timeoutSeconds: 240 });
    const uac = await earlyCallThroughFront(so, { from: '4101', to: RECORDED, pcap: callerPcap, holdMs: 10_000, calls: 4, rate: 2 });
    // All four held at once: every one on the surviving FreeSWITCH, from both pairs.
    await waitFor('four calls on the surviving FreeSWITCH', async () => {
      const counts = await Promise.all(so.pairs.map(async (pair) => (await mediaServersOf(pair))[1]?.calls ?? 0));
      return counts.reduce((a, b) => a + b, 0) === 4;
    }, 180_000, 200);
    // A caller and a callee channel a call (the callee's once the notice has played).
    await waitFor('eight channels on the surviving FreeSWITCH', async () => (await fs2.channelCount()) === 8, 120_000, 200);
    expect(await uac.waitExit(240_000), uac.describe()).toBe(0);
    expect(await pbx.waitExit(60_000), pbx.describe()).toBe(0);
    const ids = await expectRecordedInStereo(so.recordings, uac);
    expect(ids).toHaveLength(4);
    const decidedBy = await Promise.all(ids.map((id) => decidedOn(so, id)));
    expect(new Set(decidedBy.map((p) => p.name)), 'the recorded calls came through both pairs').toEqual(new Set(['A', 'B']));
    expect(await fs2.waitForChannelCount(0, 30_000)).toBe(0);
  }, 480_000);

  it("kill -9 of one callguard mid-traffic: no call set-up lost, every 999 reaches the emergency trunk (one ringing on the dead pair is moved), new calls go straight to the other pair; the dead pair's connected calls end at both ends (the PBX's session timer)", async () => {
    const [a, b] = so.pairs as [Pair, Pair];
    // The PBX keeps RFC 4028 session timers (callguard offers 90 s in this lab, and refreshes).
    const pbx = await peer(so, 'pbx', { sessionTimerSeconds: SESSION_EXPIRES });
    // The emergency trunk rings 4 s before answering: a 999 is still ringing when its pair dies.
    const trunk = await peer(so, 'emergency', { ringMs: 4_000 });
    const security = await peer(so, 'security', 'answer');

    // Traffic across the kill: calls held 5 s (some connected on A when it dies) and 999s.
    const ordinary = await callThroughFront(so, { from: '4101', to: '4202', expect: 'call', holdMs: 5_000, calls: 24, rate: 2 });
    const emergencies = await callThroughFront(so, { from: '4301', to: '999', expect: 'call', holdMs: 1_000, calls: 12, rate: 1 });
    const decided = (msg: string) => a.app.logs().filter((e) => e.msg === msg);
    const ordinaryBefore = decided('decision').length;
    await waitFor('pair A to have connected calls', () => decided('decision').length >= ordinaryBefore + 3, 60_000, 50);
    // Killed while a 999 it routed rings at the trunk (4 s; its 180 has long reached the caller by 1 s).
    const emergenciesBefore = decided('emergency call').length;
    const ringing = await waitFor('pair A to route a 999', () => decided('emergency call')[emergenciesBefore], 60_000, 20);
    await sleep(1_000);
    a.app.signal('SIGKILL');
    await a.app.waitExit(10_000);
    // drachtio-server A answers OPTIONS 503 itself now: two failed probes and Kamailio marks A down,
    // then cancels there what still waits on A, to try it on B.
    await so.kamailio.waitForPair('down', a.drachtio.sipPort);
    await so.kamailio.process.waitForLine('the ringing 999 cancelled on A', (l) => l.includes(`call ${String(ringing.callId)} was waiting on ${pairUri(a.drachtio.sipPort)}`), 30_000);

    // Callers still waiting then (a call lost in set-up) are stopped, and their calls counted below.
    await finish(ordinary, 120_000);
    await finish(emergencies, 120_000);

    // No call set-up lost: each INVITE was answered 200, after Kamailio moved it to B where needed
    // (503 from drachtio-server A once its app was gone, or cancelled on A when A went down).
    const placed = outcomes(ordinary);
    const emergencyCalls = outcomes(emergencies);
    expect(placed).toHaveLength(24);
    expect(emergencyCalls).toHaveLength(12);
    for (const call of [...placed, ...emergencyCalls]) expect(call.invite, `${call.callId}\n${ordinary.describe()}\n${emergencies.describe()}`).toBe(200);

    // Security saw every one of the 999s (some twice: decided on A, then again on B after the move).
    const alerted = new Set((await streamEntries(await so.redis.masterUrl(), 'callguard:alerts')).filter((e) => e.kind === 'emergency').map((e) => e.callId));
    for (const call of emergencyCalls) expect(alerted.has(call.callId), `EMERGENCY alert for ${call.callId}`).toBe(true);
    // The 999 that rang on A when it died was decided again on B, and answered there.
    expect(decisionsFor(b, String(ringing.callId)), b.app.output()).toHaveLength(1);

    // New calls after A went down (999 with the outside-line prefix among them): straight to B,
    // Kamailio tries A no more.
    const bBefore = await decisionsOf(b);
    const kamailioLines = so.kamailio.process.stderrLines.length;
    const after = await callThroughFront(so, { from: '4101', to: '4202', expect: 'call', calls: 4, rate: 4 });
    const after999 = await callThroughFront(so, { from: '4101', to: '9999', expect: 'call', calls: 2, rate: 2 });
    expect(await after.waitExit(), after.describe()).toBe(0);
    expect(await after999.waitExit(), after999.describe()).toBe(0);
    expect((await decisionsOf(b)) - bBefore).toBe(6);
    const movedLater = so.kamailio.process.stderrLines.slice(kamailioLines).filter((l) => l.includes(`pair ${pairUri(a.drachtio.sipPort)} `));
    expect(movedLater, 'Kamailio sent nothing more to A').toEqual([]);

    await trunk.stop();
    await security.stop();
    expect(requests(trunk, 'INVITE').length, trunk.describe()).toBeGreaterThanOrEqual(12 + 2);

    // A's connected calls end at both ends. The caller's BYE reaches drachtio-server A (Record-Route),
    // which no longer knows the dialog: the caller's side is over. The PBX leg's session timer (90 s,
    // the PBX refreshing, as the Session-Expires callguard offered asks) ends the rest: the PBX's next
    // UPDATE finds callguard gone and fails, and the PBX sends its BYE; or drachtio-server A, hearing no
    // refresh, tears the leg down itself (BYE with Reason "Session timer expired"). Each call connected
    // on A and ended before the kill, and only those, brought the PBX an ordinary BYE from A.
    const onA = placed.filter((call) => call.remoteTarget?.includes(`:${a.drachtio.sipPort}`));
    // Stranded: the caller's BYE got 481, or none at all (408 from Kamailio) when it was in flight at the kill.
    const stranded = onA.filter((call) => call.bye !== 200);
    const endedBeforeKill = onA.filter((call) => call.bye === 200);
    expect(stranded.length, ordinary.describe()).toBeGreaterThan(0);
    for (const call of stranded) expect([481, 408, undefined], `${JSON.stringify(call)}\n${ordinary.describe()}`).toContain(call.bye);
    const callIdsOf = (messages: SipMessage[]) => new Set(messages.map((m) => m.header('call-id')));
    const fromA = requests(pbx, 'INVITE').filter((m) => sentByPort(m) === a.drachtio.sipPort).map((m) => m.header('call-id'));
    const byesFromA = () => requests(pbx, 'BYE').filter((m) => sentByPort(m) === a.drachtio.sipPort);
    const timerExpired = (m: SipMessage) => /Session timer expired/i.test(m.header('reason') ?? '');
    const byesOfPbx = () => pbx.messages().filter((m) => m.direction === 'sent' && m.method === 'BYE' && fromA.includes(m.header('call-id')));
    await waitFor('every PBX leg from A to end', () => {
      const ended = callIdsOf([...byesFromA(), ...byesOfPbx()]);
      return fromA.every((id) => ended.has(id));
    }, (SESSION_EXPIRES + 60) * 1000, 500).catch((error: unknown) => {
      throw new Error(`${String(error)}: ${stranded.length} stranded; PBX legs from A ${fromA.join(' ')}\n${pbx.describe()}`);
    });
    await pbx.stop();
    const pbxTrace = pbx.describe();
    const endedByA = callIdsOf(byesFromA().filter((m) => !timerExpired(m)));
    expect(endedByA.size, pbxTrace).toBe(endedBeforeKill.length);
    const endedByTimers = fromA.filter((id) => !endedByA.has(id));
    expect(endedByTimers.length, pbxTrace).toBe(stranded.length);
    const lapsed = callIdsOf([...byesFromA().filter(timerExpired), ...byesOfPbx()]);
    for (const id of endedByTimers) expect(lapsed.has(id), `${id}\n${pbxTrace}`).toBe(true);
  }, 480_000);
});
