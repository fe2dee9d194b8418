/**
 * Security joined to an emergency call, at CI level: the real `callguard serve` pipeline and
 * drachtio-srf on the fake drachtio-server, the FreeSWITCH stand-in behind the media pool. The state
 * machine: Security rung with FreeSWITCH's offer when the 999 goes out; both answered, the caller's and
 * the trunk's media re-INVITEd into the conference; Security hangs up, or FreeSWITCH fails: re-INVITEs
 * give them each other's media again, and the call goes on; FreeSWITCH down: the alert only.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Edge, EMERGENCY_TRUNK, until } from '../support/edgeFixture.js';
import type { InboundTransaction, OutboundRequest } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';
import { expectNothingLeft, startMediaEdge, type MediaEdge } from './mediaEdge.js';

const CALLER_SDP = sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 1000 });
const TRUNK_SDP = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });
const TRUNK_HOLD = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000, direction: 'sendonly' });
const SECURITY_SDP = sip.sdp({ ip: '192.0.2.22', port: 52000, sessionId: 2222 });
/** The sample plan's Security Control desk, through the PBX. */
const SECURITY = 'sip:2222@pbx.herts.example.ac.uk:5060';
/** Its first failover. */
const SECURITY_FAILOVER = 'sip:2223@pbx.herts.example.ac.uk:5060';

let m: MediaEdge | undefined;
afterEach(async () => {
  await m?.stop();
  m = undefined;
});

const withMode = (mode: string) => (yaml: string) => yaml.replace(/^site:\n/m, `site:\n  security:\n    joinEmergency: ${mode}\n`);

/** The requests the app has sent that match, in order, waiting until there are `n`. */
function sent(edge: Edge, what: string, match: (r: OutboundRequest) => boolean, n = 1): Promise<OutboundRequest> {
  return until(`${what} (#${n})`, () => edge.fake.outboundRequests.filter(match)[n - 1]);
}

/** Answers every MESSAGE (the Security alert) the app sends, until the edge stops. */
function answerMessages(edge: Edge): void {
  void (async () => {
    for (;;) {
      try {
        (await edge.nextRequest('MESSAGE', 60_000)).respond(200);
      } catch {
        return;
      }
    }
  })();
}

interface EmergencyCall {
  a: InboundTransaction;
  trunk: OutboundRequest;
  callerCallId: string;
}

interface JoinedCall extends EmergencyCall {
  security: OutboundRequest;
}

/** A 999 from 4101 (the Security alert answered), as far as the app's INVITE to the emergency trunk. */
async function emergencyCall(edge: Edge): Promise<EmergencyCall> {
  answerMessages(edge);
  const a = edge.invite('4101', '999', { sdp: CALLER_SDP });
  const trunk = await sent(edge, 'the 999 INVITE', (r) => r.method === 'INVITE' && r.uri.includes(EMERGENCY_TRUNK));
  return { a, trunk, callerCallId: a.request!.get('call-id')! };
}

/** The trunk answers, and so the caller is answered. */
async function trunkAnswers(call: EmergencyCall): Promise<void> {
  call.trunk.respond(200, { body: TRUNK_SDP });
  expect((await call.a.finalResponse()).status).toBe(200);
}

const securityRung = (edge: Edge) => sent(edge, "Security's INVITE", (r) => r.method === 'INVITE' && r.uri === SECURITY);

/** A 999 from 4101 with Security rung: the trunk answers, then Security. */
async function answeredByBoth(edge: Edge): Promise<JoinedCall> {
  const call = await emergencyCall(edge);
  const security = await securityRung(edge);
  await trunkAnswers(call);
  security.respond(200, { body: SECURITY_SDP });
  return { ...call, security };
}

