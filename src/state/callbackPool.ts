import { holdIsLive, type CallbackHold } from '../policy/psapCallback.js';

/** The number an emergency call takes as its callback, and the live hold it took over when none was free. */
export interface CallbackChoice {
  number: string;
  displaced?: CallbackHold | undefined;
}

/**
 * Which of the site's callback numbers an emergency call from `ext` (a phone without a DDI) presents, so
 * that concurrent calls from different phones carry different numbers while the pool lasts: the number
 * this phone already holds (the PSAP may call back after either call), else the free number used least
 * recently (never used first, in the plan's order), else, the pool exhausted, the one held longest.
 * Synchronous and without I/O: it runs before the emergency INVITE goes out.
 */
export function chooseCallbackNumber(pool: readonly string[], holdOf: (number: string) => CallbackHold | undefined, ext: string, now: number): CallbackChoice {
  let free: { number: string; lastTaken: number } | undefined;
  let oldest: CallbackHold | undefined;
  for (const number of pool) {
    const hold = holdOf(number);
    if (hold && holdIsLive(hold, now)) {
      if (hold.ext === ext) return { number };
      if (!oldest || hold.takenAt < oldest.takenAt) oldest = hold;
    } else {
      const lastTaken = hold?.takenAt ?? -Infinity;
      if (!free || lastTaken < free.lastTaken) free = { number, lastTaken };
    }
  }
  if (free) return { number: free.number };
  return { number: oldest!.number, displaced: oldest };
}
