import type { CallContext, DecisionOf } from '../context.js';
import { reasonHeader } from '../routing.js';

/**
 * Feature codes act on the caller's own phone and answer with a tone or a prompt, so they need the
 * media server; without one the caller gets 503 with the reason and nothing changes.
 */
export async function featureCall(ctx: CallContext<DecisionOf<'feature'>>): Promise<void> {
  const { session, services } = ctx;
  if (!services.media.available) {
    session.respond(503, { ...reasonHeader(503, 'media-unavailable'), 'Retry-After': '60' }, 'failed');
    return;
  }
  await services.media.feature(ctx);
}
