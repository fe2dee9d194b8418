import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { isSupportedCountry } from 'libphonenumber-js/max';
import type { Grant } from '../policy/grant.js';
import type { Extension, Plan, Site } from '../policy/plan.js';
import type { CallbackHold } from '../policy/psapCallback.js';
import type { StateBackend } from './backend.js';
import { chooseCallbackNumber } from './callbackPool.js';
import { hashPin, PIN_HASH_COST, verifyPin } from './pinHash.js';
import { weakPin, weakPinMessage } from './pinRules.js';
import type { PhoneRecord } from './records.js';

/** A state change the rules refuse (unknown extension, weak PIN, ...). Messages never contain a PIN. */
export class StateRefused extends Error {}

export type UnlockResult =
  | { outcome: 'unlocked' }
  | { outcome: 'wrong-pin'; attemptsLeft: number }
  | { outcome: 'locked-out'; until: number }
  | { outcome: 'no-pin' };

/** Told to Security Control at once; carries who and when, never the digits tried. */
export interface PinLockoutAlert {
  kind: 'pin-lockout';
  ext: string;
  user?: string | undefined;
  location?: string | undefined;
  at: number;
  until: number;
}

export interface PhoneStatus {
  ext: string;
  lock: 'locked' | 'unlocked' | 'unknown';
  relocksAt?: number | undefined;
  hasPin: boolean;
  failures: number;
  lockoutUntil?: number | undefined;
}

/** A callback number taken by an emergency call: the hold, and the live one it took over when the pool was exhausted. */
export interface TakenCallback {
  hold: CallbackHold;
  displaced?: CallbackHold | undefined;
}

export interface NewGrant {
  user: string;
  worldwide: boolean;
  countries: string[];
  prefixes: string[];
  from?: number | undefined;
  until?: number | undefined;
  reason: string;
  approver: string;
}

/**
 * The runtime-state operations people and phones perform: lock, unlock with the PIN, set a PIN,
 * issue and revoke grants. The rules live here once; the backend only stores and shares.
 */
export class RuntimeState extends EventEmitter<{ alert: [PinLockoutAlert] }> {
  constructor(
    readonly backend: StateBackend,
    private plan: Plan,
    private readonly pinCost = PIN_HASH_COST,
  ) {
    super();
  }

  get replica() {
    return this.backend.replica;
  }

  /** A reloaded plan may change the PIN rules or the re-lock times. */
  usePlan(plan: Plan): void {
    this.plan = plan;
    this.backend.replica.setSite(plan.site);
  }

  private extension(ext: string): Extension {
    const extension = this.plan.extensions.get(ext);
    if (!extension) throw new StateRefused(`extension ${ext} is not in the dialplan`);
    return extension;
  }

  status(ext: string, now: number): PhoneStatus {
    this.extension(ext);
    const state = this.replica.phoneState(this.plan, ext, now);
    const record: PhoneRecord | undefined = this.replica.phone(ext);
    return {
      ext,
      lock: state.lock,
      relocksAt: state.lock === 'unlocked' ? this.replica.relocksAt(ext) : undefined,
      hasPin: record?.hasPin ?? false,
      failures: record?.failures ?? 0,
      lockoutUntil: record?.lockoutUntil !== undefined && record.lockoutUntil > now ? record.lockoutUntil : undefined,
    };
  }

  async setPin(ext: string, pin: string): Promise<void> {
    const extension = this.extension(ext);
    const weak = weakPin(pin, this.plan.site.pin.length, ext, extension.ddi);
    if (weak) throw new StateRefused(`PIN refused: ${weakPinMessage(weak)}${weak === 'wrong-length' ? ` (${this.plan.site.pin.length} digits here)` : ''}`);
    await this.backend.setPinHash(ext, await hashPin(pin, this.pinCost));
  }

