/**
 * Recorded extensions through the media seam (policy 4), CI level: the SIP edge on the fake
 * drachtio-server, FreeSWITCH played by the stand-in. The caller hears the notice in early media
 * before the callee is rung; the call is bridged through FreeSWITCH and recorded; every endpoint is
 * released however the call ends.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { INTERNAL, until } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';
import { answerByes, expectNothingLeft, invitesSent, recordingStarted, responseWith, startMediaEdge, type MediaEdge } from './mediaEdge.js';

const CALLEE_SDP = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });
const isNotice = (file: string) => file.includes('/audio/notices/');
const filesUnder = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name);

/** A recorded call from 4101 to 3000, answered and being recorded; every BYE from here on is answered. */
async function answeredRecordedCall(m: MediaEdge) {
  const { edge, fs } = m;
  const a = edge.invite('4101', '3000');
  const b = await edge.nextInvite();
  b.respond(200, { body: CALLEE_SDP });
  expect((await a.finalResponse()).status).toBe(200);
  await recordingStarted(fs);
  answerByes(edge);
  return { a, b };
}

describe('media: recorded extension', () => {
  let m: MediaEdge;

  beforeEach(async () => {
    m = await startMediaEdge();
  });

  afterEach(async () => {
    await m.stop();
  });

  it.each([
    ['internal: 4101 → 3000', '4101', '3000', {}, 'internal'],
    ['inbound: the trunk → DDI +441707283000', '+447700900123', '+441707283000', { fromUri: 'sip:+447700900123@trunk.herts.example.ac.uk' }, 'inbound'],
  ] as const)('%s: notice in 183, then the callee; bridged, recorded, torn down with a sidecar', async (_what, from, to, opts, direction) => {
    const { edge, fs } = m;
    fs.hold(isNotice);
    const offer = sip.sdp({ ip: '192.0.2.10', port: 40000 });
    const a = edge.invite(from, to, { ...opts, sdp: offer });

    // 183 with FreeSWITCH's SDP; the caller's notice leg was made against the caller's offer
    const early = await responseWith(a, 183);
    const [callerEp] = fs.endpoints;
    expect(callerEp!.remoteSdp).toBe(offer);
    expect(early.body).toBe(callerEp!.local.sdp);

    // the notice plays, and while it does nobody is rung
    const notice = await fs.waitFor('the notice', (s) => s.op === 'play' && isNotice(s.arg));
    expect(notice.endpoint).toBe(callerEp!.index);
    expect(notice.arg).toMatch(/\/audio\/notices\/service-desk\.wav$/);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(invitesSent(edge)).toHaveLength(0);
    expect(fs.endpoints).toHaveLength(1);

    // the notice ends (FreeSWITCH answers the notice leg): only now is the callee called, from a second leg
    fs.release();
    const b = await edge.nextInvite();
    expect(notice.outcome).toBe('done');
    const calleeEp = fs.endpoints[1]!;
    expect(b.uri).toBe(`sip:3000@${INTERNAL}`);
    expect(b.body).toBe(calleeEp.local.sdp);
    expect(a.responses.filter((r) => r.status >= 200)).toHaveLength(0);
    // ringback meanwhile, on the caller's leg
    const ringback = await fs.waitFor('ringback', (s) => s.op === 'play' && s.arg.includes('loops=-1'));
    expect(ringback.endpoint).toBe(callerEp!.index);

    // the callee answers: the callee endpoint learns its SDP, the endpoints are bridged, the caller gets 200 with FreeSWITCH's SDP
    b.respond(200, { body: CALLEE_SDP });
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(callerEp!.local.sdp);
    await edge.nextRequest('ACK');
    const record = await recordingStarted(fs);
    expect(ringback.outcome).toBe('broken');

    const ops = fs.commands.map((s) => `${s.endpoint}:${s.op}:${s.op === 'play' ? (isNotice(s.arg) ? 'notice' : 'ringback') : s.arg}`);
    expect(ops).toEqual([
      '1:play:notice',
      '1:play:ringback',
      '1:api:uuid_break',
      '2:modify:dialog',
      '1:bridge:' + calleeEp.uuid,
      '1:api:uuid_setvar',
      '1:api:uuid_record',
    ]);
    expect(fs.commands.find((s) => s.op === 'modify')!.detail).toBe(CALLEE_SDP);
    expect(fs.commands.find((s) => s.op === 'api' && s.arg === 'uuid_setvar')!.detail).toBe(`${callerEp!.uuid} RECORD_STEREO true`);

    // <directory>/<yyyy>/<mm>/<dd>/3000-<hhmmss>-<call-id>.wav
    const callId = a.request!.callId!;
    const path = record.path;
    const safeId = callId.replace(/[^A-Za-z0-9._-]/g, '_');
    expect(path.startsWith(`${m.recordings}/`)).toBe(true);
    expect(path.slice(m.recordings.length)).toMatch(new RegExp(`^/\\d{4}/\\d{2}/\\d{2}/3000-\\d{6}-${safeId.replace(/[.]/g, '\\.')}\\.wav$`));

    // the caller hangs up: the callee gets BYE, both endpoints go, the sidecar appears
    answerByes(edge);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
    const sidecarFile = path.replace(/\.wav$/, '.json');
    // written when recording starts, and again with the duration once the call has ended
    const sidecar = await until('the sidecar with the duration', () => {
      if (!existsSync(sidecarFile)) return undefined;
      const json = JSON.parse(readFileSync(sidecarFile, 'utf8')) as Record<string, unknown>;
      return typeof json.durationSeconds === 'number' ? json : undefined;
    });
    expect(sidecar).toMatchObject({ ext: '3000', other: from, direction, notice: 'service-desk', callId });
    expect(sidecar.noticeFailure).toBeUndefined();
  });

  it('the callee hangs up first: the caller gets BYE and every endpoint goes', async () => {
    const { b } = await answeredRecordedCall(m);
    expect((await b.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
  });

  it("FreeSWITCH keeps the caller's channel after the call's BYE: a few seconds later callguard kills it by UUID, and says so", async () => {
    const { edge, fs } = m;
    fs.keepNoticeLegAfterBye();
    const { a } = await answeredRecordedCall(m);
    expect((await a.bye().finalResponse()).status).toBe(200);
    const [callerEp, calleeEp] = fs.endpoints;
    // both legs were BYE'd; the callee's channel went, the caller's stayed
    expect(callerEp!.steps.map((s) => s.op)).toContain('dialog-destroy');
    expect(calleeEp!.released).toBe(true);
    expect(callerEp!.released).toBe(false);
    const kill = await fs.waitFor('the kill by UUID', (s) => s.op === 'api' && s.arg === 'uuid_kill', 15_000);
    expect(kill.endpoint).toBe(callerEp!.index);
    await expectNothingLeft(m);
    const warning = await edge.waitForLog('the kill said', (l) => l.msg === "media server kept the caller's channel after the call ended: killed it");
    expect(warning).toMatchObject({ callId: a.request!.callId, channel: callerEp!.uuid });
  }, 30_000);

  it('a channel FreeSWITCH ended with the call is asked after, and not killed', async () => {
    const { fs } = m;
    const { a } = await answeredRecordedCall(m);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
    const asked = await fs.waitFor('the check', (s) => s.op === 'api' && s.arg === 'uuid_exists', 15_000);
    expect(asked.endpoint).toBe(1);
    expect(fs.journal.filter((s) => s.arg === 'uuid_kill')).toHaveLength(0);
  }, 30_000);

  it('caller CANCEL during the notice: 487, the callee is never INVITEd, endpoints destroyed', async () => {
    const { edge, fs } = m;
    fs.hold(isNotice);
    const a = edge.invite('4101', '3000');
    await responseWith(a, 183);
    await fs.waitFor('the notice', (s) => s.op === 'play' && isNotice(s.arg));
    a.cancel();
    expect((await a.finalResponse()).status).toBe(487);
    await expectNothingLeft(m);
    // the notice would end now; still nobody is rung
    fs.release();
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(invitesSent(edge)).toHaveLength(0);
    expect(fs.endpoints).toHaveLength(1);
  });

  it('caller CANCEL while the callee rings: the callee is CANCELled, 487, endpoints destroyed', async () => {
    const { edge, fs } = m;
    const a = edge.invite('4101', '3000');
    const b = await edge.nextInvite();
    b.respond(180);
    a.cancel();
    await b.waitForCancel();
    expect((await a.finalResponse()).status).toBe(487);
    await expectNothingLeft(m);
    expect(fs.journal.some((s) => s.op === 'api' && s.arg === 'uuid_record')).toBe(false);
    expect(filesUnder(m.recordings)).toEqual([]);
  });

  it('the callee is busy: the caller gets 486 and every endpoint goes', async () => {
    const { edge, fs } = m;
    const a = edge.invite('4101', '3000');
    (await edge.nextInvite()).respond(486);
    expect((await a.finalResponse()).status).toBe(486);
    await expectNothingLeft(m);
    expect(fs.endpoints).toHaveLength(2);
    // nothing was recorded, so nothing is filed
    expect(filesUnder(m.recordings)).toEqual([]);
  });
});
