import type Mrf from 'drachtio-fsmrf';
import { callPathError } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';
import { StateUnavailable } from '../state/index.js';
import { collectDigits, promptFailed, promptFile } from './prompts.js';

/** PIN tries in one call; the lockout across calls is the runtime state's (site.pin.maxAttempts). */
export const PIN_TRIES_PER_CALL = 3;

export type PinOutcome = 'unlocked' | 'refused' | 'locked-out' | 'unavailable' | 'caller-gone';

/**
 * Asks for the phone's PIN up to three times. Each PIN entered counts toward the lockout before it is
 * checked (the runtime state does that atomically); a lockout alerts Security through the state's
 * `alert` event. The digits live only in this function's locals.
 */
export async function pinDialogue(ctx: CallContext, endpoint: Mrf.Endpoint, ext: string, firstPrompt = 'pin-enter'): Promise<PinOutcome> {
  const { plan, services, session } = ctx;
  let prompt = firstPrompt;
  for (let attempt = 0; attempt < PIN_TRIES_PER_CALL; attempt++) {
    const file = promptFile(plan, prompt);
    const pin = await collectDigits(endpoint, file, plan.site.pin.length, promptFailed(ctx, file));
    if (session.ended) return 'caller-gone';
    prompt = 'pin-wrong';
    if (pin === undefined) continue;
    try {
      const result = await services.state.unlock(ext, pin, services.now());
      if (result.outcome === 'unlocked') return 'unlocked';
      if (result.outcome === 'wrong-pin' || result.outcome === 'locked-out') services.callRecords?.notePinFailure(session.callId, result.outcome === 'locked-out');
      if (result.outcome === 'locked-out') return 'locked-out';
      if (result.outcome === 'no-pin') return 'refused';
    } catch (error) {
      if (error instanceof StateUnavailable) return 'unavailable';
      callPathError(services, 'pin-check', error, 'PIN could not be checked', { callId: session.callId, ext });
      return 'refused';
    }
  }
  return 'refused';
}
