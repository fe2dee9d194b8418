/**
 * Failures on a media call's path that the call goes on without: each is logged at error with its cause
 * and counted in callguard_call_path_errors_total{where}. CI level: the SIP edge on the fake
 * drachtio-server, FreeSWITCH played by the stand-in, told which command fails.
 */
import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { basename } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';
import { answerByes, expectNothingLeft, recordingStarted, startMediaEdge, type MediaEdge } from './mediaEdge.js';

const CALLEE_SDP = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });

describe('media: failures on the call path are logged and counted', () => {
  let m: MediaEdge;

  beforeEach(async () => {
    m = await startMediaEdge();
    answerByes(m.edge);
  });

  afterEach(async () => {
    await m.stop();
  });

  /** 4101 calls the recorded extension 3000; the callee answers; resolves once recording has been asked for. */
  async function recordedCall() {
    const a = m.edge.invite('4101', '3000');
    const b = await m.edge.nextInvite();
    b.respond(200, { body: CALLEE_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    const { path } = await recordingStarted(m.fs);
    return { a, wav: path, callId: a.request!.callId! };
  }

  const errorAt = (where: string) => m.edge.waitForLog(`the ${where} error`, (l) => l.where === where);
  const counted = (where: string) => m.edge.metric('callguard_call_path_errors_total', { where });

  it('the recording cannot be made stereo: logged and counted, the call still recorded', async () => {
    m.fs.fail((s) => s.op === 'api' && s.arg === 'uuid_setvar');
    const { a, callId } = await recordedCall();
    expect(await errorAt('recording-stereo')).toMatchObject({ level: 50, callId, err: '-ERR stand-in failure', msg: expect.stringContaining('stereo') });
    expect(await counted('recording-stereo')).toBe(1);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
  });

  it('the WAV cannot be made 0640: logged and counted, the sidecar still written with the duration', async () => {
    const { a, wav, callId } = await recordedCall();
    // The media server's file, as one this process cannot change the mode of (a symbolic-link loop: ELOOP, whoever runs the test).
    symlinkSync(basename(wav), wav);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
    const error = await errorAt('recording-mode');
    expect(error).toMatchObject({ level: 50, callId, recording: wav });
    expect(error.err).toMatch(/ELOOP/);
    expect(await counted('recording-mode')).toBeGreaterThanOrEqual(1);
    const sidecar = wav.replace(/\.wav$/, '.json');
    await until('the sidecar with the duration', () => existsSync(sidecar) && typeof JSON.parse(readFileSync(sidecar, 'utf8')).durationSeconds === 'number');
  });

  it('ringback cannot be played: logged and counted, the call still connects', async () => {
    m.fs.fail((s) => s.op === 'play' && s.arg.includes('loops=-1'));
    const { a, callId } = await recordedCall();
    expect(await errorAt('ringback')).toMatchObject({ level: 50, callId });
    expect(await counted('ringback')).toBe(1);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
  });

  it("the recording notice cannot be played: logged and counted as a notice, the callee still called, and the recording's sidecar says the notice was not heard", async () => {
    m.fs.fail((s) => s.op === 'play' && s.arg.includes('/audio/notices/'));
    const { a, wav, callId } = await recordedCall();
    const error = await errorAt('notice');
    // FreeSWITCH's playback result, in the 200 that ends the notice leg
    expect(error).toMatchObject({ level: 50, callId, err: 'PLAYBACK ERROR', file: expect.stringMatching(/\/audio\/notices\/service-desk\.wav$/) });
    expect(await counted('notice')).toBe(1);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
    const sidecarFile = wav.replace(/\.wav$/, '.json');
    const sidecar = await until('the sidecar with the duration', () => {
      const json = existsSync(sidecarFile) ? (JSON.parse(readFileSync(sidecarFile, 'utf8')) as Record<string, unknown>) : undefined;
      return typeof json?.durationSeconds === 'number' ? json : undefined;
    });
    expect(sidecar).toMatchObject({ notice: 'service-desk', noticeFailure: 'PLAYBACK ERROR', callId });
  });

  it('a prompt cannot be played: logged and counted', async () => {
    m.fs.fail((s) => s.op === 'play' && s.arg.includes('/audio/prompts/phone-locked.'));
    const a = m.edge.invite('4101', '*51');
    expect((await a.finalResponse()).status).toBe(200);
    expect(await errorAt('prompt')).toMatchObject({ level: 50, callId: a.request!.callId, file: expect.stringContaining('phone-locked') });
    expect(await counted('prompt')).toBe(1);
    await until('the app hanging up', () => m.edge.fake.outboundRequests.find((r) => r.method === 'BYE'));
    await expectNothingLeft(m);
  });

  it('SIP INFO digits the media server does not take: logged and counted', async () => {
    m.fs.fail((s) => s.op === 'api' && s.arg === 'uuid_recv_dtmf');
    const a = m.edge.invite('4101', '*52');
    expect((await a.finalResponse()).status).toBe(200);
    await m.fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    const info = a.sendInDialog('INFO', { contentType: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n' });
    expect((await info.finalResponse()).status).toBe(200);
    expect(await errorAt('info-digits')).toMatchObject({ level: 50, callId: a.request!.callId });
    expect(await counted('info-digits')).toBe(1);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
  });
});
