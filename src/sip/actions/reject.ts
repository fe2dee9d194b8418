import type { CallContext, DecisionOf } from '../context.js';
import { reasonHeader } from '../routing.js';

/** A barred call: the decision's status, with the reason code in a Q.850 Reason header. */
export function rejectCall({ session, decision }: CallContext<DecisionOf<'reject'>>): void {
  session.respond(decision.sipStatus, reasonHeader(decision.sipStatus, decision.reason));
}
