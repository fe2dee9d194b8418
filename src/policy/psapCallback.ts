import type { Decision } from './decision.js';
import type { Plan } from './plan.js';

/**
 * A PSAP callback number held for the phone that called an emergency number with it: until `until` a
 * call to `number` goes to `ext`. The emergency call's Call-ID, number dialled and location ride along,
 * so the callback is shown on that call's alert.
 */
export interface CallbackHold {
  number: string;
  ext: string;
  /** Epoch ms. */
  takenAt: number;
  until: number;
  callId: string;
  dialled: string;
  location?: string | undefined;
}

/** True while `hold` still leads its number back to the phone. */
export function holdIsLive(hold: CallbackHold | undefined, now: number): boolean {
  return hold !== undefined && now < hold.until;
}

/**
 * A call to a held callback number: straight to the phone that called the emergency service (no lists,
 * lock or notice in the way), then Security Control if it is not answered within the plan's ring time.
 */
export function callbackDecision(plan: Plan, hold: CallbackHold): Decision {
  return { action: 'psap-callback', class: 'internal', reason: 'psap-callback', rule: { id: 'psap-callback' }, hold, ringSeconds: plan.site.emergency.callbackRingSeconds };
}
