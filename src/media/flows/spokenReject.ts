import type { CallContext, DecisionOf } from '../../sip/context.js';
import { reasonHeader } from '../../sip/routing.js';
import { earlyMediaEndpoint } from '../earlyMedia.js';
import type { CallMediaServer } from '../mediaPool.js';
import { playBounded, promptFailed } from '../prompts.js';

/** A barred call hears why in early media (183), then gets its status; any media fault still ends in the status. */
export async function spokenReject(ctx: CallContext<DecisionOf<'reject'>>, server: CallMediaServer, audio: string): Promise<void> {
  const { session, decision } = ctx;
  try {
    // FreeSWITCH going away ends the prompt; the status below is still the answer
    const endpoint = await earlyMediaEndpoint(ctx, server, () => undefined);
    if (endpoint) await playBounded(endpoint, audio, promptFailed(ctx, audio));
  } finally {
    session.respond(decision.sipStatus, reasonHeader(decision.sipStatus, decision.reason));
  }
}
