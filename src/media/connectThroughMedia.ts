import { callPathError, type CallPathStep } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';
import { answerFailure } from '../sip/outboundCall.js';
import type { DialOptions } from '../sip/session.js';
import { handleRefer } from '../sip/transfer.js';
import type { BridgeLeg } from './bridgeLeg.js';
import type { CallerMedia } from './callerMedia.js';
import { mediaFailed } from './earlyMedia.js';
import { endWithCall, releaseWithCall } from './endpointRelease.js';
import type { CallMediaServer } from './mediaPool.js';
import { mediaStep } from './mediaStep.js';

export interface MediaRecording {
  /** Absolute path of the stereo WAV: the caller on one channel, the callee on the other. */
  path: string;
  /** Called once the call has ended, with its connected duration in seconds. */
  finished(durationSeconds: number): void;
}

/**
 * With the caller on `caller` (in early media), calls the callee from a bridge leg on the same
 * FreeSWITCH, plays ringback meanwhile, and on answer bridges the two inside FreeSWITCH, answers the
 * caller and, for recorded calls, records both sides: `record` is asked for the recording only then,
 * so a call that is never connected leaves no file behind. Any failure is the caller's final response.
 */
export async function connectThroughMedia(
  ctx: CallContext,
  server: CallMediaServer,
  caller: CallerMedia,
  uri: string,
  options: Omit<DialOptions, 'body' | 'progress'>,
  record?: () => Promise<MediaRecording | undefined>,
): Promise<void> {
  const { session, services } = ctx;
  const failed = (where: CallPathStep, message: string) => (error: unknown) => callPathError(services, where, error, message, { callId: session.callId });
  let calleeLeg: BridgeLeg;
  try {
    calleeLeg = await server.createBridgeLeg();
  } catch (error) {
    failed('media-endpoint', 'media server could not make an endpoint for the callee')(error);
    mediaFailed(ctx);
    return;
  }
  releaseWithCall(ctx, calleeLeg, 'callee');
  void caller.ringback().catch((error: unknown) => {
    // Ringback ends with the call; only a failure while the caller waits is one.
    if (session.wanted) failed('ringback', 'ringback could not be played: the caller hears silence while the callee rings')(error);
  });
  const outcome = await session.dial(uri, { ...options, body: calleeLeg.local.sdp, progress: 'none' });
  // A ringback that will not stop is no failure; an event socket that answers nothing is: the callee's answer waits for no command.
  const ringbackStopped = caller.stopRingback().catch(() => undefined);
  if (outcome.kind !== 'answered') {
    answerFailure(ctx, outcome);
    return;
  }
  try {
    await mediaStep(ringbackStopped, 'stopping the ringback');
    await mediaStep(calleeLeg.dialog.modify(outcome.dialog.remote.sdp), "the callee's media");
    await mediaStep(caller.bridge(calleeLeg.uuid), 'bridging the call');
  } catch (error) {
    failed('media-bridge', 'media server could not bridge the call')(error);
    outcome.dialog.destroy();
    mediaFailed(ctx);
    return;
  }
  const bridged = await session.bridge(outcome, {
    answerSdp: caller.local.sdp,
    alsoEnd: [caller.dialog, calleeLeg.dialog],
    mediaLegs: { caller: caller.dialog, callee: calleeLeg.dialog },
    onRefer: (side, req, res, dialogs) => handleRefer(ctx, side, req, res, dialogs),
  });
  if (bridged) endWithCall(caller, calleeLeg);
  const recording = bridged ? await record?.() : undefined;
  if (!recording) return;
  const answeredAt = Date.now();
  session.own(() => recording.finished(Math.round((Date.now() - answeredAt) / 1000)));
  // A call hung up as soon as it was answered has no channel left to record: only a live call's failure is one.
  const whileUp = (where: CallPathStep, message: string) => (error: unknown) => {
    if (!session.ended) failed(where, message)(error);
  };
  // Both commands sent at once: FreeSWITCH runs them in order.
  await Promise.all([
    caller.recordStereo().catch(whileUp('recording-stereo', 'recording could not be made stereo: both parties go on one channel')),
    caller.record(recording.path).catch(whileUp('recording-start', 'recording could not start')),
  ]);
}
