import type { SecurityAlert } from '../../audit/securityAlert.js';
import type { CallContext, DecisionOf } from '../context.js';
import { answerFailure, connectTo } from '../outboundCall.js';
import { routeTo } from '../uri.js';
import { ringSecurityControl } from './security.js';

/** What the phone's display shows: who is calling back, and why it rings. */
const CALLBACK_NAME = 'EMERGENCY CALLBACK';

/**
 * The emergency service calling back the number a phone without a DDI called it with: straight to that
 * phone (no lists, lock or notice), and to Security Control, then its failovers, if the phone does not
 * answer within the plan's ring time or cannot take the call. Security sees it on the emergency's alert.
 */
export async function psapCallbackCall(ctx: CallContext<DecisionOf<'psap-callback'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  const { hold } = decision;
  const followUp = (note: string): SecurityAlert => ({
    kind: 'emergency',
    ext: hold.ext,
    name: plan.extensions.get(hold.ext)?.name,
    dialled: hold.dialled,
    callback: hold.number,
    location: hold.location ?? '',
    at: new Date(services.now()).toISOString(),
    callId: hold.callId,
    note,
  });
  services.alerts.send(followUp(`callback from the emergency service → ${hold.ext}`));

  const toPhone = await connectTo(ctx, routeTo(plan.site.routes.internal, hold.ext), {
    callingNumber: setup.callerNumber,
    callingName: CALLBACK_NAME,
    answerTimeoutMs: decision.ringSeconds * 1000,
    progress: 'ringing',
  });
  if (toPhone.kind !== 'failed' && toPhone.kind !== 'no-answer') return;
  const why = toPhone.kind === 'failed' ? `answered ${toPhone.status}` : `no answer in ${decision.ringSeconds} s`;
  services.logger.warn({ callId: session.callId, ext: hold.ext, callback: hold.number, why }, 'PSAP callback not taken by the phone: putting it through to Security Control');
  const alert = followUp(`callback from the emergency service: ${hold.ext} did not take it (${why}), put through to Security Control`);
  services.alerts.send(alert);
  const { target, failover, answerTimeoutSeconds } = plan.site.securityControl;
  answerFailure(ctx, await ringSecurityControl(ctx, { targets: [target, ...failover], answerTimeoutSeconds, callingName: `${CALLBACK_NAME} for ${hold.ext}` }, alert));
}
