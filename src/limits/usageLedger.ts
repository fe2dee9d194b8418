import type { CallerUsage } from '../policy/limits.js';
import { localTime } from './localTime.js';

/** Calls abroad and answered seconds abroad, for one user in one window. */
export interface Counts {
  international: number;
  highRisk: number;
  seconds: number;
}

const zero = (): Counts => ({ international: 0, highRisk: 0, seconds: 0 });

/** One counting window (a clock hour, a site-local day): totals known from every instance, and this instance's since then. */
class Window {
  bucket = '';
  known = new Map<string, Counts>();
  pending = new Map<string, Counts>();

  roll(bucket: string): void {
    if (bucket === this.bucket) return;
    this.bucket = bucket;
    this.known = new Map();
    this.pending = new Map();
  }

  add(key: string, change: Partial<Counts>): void {
    const c = this.pending.get(key) ?? zero();
    c.international += change.international ?? 0;
    c.highRisk += change.highRisk ?? 0;
    c.seconds += change.seconds ?? 0;
    this.pending.set(key, c);
  }

  /** What the limits see: the known total, and this instance's unsynced calls as if every instance had made as many. */
  seen(key: string, field: keyof Counts, instances: number): number {
    return (this.known.get(key)?.[field] ?? 0) + instances * (this.pending.get(key)?.[field] ?? 0);
  }
}

/** A call abroad being counted as running, until it ends. */
export interface Admission {
  readonly key: string;
  readonly day: string;
  ended: boolean;
}

/** What one sync round sends: the pending counts of the current windows and the calls running here. */
export interface SyncRound {
  hour: string;
  day: string;
  pendingHour: Map<string, Counts>;
  pendingDay: Map<string, Counts>;
  live: Map<string, number>;
  siteLive: number;
  /** Every user with counts or running calls: whose totals to read back. */
  keys: string[];
}

export interface SyncResult {
  hourTotals: Map<string, Counts>;
  dayTotals: Map<string, Counts>;
  othersLive: Map<string, number>;
  othersSiteLive: number;
  instances: number;
}

/**
 * Counts calls abroad per user for the toll-fraud limits, with no I/O on the call path. Alone it
 * counts exactly. Shared through Redis (sharedUsage.ts), totals from every instance arrive with each
 * sync; between syncs each of N instances counts its own new calls N times over, so it takes at most
 * its share (1/N, rounded up) of what was left at its last sync. Another instance's calls not yet shared
 * are unknown here, so a burst spread over N instances overshoots a limit L by at most (N - 1) x ceil(L / N)
 * calls, and by far less when the instances sync in step (one call, N - 1, in the two-instance test).
 */
export class UsageLedger {
  private readonly hour = new Window();
  private readonly day = new Window();
  private readonly live = new Map<string, number>();
  private siteLive = 0;
  private liveAtSync = new Map<string, number>();
  private siteLiveAtSync = 0;
  private othersLive = new Map<string, number>();
  private othersSiteLive = 0;
  private instances = 1;

  constructor(private readonly timezone: () => string) {}

  usage(key: string, now: number): CallerUsage {
    const local = this.roll(now);
    const n = this.instances;
    const own = this.live.get(key) ?? 0;
    // Calls started here since the last sync may have been matched on every other instance.
    const running = (mine: number, atSync: number, others: number) => others + mine + (n - 1) * Math.max(0, mine - atSync);
    return {
      international: { hour: this.hour.seen(key, 'international', n), day: this.day.seen(key, 'international', n) },
      highRisk: { hour: this.hour.seen(key, 'highRisk', n), day: this.day.seen(key, 'highRisk', n) },
      concurrentAbroad: running(own, this.liveAtSync.get(key) ?? 0, this.othersLive.get(key) ?? 0),
      minutesAbroadToday: Math.floor(this.day.seen(key, 'seconds', n) / 60),
      siteConcurrentAbroad: running(this.siteLive, this.siteLiveAtSync, this.othersSiteLive),
      local,
    };
  }

  /** A call abroad allowed: counted for its hour and day, and running until `ended`. */
  admit(key: string, highRisk: boolean, now: number): Admission {
    const local = this.roll(now);
    const change = highRisk ? { highRisk: 1 } : { international: 1 };
    this.hour.add(key, change);
    this.day.add(key, change);
    this.live.set(key, (this.live.get(key) ?? 0) + 1);
    this.siteLive++;
    return { key, day: local.day, ended: false };
  }

  /** The call has ended; its answered time counts against the day's minutes abroad. */
  ended(admission: Admission, answeredSeconds: number): void {
    if (admission.ended) return;
    admission.ended = true;
    const left = (this.live.get(admission.key) ?? 1) - 1;
    if (left > 0) this.live.set(admission.key, left);
    else this.live.delete(admission.key);
    this.siteLive = Math.max(0, this.siteLive - 1);
    if (answeredSeconds > 0 && admission.day === this.day.bucket) this.day.add(admission.key, { seconds: Math.round(answeredSeconds) });
  }

  /** What to send in a sync round started at `now`. */
  syncRound(now: number): SyncRound {
    this.roll(now);
    const keys = new Set([...this.hour.known.keys(), ...this.hour.pending.keys(), ...this.day.known.keys(), ...this.day.pending.keys(), ...this.live.keys()]);
    const copy = (m: Map<string, Counts>) => new Map([...m].map(([k, c]) => [k, { ...c }]));
    return { hour: this.hour.bucket, day: this.day.bucket, pendingHour: copy(this.hour.pending), pendingDay: copy(this.day.pending), live: new Map(this.live), siteLive: this.siteLive, keys: [...keys] };
  }

  /** The round was written and totals read back: they include what it sent, which is no longer pending. */
  synced(round: SyncRound, result: SyncResult): void {
    for (const [window, bucket, sent, totals] of [
      [this.hour, round.hour, round.pendingHour, result.hourTotals],
      [this.day, round.day, round.pendingDay, result.dayTotals],
    ] as const) {
      if (window.bucket !== bucket) continue;
      for (const [key, c] of sent) {
        const left = window.pending.get(key);
        if (!left) continue;
        left.international -= c.international;
        left.highRisk -= c.highRisk;
        left.seconds -= c.seconds;
        if (left.international === 0 && left.highRisk === 0 && left.seconds === 0) window.pending.delete(key);
      }
      window.known = totals;
    }
    this.liveAtSync = round.live;
    this.siteLiveAtSync = round.siteLive;
    this.othersLive = result.othersLive;
    this.othersSiteLive = result.othersSiteLive;
    this.instances = Math.max(1, result.instances);
  }

  private roll(now: number) {
    const local = localTime(this.timezone(), now);
    this.hour.roll(String(Math.floor(now / 3_600_000)));
    this.day.roll(local.day);
    return local;
  }
}
