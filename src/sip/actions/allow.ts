import type { CallContext, DecisionOf } from '../context.js';
import { answerFailure, connectTo } from '../outboundCall.js';
import { allowedLeg, reasonHeader } from '../routing.js';

/**
 * A permitted call, B2BUA to the plan's route with the caller's identity. A recorded call goes through
 * the media server (notice, then recording); without one the plan's `noticeUnavailable` says whether it connects
 * (flagged in the log) or is refused.
 */
export async function allowCall(ctx: CallContext<DecisionOf<'allow'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  if (decision.recording && services.media.available) return services.media.recordedCall(ctx, decision.recording.notice);
  if (decision.recording) {
    if (plan.site.recording.noticeUnavailable === 'refuse') {
      session.respond(503, { ...reasonHeader(503, 'recording-notice-unavailable'), 'Retry-After': '60' }, 'failed');
      return;
    }
    services.logger.warn({ callId: session.callId, from: setup.call.from, to: setup.call.to, notice: decision.recording.notice, recordingUnavailable: true }, 'recorded call connected without its notice: no media server');
  }
  const leg = allowedLeg(plan, decision, setup);
  const result = await connectTo(ctx, leg.uri, { ...leg.options, progress: 'early-media' });
  if (result.kind === 'connected' && !setup.inbound && plan.extensions.has(setup.call.from)) {
    // Idle re-lock counts from the last call; a state outage must not touch the call itself.
    services.state.recordCall(setup.call.from, services.now()).catch((error: Error) => services.logger.warn({ ext: setup.call.from, err: error.message }, 'could not record the call for idle re-lock'));
  }
  answerFailure(ctx, result);
}
