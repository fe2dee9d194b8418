import type { Grant } from '../policy/grant.js';
import type { CallbackHold } from '../policy/psapCallback.js';
import type { Site } from '../policy/plan.js';
import type { AttemptStart, PinLimits, StateBackend } from './backend.js';
import { EMPTY_PHONE, type PhoneRecord } from './records.js';
import { Replica } from './replica.js';

/**
 * The embedded store used when REDIS_URL is unset: one instance, state lost on restart. JavaScript
 * runs one change at a time, so each method is atomic without further care.
 */
export class MemoryBackend implements StateBackend {
  readonly replica: Replica;
  readonly reachable = true;
  readonly description = 'embedded in-memory store (one instance; state is lost on restart; set REDIS_URL to share and keep it)';
  private readonly pins = new Map<string, string>();

  constructor(site: Pick<Site, 'relock' | 'timezone'>) {
    this.replica = new Replica(site);
    this.replica.load(new Map(), []);
  }

  private update(ext: string, change: (r: PhoneRecord) => PhoneRecord): void {
    this.replica.setPhone(ext, change(this.replica.phone(ext) ?? EMPTY_PHONE));
  }

  async beginPinAttempt(ext: string, now: number, { maxAttempts, lockoutMs }: PinLimits): Promise<AttemptStart> {
    const pinHash = this.pins.get(ext);
    if (pinHash === undefined) return { ok: false, reason: 'no-pin' };
    const record = this.replica.phone(ext) ?? EMPTY_PHONE;
    if (record.lockoutUntil !== undefined && record.lockoutUntil > now) return { ok: false, reason: 'locked-out', until: record.lockoutUntil };
    const attempt = (record.lockoutUntil === undefined ? record.failures : 0) + 1;
    this.update(ext, (r) => ({ ...r, failures: attempt, lockoutUntil: attempt >= maxAttempts ? now + lockoutMs : undefined }));
    return { ok: true, attempt, pinHash };
  }

  async pinAccepted(ext: string, now: number, pinHash: string): Promise<boolean> {
    if (this.pins.get(ext) !== pinHash) return false;
    this.update(ext, (r) => ({ ...r, failures: 0, lockoutUntil: undefined, unlockedSince: now, lastCallAt: undefined }));
    return true;
  }

  async setPinHash(ext: string, pinHash: string): Promise<void> {
    this.pins.set(ext, pinHash);
    this.update(ext, () => ({ failures: 0, hasPin: true }));
  }

  async lock(ext: string): Promise<void> {
    this.update(ext, (r) => ({ ...r, unlockedSince: undefined, lastCallAt: undefined }));
  }

  async unlock(ext: string, now: number): Promise<void> {
    this.update(ext, (r) => ({ ...r, failures: 0, lockoutUntil: undefined, unlockedSince: now, lastCallAt: undefined }));
  }

  async recordCall(ext: string, at: number): Promise<void> {
    this.update(ext, (r) => ({ ...r, lastCallAt: at }));
  }

  async putGrant(grant: Grant): Promise<void> {
    this.replica.setGrant(grant.id, grant);
  }

  async removeGrant(id: string): Promise<boolean> {
    const existed = this.replica.grants().some((g) => g.id === id);
    this.replica.setGrant(id, undefined);
    return existed;
  }

  /** One instance: the hold is in the replica already, and nobody else to tell. */
  async shareCallback(_hold: CallbackHold): Promise<void> {}

  async close(): Promise<void> {}
}
