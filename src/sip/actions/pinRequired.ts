import type { CallContext, DecisionOf } from '../context.js';
import { reasonHeader } from '../routing.js';

/**
 * A locked phone must give its PIN before an international call: the media server asks for it.
 * Without one the caller gets 503 with the reason (DESIGN: "FreeSWITCH unreachable"), never a hang
 * and never the call unchecked.
 */
export async function pinRequiredCall(ctx: CallContext<DecisionOf<'pin-required'>>): Promise<void> {
  const { session, services } = ctx;
  if (services.media.available) return services.media.pinCall(ctx);
  session.respond(503, { ...reasonHeader(503, 'pin-entry-unavailable'), 'Retry-After': '60' }, 'failed');
}
