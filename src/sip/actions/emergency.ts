import type { SecurityAlert } from '../../audit/securityAlert.js';
import type { CallContext, DecisionOf } from '../context.js';
import { pidfLo, sdpWithLocation } from '../locationByValue.js';
import { answerFailure, connectTo, type ConnectResult } from '../outboundCall.js';
import { routeTo } from '../uri.js';

/** An emergency trunk that has not even rung by then is treated as failed and the next route is tried. */
const TRUNK_PROGRESS_TIMEOUT_MS = 5_000;
/** A PSAP answers; this only bounds a leg that rings for ever. */
const ANSWER_TIMEOUT_MS = 600_000;

/**
 * 999/112/911: straight to the emergency trunk with the callback number and the location by value;
 * Security Control is alerted in parallel, never awaited. A failing trunk falls back to the public
 * trunk with the same number, and Security is told.
 */
export async function emergencyCall(ctx: CallContext<DecisionOf<'emergency'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  const caller = plan.extensions.get(setup.call.from);
  const number = (decision.destination?.class === 'emergency' && decision.destination.shortCode) || setup.call.to;
  const alert: SecurityAlert = {
    kind: 'emergency',
    ext: setup.call.from,
    name: caller?.name,
    dialled: number,
    callback: decision.alert.callback,
    location: decision.alert.location ?? '',
    at: new Date(services.now()).toISOString(),
    callId: session.callId,
  };
  services.alerts.send(alert);

  const located = sdpWithLocation(session.req.body ?? '', pidfLo(decision.alert.callback, decision.alert.address, decision.alert.location));
  const options = {
    headers: { ...located.headers, 'P-Asserted-Identity': `<tel:${decision.alert.callback}>`, Priority: 'emergency' },
    body: located.body,
    callingNumber: setup.callerNumber,
    callingName: setup.callerName,
    answerTimeoutMs: ANSWER_TIMEOUT_MS,
    progressTimeoutMs: TRUNK_PROGRESS_TIMEOUT_MS,
    progress: 'early-media' as const,
  };
  let result: ConnectResult = await connectTo(ctx, routeTo(decision.trunk, number), options);
  if (result.kind === 'failed' || result.kind === 'no-answer') {
    const why = result.kind === 'failed' ? `answered ${result.status}` : 'did not respond';
    services.logger.error({ callId: session.callId, trunk: decision.trunk, why }, 'emergency trunk failed: trying the public trunk');
    services.alerts.send({ ...alert, note: `emergency trunk ${why}; routed via the public trunk` });
    result = await connectTo(ctx, routeTo(plan.site.routes.external, number), options);
    if (result.kind === 'failed' || result.kind === 'no-answer') services.alerts.send({ ...alert, note: 'emergency call failed on every route' });
  }
  answerFailure(ctx, result);
}
