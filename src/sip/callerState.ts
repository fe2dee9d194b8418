import { ABROAD, usageKey } from '../policy/limits.js';
import type { Decision } from '../policy/decision.js';
import type { PhoneState } from '../policy/phoneState.js';
import type { Plan } from '../policy/plan.js';
import type { EdgeServices } from './context.js';
import type { CallSession } from './session.js';

/** What a decision for `ext` reads: its phone's lock and grants, and, where the plan sets limits, its calls abroad so far. */
export function callerState(services: EdgeServices, plan: Plan, ext: string, now: number): PhoneState {
  const phone = services.state.replica.phoneState(plan, ext, now);
  const caller = plan.limits && services.usage && plan.extensions.get(ext);
  // Not `{ ...phone, usage }`: spreading a fresh object takes V8's slow path in Node 20.
  return caller ? Object.assign({}, phone, { usage: services.usage!.usage(usageKey(caller), now) }) : phone;
}

/**
 * Counts an allowed call abroad for the limits while it runs, and its answered time once it ends; a
 * refusal over a limit raises the FRAUD alert (once per limit and window).
 */
export function countCall(services: EdgeServices, plan: Plan, session: CallSession, ext: string, dialled: string, decision: Decision, now: number): void {
  const caller = plan.extensions.get(ext);
  if (!caller || !services.usage) return;
  if (decision.action === 'reject' && decision.breach) {
    services.fraudAlerts?.breach(decision.breach, caller, dialled, session.callId, now, services.usage.usage(usageKey(caller), now).local.day);
    return;
  }
  if (decision.action !== 'allow' || !ABROAD.has(decision.class)) return;
  const ledger = services.usage;
  const admission = ledger.admit(usageKey(caller), decision.class === 'high-risk', now);
  session.own(() => ledger.ended(admission, session.answeredSeconds()));
}
