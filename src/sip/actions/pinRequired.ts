import type { CallContext, DecisionOf } from '../context.js';
import { reasonHeader } from '../routing.js';

/**
 * A locked phone must give its PIN before an international call. PIN entry runs through the media
 * server's prompt; no media gateway can run one yet, so the caller gets 503 with the reason (DESIGN:
 * "FreeSWITCH unreachable"), never a hang and never the call unchecked.
 */
export function pinRequiredCall({ session }: CallContext<DecisionOf<'pin-required'>>): void {
  session.respond(503, { ...reasonHeader(503, 'pin-entry-unavailable'), 'Retry-After': '60' }, 'failed');
}