  async unlock(ext: string, pin: string, now: number): Promise<UnlockResult> {
    const extension = this.extension(ext);
    const { maxAttempts, lockoutMinutes } = this.plan.site.pin;
    const start = await this.backend.beginPinAttempt(ext, now, { maxAttempts, lockoutMs: lockoutMinutes * 60_000 });
    if (!start.ok) return start.reason === 'no-pin' ? { outcome: 'no-pin' } : { outcome: 'locked-out', until: start.until };
    if (await verifyPin(pin, start.pinHash)) {
      if (await this.backend.pinAccepted(ext, now, start.pinHash)) return { outcome: 'unlocked' };
      // An admin set a new PIN while this one was checked: it is no longer the phone's PIN.
      return { outcome: 'wrong-pin', attemptsLeft: maxAttempts };
    }
    if (start.attempt < maxAttempts) return { outcome: 'wrong-pin', attemptsLeft: maxAttempts - start.attempt };
    const until = now + lockoutMinutes * 60_000;
    this.emit('alert', { kind: 'pin-lockout', ext, user: extension.user, location: extension.location, at: now, until });
    return { outcome: 'locked-out', until };
  }

  async lock(ext: string): Promise<void> {
    this.extension(ext);
    await this.backend.lock(ext);
  }

  /** An admin unlocks the phone (the web admin, audited there): no PIN asked, attempts and lockout cleared. */
  async unlockByAdmin(ext: string, now: number): Promise<void> {
    this.extension(ext);
    await this.backend.unlock(ext, now);
  }

  /** After an allowed call from an unlocked phone: the idle re-lock counts from here. */
  async recordCall(ext: string, at: number): Promise<void> {
    await this.backend.recordCall(ext, at);
  }

  /**
   * The callback number an emergency call from `ext` (a phone without a DDI) presents, held for it at
   * once in this instance's replica, with no I/O; `shareCallback` tells the other instances afterwards.
   */
  takeCallback(settings: Site['emergency'], ext: string, now: number, call: Pick<CallbackHold, 'callId' | 'dialled' | 'location'>): TakenCallback {
    const choice = chooseCallbackNumber(settings.callbackNumbers, (number) => this.replica.callbackHold(number), ext, now);
    const hold: CallbackHold = { number: choice.number, ext, takenAt: now, until: now + settings.callbackMinutes * 60_000, ...call };
    this.replica.setCallback(hold);
    return { hold, displaced: choice.displaced };
  }

  /** Tells every instance of a hold taken here; the emergency call never waits for it. */
  shareCallback(hold: CallbackHold): Promise<void> {
    return this.backend.shareCallback(hold);
  }

  async addGrant(spec: NewGrant): Promise<Grant> {
    const known = [...this.plan.extensions.values()].some((e) => e.user === spec.user);
    if (!known) throw new StateRefused(`no extension in the dialplan has user ${spec.user}`);
    if (!spec.worldwide && spec.countries.length === 0 && spec.prefixes.length === 0) throw new StateRefused('a grant needs --worldwide, --countries or --prefixes');
    const unknown = spec.countries.filter((c) => !isSupportedCountry(c));
    if (unknown.length > 0) throw new StateRefused(`unknown country code ${unknown.join(', ')}`);
    const badPrefix = spec.prefixes.find((p) => !/^\+?[0-9]{1,15}$/.test(p));
    if (badPrefix !== undefined) throw new StateRefused(`"${badPrefix}" is not an E.164 prefix such as +881`);
    if (spec.from !== undefined && spec.until !== undefined && spec.until <= spec.from) throw new StateRefused('the grant ends before it starts');
    const grant: Grant = { ...spec, id: `rt-${randomUUID().slice(0, 8)}`, countries: new Set(spec.countries), prefixes: spec.prefixes.map((p) => p.replace(/^\+/, '')), where: 'runtime' };
    await this.backend.putGrant(grant);
    return grant;
  }

  async revokeGrant(id: string): Promise<void> {
    if (!(await this.backend.removeGrant(id))) throw new StateRefused(`no runtime grant ${id} (grants in the dialplan files are changed there)`);
  }

  grants(user?: string): Grant[] {
    return this.replica.grants(user);
  }
}
