import { callPathError } from '../../sip/callPathError.js';
import type { CallContext, DecisionOf } from '../../sip/context.js';
import { decideFor } from '../../sip/onBehalf.js';
import { callerIdWithheld } from '../../sip/privacy.js';
import { allowedLeg, reasonHeader } from '../../sip/routing.js';
import { endpointMedia } from '../callerMedia.js';
import { connectThroughMedia } from '../connectThroughMedia.js';
import { earlyMediaEndpoint, mediaFailed } from '../earlyMedia.js';
import type { CallMediaServer } from '../mediaPool.js';
import { mediaStep } from '../mediaStep.js';
import { pinDialogue } from '../pinDialogue.js';
import { playBounded, promptFailed, promptFile } from '../prompts.js';
import type { BeginRecording, RecordingMeta } from './recordedCall.js';

/**
 * A locked phone's international call: the PIN is asked for in early media (three tries), then the
 * call is decided again with the phone unlocked and, when allowed, connected through FreeSWITCH.
 * Refusals are spoken, then answered 403 (or 503 when the state store is unreachable).
 */
export async function pinCall(ctx: CallContext<DecisionOf<'pin-required'>>, server: CallMediaServer, begin: BeginRecording): Promise<void> {
  const { session, plan, setup, services } = ctx;
  const ext = setup.call.from;
  const endpoint = await earlyMediaEndpoint(ctx, server);
  if (!endpoint) return mediaFailed(ctx);
  const outcome = await pinDialogue(ctx, endpoint, ext);
  services.logger.info({ callId: session.callId, ext, outcome }, 'PIN entry');
  if (outcome === 'caller-gone') return;
  if (outcome !== 'unlocked') {
    const [prompt, status, reason] =
      outcome === 'locked-out' ? ['pin-locked-out', 403, 'pin-locked-out'] as const
      : outcome === 'unavailable' ? ['state-unavailable', 503, 'state-unavailable'] as const
      : ['pin-refused', 403, 'pin-refused'] as const;
    const file = promptFile(plan, prompt);
    await playBounded(endpoint, file, promptFailed(ctx, file));
    session.respond(status, reasonHeader(status, reason));
    return;
  }
  const decision = decideFor(ctx, ext, setup.call.to);
  services.callRecords?.noteDecidedAgain(session.callId, decision, 'unlocked');
  if (decision.action !== 'allow') {
    const status = decision.action === 'reject' ? decision.sipStatus : 403;
    const prompt = plan.rejectPrompts.get(decision.reason);
    const file = prompt && promptFile(plan, prompt);
    if (file) await playBounded(endpoint, file, promptFailed(ctx, file));
    session.respond(status, reasonHeader(status, decision.reason));
    return;
  }
  const notice = decision.recording?.notice;
  const noticeAudio = notice === undefined ? undefined : plan.notices.get(notice)?.audio;
  if (noticeAudio) {
    // Playback's default terminator is *: a caller keying it would cut the notice short, played all the same.
    await mediaStep(endpoint.set('playback_terminators', 'none'), 'making the notice unskippable').catch((error: unknown) =>
      callPathError(services, 'notice', error, 'recording notice played as it is: a key the caller presses may cut it short', { callId: session.callId, file: noticeAudio }),
    );
    await playBounded(endpoint, noticeAudio, promptFailed(ctx, noticeAudio, 'notice'));
  }
  const leg = allowedLeg(plan, decision, setup, callerIdWithheld(session.req, plan, setup.call.to));
  const meta: RecordingMeta | undefined = notice === undefined ? undefined : { ext, other: setup.call.to, direction: 'outbound', notice, at: services.now(), callId: session.callId };
  await connectThroughMedia(ctx, server, endpointMedia(endpoint), leg.uri, leg.options, meta && (() => begin(ctx, meta)));
}
