import type { Grant } from '../policy/grant.js';
import type { PhoneState } from '../policy/phoneState.js';
import type { Plan, Site } from '../policy/plan.js';
import { holdIsLive, type CallbackHold } from '../policy/psapCallback.js';
import type { PhoneRecord, StoredPhone } from './records.js';
import { relockAt } from './relock.js';

interface Phone {
  record: PhoneRecord;
  /** Epoch ms at which an unlocked phone locks itself; absent while locked. */
  relockAt?: number | undefined;
}

const NO_GRANTS: readonly Grant[] = Object.freeze([]);
const UNKNOWN: PhoneState = Object.freeze({ lock: 'unknown', grants: NO_GRANTS });

/**
 * The local copy of runtime state that decisions read: plain maps, no I/O, no promises. Stores keep it
 * current; until a store has loaded it once, every lock state is `unknown` (the PIN is asked for), and
 * so is the lock state of a phone whose stored record cannot be read.
 */
export class Replica {
  private readonly phones = new Map<string, Phone>();
  /** Phones whose stored record is damaged: nobody can say whether they are unlocked. */
  private readonly unreadable = new Set<string>();
  private readonly grantsById = new Map<string, Grant>();
  private readonly grantsByUser = new Map<string, Grant[]>();
  /** PSAP callback holds by number, expired ones too (the pool takes the least recently used). */
  private readonly callbacks = new Map<string, CallbackHold>();
  private loaded = false;

  constructor(private site: Pick<Site, 'relock' | 'timezone'>) {}

  get isLoaded(): boolean {
    return this.loaded;
  }

  /** The caller's state for `decide`. */
  phoneState(plan: Plan, ext: string, now: number): PhoneState {
    if (!this.loaded) return UNKNOWN;
    const phone = this.phones.get(ext);
    const user = plan.extensions.get(ext)?.user;
    const grants = (user !== undefined && this.grantsByUser.get(user)) || NO_GRANTS;
    if (this.unreadable.has(ext)) return { lock: 'unknown', grants };
    const unlocked = phone?.relockAt !== undefined && now < phone.relockAt;
    return { lock: unlocked ? 'unlocked' : 'locked', pinLockoutUntil: phone?.record.lockoutUntil, grants };
  }

  phone(ext: string): PhoneRecord | undefined {
    return this.phones.get(ext)?.record;
  }

  relocksAt(ext: string): number | undefined {
    return this.phones.get(ext)?.relockAt;
  }

  grants(user?: string): Grant[] {
    return [...this.grantsById.values()].filter((g) => user === undefined || g.user === user);
  }

  /** A new plan may move the end of day or the idle time: re-derive every re-lock time. */
  setSite(site: Pick<Site, 'relock' | 'timezone'>): void {
    this.site = site;
    for (const [ext, phone] of this.phones) this.setPhone(ext, phone.record);
  }

  setPhone(ext: string, record: StoredPhone | undefined): void {
    this.unreadable.delete(ext);
    if (record === undefined || record === 'unreadable') {
      this.phones.delete(ext);
      if (record === 'unreadable') this.unreadable.add(ext);
      return;
    }
    const { unlockedSince, lastCallAt } = record;
    this.phones.set(ext, { record, relockAt: unlockedSince === undefined ? undefined : relockAt(unlockedSince, lastCallAt, this.site) });
  }

  setGrant(id: string, grant: Grant | undefined): void {
    const old = this.grantsById.get(id);
    if (old) this.grantsByUser.set(old.user, (this.grantsByUser.get(old.user) ?? []).filter((g) => g.id !== id));
    if (!grant) {
      this.grantsById.delete(id);
      return;
    }
    this.grantsById.set(id, grant);
    this.grantsByUser.set(grant.user, [...(this.grantsByUser.get(grant.user) ?? []), grant]);
  }

  /** The hold on a callback number, live or not. */
  callbackHold(number: string): CallbackHold | undefined {
    return this.callbacks.get(number);
  }

  /** The phone a call to `number` goes to now, when a PSAP callback holds it. */
  liveCallback(number: string, now: number): CallbackHold | undefined {
    const hold = this.callbacks.get(number);
    return holdIsLive(hold, now) ? hold : undefined;
  }

  /** False when no number was ever held: calls from outside need not look theirs up. */
  get hasCallbacks(): boolean {
    return this.callbacks.size > 0;
  }

  /** A hold is a fact with its own expiry: the one taken last wins, whichever instance took it. */
  setCallback(hold: CallbackHold): void {
    const known = this.callbacks.get(hold.number);
    if (!known || hold.takenAt >= known.takenAt) this.callbacks.set(hold.number, hold);
  }

  /**
   * Replaces everything at once, as after a (re)connection: nothing from before survives, except PSAP
   * callback holds newer than the store's (one taken here while the store was away still leads back).
   */
  load(phones: ReadonlyMap<string, StoredPhone>, grants: readonly Grant[], callbacks: readonly CallbackHold[] = []): void {
    this.phones.clear();
    this.unreadable.clear();
    this.grantsById.clear();
    this.grantsByUser.clear();
    for (const [ext, record] of phones) this.setPhone(ext, record);
    for (const grant of grants) this.setGrant(grant.id, grant);
    for (const hold of callbacks) this.setCallback(hold);
    this.loaded = true;
  }
}
