import type { CallContext, DecisionOf } from '../context.js';
import { reasonHeader } from '../routing.js';

/**
 * A locked phone must give its PIN before an international call: the media server asks for it, in
 * early media. Without one the caller gets 503 with the reason (DESIGN: "FreeSWITCH unreachable"); a
 * caller that cannot hear early media, 488: never a hang and never the call unchecked.
 */
export async function pinRequiredCall(ctx: CallContext<DecisionOf<'pin-required'>>): Promise<void> {
  const { session, services } = ctx;
  if (!services.media.available) session.respond(503, { ...reasonHeader(503, 'pin-entry-unavailable'), 'Retry-After': '60' }, 'failed');
  else if (session.earlyMediaUnheard) session.respond(488, reasonHeader(488, `pin-entry-${session.earlyMediaUnheard.reason}`), 'failed');
  else return services.media.pinCall(ctx);
}
