import type { CallContext, DecisionOf } from '../context.js';
import { answerFailure, connectTo } from '../outboundCall.js';
import { callerIdWithheld } from '../privacy.js';
import { allowedLeg, reasonHeader } from '../routing.js';

/**
 * A permitted call, B2BUA to the plan's route with the caller's identity. A recorded call goes through
 * the media server (notice, then recording); without one, or for a caller that cannot hear early media
 * (the notice plays before the answer), the plan's `noticeUnavailable` says whether it connects
 * (flagged in the log) or is refused.
 */
export async function allowCall(ctx: CallContext<DecisionOf<'allow'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  if (decision.recording) {
    // Read only for a recorded call: the caller's offer and progress mode cost nothing on other calls.
    const unheard = services.media.available && session.earlyMediaUnheard;
    if (services.media.available && !unheard) return services.media.recordedCall(ctx, decision.recording.notice);
    const why = unheard ? unheard.why : 'no media server';
    if (plan.site.recording.noticeUnavailable === 'refuse') {
      if (unheard) session.respond(488, reasonHeader(488, `recording-notice-${unheard.reason}`), 'failed');
      else session.respond(503, { ...reasonHeader(503, 'recording-notice-unavailable'), 'Retry-After': '60' }, 'failed');
      services.logger.warn({ callId: session.callId, from: setup.call.from, to: setup.call.to, notice: decision.recording.notice }, `recorded call refused: ${why}`);
      return;
    }
    services.logger.warn({ callId: session.callId, from: setup.call.from, to: setup.call.to, notice: decision.recording.notice, recordingUnavailable: true }, `recorded call connected without its notice: ${why}`);
  }
  const leg = allowedLeg(plan, decision, setup, callerIdWithheld(session.req, plan, setup.call.to));
  const result = await connectTo(ctx, leg.uri, { ...leg.options, progress: 'early-media' });
  if (result.kind === 'connected' && !setup.inbound && plan.extensions.has(setup.call.from)) {
    // Idle re-lock counts from the last call; a state outage must not touch the call itself.
    services.state.recordCall(setup.call.from, services.now()).catch((error: Error) => services.logger.warn({ ext: setup.call.from, err: error.message }, 'could not record the call for idle re-lock'));
  }
  answerFailure(ctx, result);
}
