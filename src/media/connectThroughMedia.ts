import type Mrf from 'drachtio-fsmrf';
import { callPathError, type CallPathStep } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';
import { answerFailure } from '../sip/outboundCall.js';
import type { DialOptions } from '../sip/session.js';
import { handleRefer } from '../sip/transfer.js';
import { mediaFailed } from './earlyMedia.js';
import type { CallMediaServer } from './mediaPool.js';
import { RINGBACK, stopPlaying } from './prompts.js';

export interface MediaRecording {
  /** Absolute path of the stereo WAV: the caller on one channel, the callee on the other. */
  path: string;
  /** Called once the call has ended, with its connected duration in seconds. */
  finished(durationSeconds: number): void;
}

/**
 * With the caller on `callerEndpoint` (in early media), calls the callee from a second endpoint,
 * plays ringback meanwhile, and on answer bridges the two endpoints inside FreeSWITCH, answers the
 * caller and, for recorded calls, records both sides: `record` is asked for the recording only then,
 * so a call that is never connected leaves no file behind. Any failure is the caller's final response.
 */
export async function connectThroughMedia(
  ctx: CallContext,
  server: CallMediaServer,
  callerEndpoint: Mrf.Endpoint,
  uri: string,
  options: Omit<DialOptions, 'body' | 'progress'>,
  record?: () => MediaRecording | undefined,
): Promise<void> {
  const { session, services } = ctx;
  const failed = (where: CallPathStep, message: string) => (error: unknown) => callPathError(services, where, error, message, { callId: session.callId });
  let calleeEndpoint: Mrf.Endpoint;
  try {
    calleeEndpoint = await server.createEndpoint();
  } catch (error) {
    failed('media-endpoint', 'media server could not make an endpoint for the callee')(error);
    mediaFailed(ctx);
    return;
  }
  session.own(() => void calleeEndpoint.destroy().catch(failed('media-release', "media server could not release the callee's endpoint")));
  void callerEndpoint.play(RINGBACK).catch((error: unknown) => {
    // Ringback ends with the call; only a failure while the caller waits is one.
    if (session.wanted) failed('ringback', 'ringback could not be played: the caller hears silence while the callee rings')(error);
  });
  const outcome = await session.dial(uri, { ...options, body: calleeEndpoint.local.sdp, progress: 'none' });
  await stopPlaying(callerEndpoint);
  if (outcome.kind !== 'answered') {
    answerFailure(ctx, outcome);
    return;
  }
  try {
    await calleeEndpoint.modify(outcome.dialog.remote.sdp);
    await callerEndpoint.bridge(calleeEndpoint);
  } catch (error) {
    failed('media-bridge', 'media server could not bridge the call')(error);
    outcome.dialog.destroy();
    mediaFailed(ctx);
    return;
  }
  const bridged = await session.bridge(outcome.dialog, {
    answerSdp: callerEndpoint.local.sdp,
    alsoEnd: [callerEndpoint.dialog, calleeEndpoint.dialog],
    mediaLegs: { caller: callerEndpoint.dialog, callee: calleeEndpoint.dialog },
    onRefer: (side, req, res, other) => handleRefer(ctx, side, req, res, other),
  });
  const recording = bridged ? record?.() : undefined;
  if (!recording) return;
  const answeredAt = Date.now();
  session.own(() => recording.finished(Math.round((Date.now() - answeredAt) / 1000)));
  await callerEndpoint.set('RECORD_STEREO', 'true').catch(failed('recording-stereo', 'recording could not be made stereo: both parties go on one channel'));
  await callerEndpoint.execute('record_session', recording.path).catch(failed('recording-start', 'recording could not start'));
}