/** A 999 from 4101: the trunk and Security both answer; resolves once Security is joined. */
async function joinedCall(edge: Edge): Promise<JoinedCall> {
  const call = await answeredByBoth(edge);
  // Into the conference: the caller first, then the trunk, each towards an endpoint of its own.
  (await sent(edge, 're-INVITE to the caller', (r) => r.method === 'INVITE' && r.get('call-id') === call.callerCallId)).respond(200, { body: CALLER_SDP });
  (await sent(edge, 're-INVITE to the trunk', (r) => r.method === 'INVITE' && r.get('call-id') === call.trunk.get('call-id'), 2)).respond(200, { body: TRUNK_SDP });
  await edge.waitForLog('Security joined', (l) => l.msg === 'Security Control joined to the emergency call');
  return call;
}

/** The re-INVITEs that put the caller and the trunk back on each other's media; answered. */
async function backDirect(edge: Edge, call: JoinedCall): Promise<{ toCaller: OutboundRequest; toTrunk: OutboundRequest }> {
  const toCaller = await sent(edge, 're-INVITE restoring the caller', (r) => r.method === 'INVITE' && r.get('call-id') === call.callerCallId, 2);
  toCaller.respond(200, { body: CALLER_SDP });
  const toTrunk = await sent(edge, 're-INVITE restoring the trunk', (r) => r.method === 'INVITE' && r.get('call-id') === call.trunk.get('call-id'), 3);
  toTrunk.respond(200, { body: TRUNK_SDP });
  await edge.waitForLog('back on direct media', (l) => l.msg === 'emergency call back on direct media');
  return { toCaller, toTrunk };
}

/** Waits for the app's BYE on the dialog `leg` made, and answers it. */
async function byeTo(edge: Edge, leg: OutboundRequest, what: string): Promise<void> {
  const bye = await sent(edge, what, (r) => r.method === 'BYE' && r.get('call-id') === leg.get('call-id'));
  if (bye.finalStatus === undefined) bye.respond(200);
}

/** The caller hangs up; the app BYEs the trunk (and Security, when still on the call); nothing is left anywhere. */
async function hangUp(call: JoinedCall, securityToo: boolean): Promise<void> {
  call.a.bye();
  await byeTo(m!.edge, call.trunk, 'the BYE to the trunk');
  if (securityToo) await byeTo(m!.edge, call.security, "the BYE to Security's leg");
  await expectNothingLeft(m!);
}

