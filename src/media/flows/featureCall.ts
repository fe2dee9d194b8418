import type Mrf from 'drachtio-fsmrf';
import { callPathError } from '../../sip/callPathError.js';
import type { CallContext, DecisionOf } from '../../sip/context.js';
import { StateRefused, StateUnavailable } from '../../state/index.js';
import { answeredEndpoint, mediaFailed } from '../earlyMedia.js';
import type { CallMediaServer } from '../mediaPool.js';
import { pinDialogue, type PinOutcome } from '../pinDialogue.js';
import { collectDigits, playBounded, promptFailed, promptFile } from '../prompts.js';
import { relockAfterFailedChange } from './relockPhone.js';

/** What the caller hears when PIN entry ended without success. */
const PIN_FAILURE_PROMPT: Record<Exclude<PinOutcome, 'unlocked' | 'caller-gone'>, string> = {
  refused: 'pin-refused',
  'locked-out': 'pin-locked-out',
  unavailable: 'state-unavailable',
};

/** How a PIN change ended: the prompt the caller hears. */
type ChangeOutcome = 'pin-changed' | 'pin-mismatch' | 'pin-weak' | 'state-unavailable';

/**
 * Feature codes on the caller's own phone, answered by FreeSWITCH: lock (a confirmation), unlock (the
 * PIN prompt), change PIN (the current PIN, then the new one twice; weak PINs refused with the reason).
 */
export async function featureCall(ctx: CallContext<DecisionOf<'feature'>>, server: CallMediaServer): Promise<void> {
  const { session, plan, setup, services, decision } = ctx;
  const ext = setup.call.from;
  const endpoint = await answeredEndpoint(ctx, server);
  if (!endpoint) return mediaFailed(ctx);
  const say = (prompt: string) => {
    const file = promptFile(plan, prompt);
    return playBounded(endpoint, file, promptFailed(ctx, file));
  };
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

    const changed = await changePin(ctx, endpoint, ext);
    if (changed === 'pin-changed') return await say(changed);
    // Checking the current PIN unlocked the phone; a change that did not happen leaves it locked.
    await Promise.all([relockAfterFailedChange(ctx, ext), say(changed)]);
  } catch (error) {
    if (error instanceof StateUnavailable) await say('state-unavailable');
    else throw error;
  } finally {
    services.logger.info({ callId: session.callId, ext, feature: decision.feature }, 'feature code done');
    session.hangUp();
  }
}

/** The new PIN twice, then set: how that ended; never rejects. The new PIN lives only in this function's locals. */
async function changePin(ctx: CallContext, endpoint: Mrf.Endpoint, ext: string): Promise<ChangeOutcome> {
  const { plan, services, session } = ctx;
  const length = plan.site.pin.length;
  const collect = (prompt: string) => {
    const file = promptFile(plan, prompt);
    return collectDigits(endpoint, file, length, promptFailed(ctx, file));
  };
  const first = await collect('pin-new');
  const second = first === undefined ? undefined : await collect('pin-repeat');
  if (first === undefined || first !== second) return 'pin-mismatch';
  try {
    await services.state.setPin(ext, first);
    return 'pin-changed';
  } catch (error) {
    if (error instanceof StateRefused) return 'pin-weak';
    if (!(error instanceof StateUnavailable)) callPathError(services, 'pin-change', error, 'the new PIN could not be set', { callId: session.callId, ext });
    return 'state-unavailable';
  }
}
