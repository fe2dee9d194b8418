import type { Grant } from '../policy/grant.js';
import type { CallbackHold } from '../policy/psapCallback.js';
import type { Replica } from './replica.js';

/** The outcome of counting one PIN attempt, before the PIN itself is checked. */
export type AttemptStart =
  | { ok: true; attempt: number; pinHash: string }
  | { ok: false; reason: 'no-pin' }
  | { ok: false; reason: 'locked-out'; until: number };

export interface PinLimits {
  maxAttempts: number;
  lockoutMs: number;
}

/**
 * Where runtime state lives: in this process, or in Redis shared by every instance. Each method is
 * one atomic change, visible in the replica of this instance at once and of the others shortly after.
 */
export interface StateBackend {
  readonly replica: Replica;
  /** Says what the store is, for the start-up log and the CLI. */
  readonly description: string;
  /** False while a shared store cannot be reached (decisions go on from the replica). */
  readonly reachable: boolean;
  /**
   * Counts an attempt before the PIN is checked, so concurrent guesses cannot exceed the limit: the
   * attempt that reaches it starts the lockout, which a correct PIN then lifts.
   */
  beginPinAttempt(ext: string, now: number, limits: PinLimits): Promise<AttemptStart>;
  /**
   * The PIN checked against `pinHash` was right: the counter and any lockout are cleared and the phone
   * is unlocked, in one step that first makes sure `pinHash` is still the phone's PIN. False when an
   * admin set a new PIN while this one was being checked: the phone then stays locked.
   */
  pinAccepted(ext: string, now: number, pinHash: string): Promise<boolean>;
  /** A new PIN (already hashed): the phone locks and the counter starts again. */
  setPinHash(ext: string, pinHash: string): Promise<void>;
  lock(ext: string): Promise<void>;
  /** An admin unlocks the phone without its PIN: the counter and any lockout are cleared too. */
  unlock(ext: string, now: number): Promise<void>;
  recordCall(ext: string, at: number): Promise<void>;
  putGrant(grant: Grant): Promise<void>;
  removeGrant(id: string): Promise<boolean>;
  /**
   * Tells every other instance of a PSAP callback hold this replica already has. Never refused here:
   * an emergency call's hold stands in this instance whatever the store says, and one the store missed
   * is written again when it is back.
   */
  shareCallback(hold: CallbackHold): Promise<void>;
  close(): Promise<void>;
}

/** A state change refused because the shared store cannot be reached. Calls go on; changes wait. */
export class StateUnavailable extends Error {
  constructor() {
    super('runtime state is unavailable (Redis cannot be reached): lock, unlock, PIN and grant changes are refused until it is back; calls are decided from the last known state');
  }
}
