import type { CallContext, DecisionOf } from '../context.js';
import { answerFailure, connectTo } from '../outboundCall.js';
import { allowedTarget, reasonHeader } from '../routing.js';

/** Longest a permitted call may ring before we give up on it (the PBX usually ends it sooner). */
const RING_TIMEOUT_MS = 180_000;
/** A next hop that has not even rung by then is treated as down. */
const PROGRESS_TIMEOUT_MS = 32_000;

/**
 * A permitted call, B2BUA to the plan's route with the caller's identity. A recorded call needs its
 * notice played first; without a media server the plan's `noticeUnavailable` says whether it connects
 * (flagged in the log) or is refused.
 */
export async function allowCall(ctx: CallContext<DecisionOf<'allow'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  if (decision.recording && !services.media.available) {
    if (plan.site.recording.noticeUnavailable === 'refuse') {
      session.respond(503, { ...reasonHeader(503, 'recording-notice-unavailable'), 'Retry-After': '60' }, 'failed');
      return;
    }
    services.logger.warn({ callId: session.callId, from: setup.call.from, to: setup.call.to, notice: decision.recording.notice, recordingUnavailable: true }, 'recorded call connected without its notice: no media server');
  }
  const target = allowedTarget(plan, decision, setup);
  const result = await connectTo(ctx, target.uri, {
    headers: target.headers,
    callingNumber: setup.callerNumber,
    callingName: setup.callerName,
    answerTimeoutMs: RING_TIMEOUT_MS,
    progressTimeoutMs: PROGRESS_TIMEOUT_MS,
    progress: 'early-media',
  });
  if (result.kind === 'connected' && !setup.inbound && plan.extensions.has(setup.call.from)) {
    // Idle re-lock counts from the last call; a state outage must not touch the call itself.
    services.state.recordCall(setup.call.from, services.now()).catch((error: Error) => services.logger.warn({ ext: setup.call.from, err: error.message }, 'could not record the call for idle re-lock'));
  }
  answerFailure(ctx, result);
}
