import type { CallContext, DecisionOf } from '../context.js';
import { reasonHeader } from '../routing.js';

/**
 * A barred call: the decision's status, with the reason code in a Q.850 Reason header. Where the plan
 * says so, the media server is up and the caller can hear early media, the caller first hears why.
 */
export async function rejectCall(ctx: CallContext<DecisionOf<'reject'>>): Promise<void> {
  const { session, decision, plan, services } = ctx;
  if (plan.site.announceRejects && services.media.available && !session.earlyMediaUnheard && (await services.media.announceReject(ctx))) return;
  session.respond(decision.sipStatus, reasonHeader(decision.sipStatus, decision.reason));
}