describe('Security joined to an emergency call (drachtio-srf on the fake drachtio-server, FreeSWITCH stand-in)', () => {
  it('talk: Security rung with FreeSWITCH’s offer at once; both answered: caller and trunk re-INVITEd into the conference; Security hangs up: both re-INVITEd back to each other', async () => {
    m = await startMediaEdge({ site: withMode('talk') });
    const { edge, fs } = m;
    const call = await joinedCall(edge);
    // Security's INVITE carried the endpoint FreeSWITCH offered; its answer went back to that endpoint.
    expect(call.security.body).toBe(fs.endpoints[0]!.local.sdp);
    expect(fs.endpoints[0]!.steps.find((s) => s.op === 'modify')?.detail).toBe(SECURITY_SDP);
    const joins = fs.journal.filter((s) => s.op === 'join');
    expect(joins.map((s) => s.endpoint)).toEqual([1, 2, 3]);
    expect(new Set(joins.map((s) => s.arg)).size).toBe(1);
    expect(joins[0]!.detail).toMatchObject({ flags: { mute: false } });
    // The caller was offered its endpoint's SDP, the trunk its own.
    const [toCaller] = edge.fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.get('call-id') === call.callerCallId);
    expect(toCaller!.body).toBe(fs.endpoints[1]!.local.sdp);

    call.security.bye();
    const restored = await backDirect(edge, call);
    // The caller gets the trunk's SDP again, the trunk the caller's answer.
    expect(restored.toCaller.body).toBe(TRUNK_SDP);
    expect(restored.toTrunk.body).toBe(CALLER_SDP);
    await fs.allReleased();
    await edge.waitForLog('Security left: hung up', (l) => l.msg === 'Security left the emergency call' && l.why === 'Security hung up');
    expect(await edge.callsInProgress).toBe(1);
    await hangUp(call, false);
  });

  it('listen: Security joins muted', async () => {
    m = await startMediaEdge({ site: withMode('listen') });
    const call = await joinedCall(m.edge);
    const securityJoin = m.fs.journal.find((s) => s.op === 'join' && s.endpoint === 1);
    expect(securityJoin?.detail).toMatchObject({ flags: { mute: true } });
    expect(m.fs.journal.filter((s) => s.op === 'join' && s.endpoint !== 1).map((s) => s.detail)).toEqual([{ profile: 'default' }, { profile: 'default' }]);
    // Security's leg goes with the call.
    await hangUp(call, true);
  });

  it('FreeSWITCH fails while Security is joined: caller and trunk re-INVITEd back to each other, Security hung up, the call goes on', async () => {
    m = await startMediaEdge({ site: withMode('talk') });
    const { edge, fs } = m;
    const call = await joinedCall(edge);
    fs.hangUp(fs.endpoints[2]!);
    await backDirect(edge, call);
    await byeTo(edge, call.security, "the BYE to Security's leg");
    await edge.waitForLog('Security left: FreeSWITCH failed', (l) => l.msg === 'Security left the emergency call' && l.why === 'FreeSWITCH failed');
    await fs.allReleased();
    expect(await edge.callsInProgress).toBe(1);
    await hangUp(call, false);
  });

  it('a FreeSWITCH step fails while joining: the call is put back on direct media and goes on', async () => {
    m = await startMediaEdge({ site: withMode('talk') });
    const { edge, fs } = m;
    fs.fail((s) => s.op === 'join' && s.endpoint === 3);
    const call = await answeredByBoth(edge);
    await edge.waitForLog('join failed', (l) => l.msg === 'Security could not be joined to the emergency call: the call goes on directly');
    await byeTo(edge, call.security, "the BYE to Security's leg");
    // Nothing had moved yet: no re-INVITE at all.
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.get('call-id') === call.callerCallId)).toEqual([]);
    await fs.allReleased();
    await hangUp(call, false);
  });

  it("FreeSWITCH hands Security's endpoint over after the join gave up (10 s): the 999 goes on, and that endpoint is released as it comes", async () => {
    m = await startMediaEdge({ site: withMode('listen') });
    const { edge, fs } = m;
    // Security's own endpoint, made first, comes too late: Security is never rung.
    fs.slowCreate(11_000);
    const call = await emergencyCall(edge);
    await trunkAnswers(call);
    await edge.waitForLog('the join given up', (l) => l.msg === 'Security could not be joined to the emergency call: the call goes on directly', 15_000);
    await until('the late endpoint released', () => (fs.endpoints.length === 1 && fs.live.length === 0) || undefined);
    expect(await edge.callsInProgress).toBe(1);
    call.a.bye();
    await byeTo(edge, call.trunk, 'the BYE to the trunk');
    await expectNothingLeft(m);
  }, 40_000);

  it("the caller's phone refuses the re-INVITE into the conference (488): the call goes back on direct media, and the emergency centre's later hold still reaches the caller and is answered", async () => {
    m = await startMediaEdge({ site: withMode('talk') });
    const { edge, fs } = m;
    const call = await answeredByBoth(edge);
    const toCaller = (r: OutboundRequest) => r.method === 'INVITE' && r.get('call-id') === call.callerCallId;
    (await sent(edge, 're-INVITE to the caller', toCaller)).respond(488);
    await edge.waitForLog('join failed', (l) => l.msg === 'Security could not be joined to the emergency call: the call goes on directly');
    // drachtio-srf lets the caller's dialog's next re-INVITE through only because callguard opens it after the 488.
    (await sent(edge, 'the caller re-INVITEd back to the trunk', toCaller, 2)).respond(200, { body: CALLER_SDP });
    (await sent(edge, 'the trunk re-INVITEd back to the caller', (r) => r.method === 'INVITE' && r.get('call-id') === call.trunk.get('call-id'), 2)).respond(200, { body: TRUNK_SDP });
    await byeTo(edge, call.security, "the BYE to Security's leg");
    const hold = call.trunk.sendInDialog('INVITE', { body: TRUNK_HOLD });
    (await sent(edge, "the centre's hold, passed to the caller", toCaller, 3)).respond(200, { body: CALLER_SDP });
    expect((await hold.finalResponse()).status).toBe(200);
    await fs.allReleased();
    await hangUp(call, false);
  });

  it('the caller hangs up while Security still rings: Security’s INVITE is CANCELled and the endpoint released', async () => {
    m = await startMediaEdge({ site: withMode('talk') });
    const { edge, fs } = m;
    const call = await emergencyCall(edge);
    const security = await securityRung(edge);
    security.respond(180);
    await trunkAnswers(call);
    call.a.bye();
    (await edge.nextRequest('BYE')).respond(200);
    await security.waitForCancel();
    await fs.allReleased();
    await expectNothingLeft(m);
  });

  it('the Security desk dead (its phone sends nothing, not even 100 Trying): the failover is rung once answerTimeoutSeconds have passed, not when that INVITE times out, and joins', async () => {
    m = await startMediaEdge({ site: withMode('talk'), answerTimeoutSeconds: 5, farEndAnswersCancel: false });
    const { edge } = m;
    const call = await emergencyCall(edge);
    const dead = await securityRung(edge);
    await trunkAnswers(call);
    const failover = await until('the failover rung', () => edge.fake.outboundRequests.find((r) => r.method === 'INVITE' && r.uri === SECURITY_FAILOVER), 20_000);
    expect(dead.finalStatus).toBeUndefined();
    expect(failover.body).toBe(m.fs.endpoints[0]!.local.sdp);
    failover.respond(200, { body: SECURITY_SDP });
    (await sent(edge, 're-INVITE to the caller', (r) => r.method === 'INVITE' && r.get('call-id') === call.callerCallId)).respond(200, { body: CALLER_SDP });
    (await sent(edge, 're-INVITE to the trunk', (r) => r.method === 'INVITE' && r.get('call-id') === call.trunk.get('call-id'), 2)).respond(200, { body: TRUNK_SDP });
    await edge.waitForLog('Security joined', (l) => l.msg === 'Security Control joined to the emergency call');
    // The dead desk answers after all: hung up at once, the call goes on.
    dead.respond(200, { body: SECURITY_SDP });
    await byeTo(edge, dead, 'the BYE to the late desk');
    expect(await edge.callsInProgress).toBe(1);
    await hangUp({ ...call, security: failover }, true);
  });

  it('notify (the default): Security gets the alert only; no FreeSWITCH endpoint is made', async () => {
    m = await startMediaEdge();
    const { edge, fs } = m;
    const call = await emergencyCall(edge);
    await trunkAnswers(call);
    await sent(edge, 'the alert', (r) => r.method === 'MESSAGE');
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE').map((r) => r.uri)).not.toContain(SECURITY);
    expect(fs.journal).toEqual([]);
    call.a.bye();
    (await edge.nextRequest('BYE')).respond(200);
    await expectNothingLeft(m);
  });

  it('FreeSWITCH down: the 999 goes out as ever, Security gets the alert only, and the log says why', async () => {
    m = await startMediaEdge({ site: withMode('listen') });
    const { edge, fs } = m;
    fs.up = false;
    const call = await emergencyCall(edge);
    await trunkAnswers(call);
    await edge.waitForLog('Security not joined', (l) => l.msg === 'Security not joined to the emergency call: no media server connected (FreeSWITCH down); Security has the alert only');
    await sent(edge, 'the alert', (r) => r.method === 'MESSAGE');
    expect(edge.fake.outboundRequests.filter((r) => r.method === 'INVITE').map((r) => r.uri)).not.toContain(SECURITY);
    call.a.bye();
    (await edge.nextRequest('BYE')).respond(200);
    await expectNothingLeft(m);
  });
});
