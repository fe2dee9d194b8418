import type { Grant } from './grant.js';
import type { CallerUsage } from './limits.js';

/**
 * What the runtime state store knows about one extension at decision time. `unknown` means the
 * store cannot tell (Redis outage before the first replica): international calls then ask for the PIN.
 */
export type LockState = 'locked' | 'unlocked' | 'unknown';

export interface PhoneState {
  lock: LockState;
  /** Epoch ms until which PIN entry is refused after too many failures; absent when not locked out. */
  pinLockoutUntil?: number | undefined;
  /** Grants issued at run time for this extension's user, in addition to the dialplan's. */
  grants: readonly Grant[];
  /** Calls abroad this user has made and is making, for the toll-fraud limits; absent: not counted (CLI, replay). */
  usage?: CallerUsage | undefined;
}

/** A phone nobody has unlocked: the safe default for an international user's desk phone. */
export const LOCKED_PHONE: PhoneState = Object.freeze({ lock: 'locked', grants: Object.freeze([]) as readonly Grant[] });
