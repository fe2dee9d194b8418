import type Mrf from 'drachtio-fsmrf';
import type { CallContext, DecisionOf } from '../../sip/context.js';
import { StateRefused, StateUnavailable } from '../../state/index.js';
import { answeredEndpoint, mediaFailed } from '../earlyMedia.js';
import { pinDialogue, type PinOutcome } from '../pinDialogue.js';
import { collectDigits, playBounded, promptFile } from '../prompts.js';

/** What the caller hears when PIN entry ended without success. */
const PIN_FAILURE_PROMPT: Record<Exclude<PinOutcome, 'unlocked' | 'caller-gone'>, string> = {
  refused: 'pin-refused',
  'locked-out': 'pin-locked-out',
  unavailable: 'state-unavailable',
};

/**
 * Feature codes on the caller's own phone, answered by FreeSWITCH: lock (a confirmation), unlock (the
 * PIN prompt), change PIN (the current PIN, then the new one twice; weak PINs refused with the reason).
 */
export async function featureCall(ctx: CallContext<DecisionOf<'feature'>>, server: Mrf.MediaServer): Promise<void> {
  const { session, plan, setup, services, decision } = ctx;
  const ext = setup.call.from;
  const endpoint = await answeredEndpoint(ctx, server);
  if (!endpoint) return mediaFailed(ctx);
  const say = (prompt: string) => playBounded(endpoint, promptFile(plan, prompt));
  try {
    if (decision.feature === 'lock') {
      await services.state.lock(ext);
      await say('phone-locked');
      return;
    }
    const verified = await pinDialogue(ctx, endpoint, ext, decision.feature === 'unlock' ? 'pin-enter' : 'pin-old');
    if (verified === 'caller-gone') return;
    if (verified !== 'unlocked') return await say(PIN_FAILURE_PROMPT[verified]);
    if (decision.feature === 'unlock') return await say('phone-unlocked');

    const length = plan.site.pin.length;
    const first = await collectDigits(endpoint, promptFile(plan, 'pin-new'), length);
    const second = first === undefined ? undefined : await collectDigits(endpoint, promptFile(plan, 'pin-repeat'), length);
    if (first === undefined || first !== second) {
      // Checking the current PIN unlocked the phone; a change that did not happen leaves it locked.
      await services.state.lock(ext).catch(() => undefined);
      return await say('pin-mismatch');
    }
    await services.state.setPin(ext, first);
    await say('pin-changed');
  } catch (error) {
    if (error instanceof StateRefused) {
      await services.state.lock(ext).catch(() => undefined);
      await say('pin-weak');
    }
    else if (error instanceof StateUnavailable) await say('state-unavailable');
    else throw error;
  } finally {
    services.logger.info({ callId: session.callId, ext, feature: decision.feature }, 'feature code done');
    session.hangUp();
  }
}
