import type { SecurityAlert } from '../../audit/securityAlert.js';
import type { CallContext, DecisionOf } from '../context.js';
import { answerFailure, connectTo, type ConnectResult } from '../outboundCall.js';
import { securityUri } from '../routing.js';

/**
 * A hotline (lift, refuge, accessible toilet) goes to Security Control whatever was dialled, with
 * `HOTLINE <location>` as the caller's name. No answer within the plan's time, or a failure: CANCEL
 * and try each failover in turn; when the last fails, that is itself an alert.
 */
export async function securityCall(ctx: CallContext<DecisionOf<'security'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  const caller = plan.extensions.get(setup.call.from);
  const location = decision.location ?? '';
  const alert: SecurityAlert = {
    kind: 'hotline',
    ext: setup.call.from,
    name: caller?.name,
    dialled: setup.call.to,
    callback: setup.call.from,
    location,
    at: new Date(services.now()).toISOString(),
    callId: session.callId,
  };
  services.alerts.send(alert);
  const targets = [decision.target, ...decision.failover];
  answerFailure(ctx, await ringSecurityControl(ctx, { targets, answerTimeoutSeconds: decision.answerTimeoutSeconds, callingName: `HOTLINE ${location}` }, alert));
}

export interface SecurityRing {
  /** Security Control's target, then its failovers. */
  targets: readonly string[];
  answerTimeoutSeconds: number;
  /** The display name Security sees. */
  callingName: string;
}

/**
 * Tries each Security Control target in turn until one answers, CANCELling one that does not answer
 * in time. `alert` (the call's alert) goes again with a note when a failover answers or none does.
 */
export async function ringSecurityControl(ctx: CallContext, ring: SecurityRing, alert: SecurityAlert): Promise<ConnectResult> {
  const { session, plan, setup, services } = ctx;
  let result: ConnectResult = { kind: 'no-answer', rang: false };
  for (const [i, target] of ring.targets.entries()) {
    result = await connectTo(ctx, securityUri(plan, target), {
      callingNumber: setup.callerNumber,
      callingName: ring.callingName,
      answerTimeoutMs: ring.answerTimeoutSeconds * 1000,
    });
    if (result.kind === 'connected') {
      if (i > 0) services.alerts.send({ ...alert, note: `answered by failover ${target}` });
      return result;
    }
    if (result.kind === 'caller-gone' || result.kind === 'refused' || result.kind === 'diverted') return result;
    services.logger.warn({ callId: session.callId, target, outcome: result.kind }, 'Security Control target did not answer: trying the next');
  }
  services.alerts.send({ ...alert, note: 'not answered by Security Control or any failover' });
  return result;
}
