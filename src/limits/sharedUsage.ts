import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { RedisConnection } from '../state/redisConnection.js';
import type { RedisTarget } from '../state/redisTarget.js';
import type { Counts, SyncRound, UsageLedger } from './usageLedger.js';

const PREFIX = 'callguard:usage';
const INSTANCES = `${PREFIX}:instances`;
const SITE = '*site*';
/** An instance that has not synced for this long no longer counts (its running calls with it). */
const STALE_MS = 10_000;
const FIELDS = ['international', 'highRisk', 'seconds'] as const;

const field = (key: string, f: (typeof FIELDS)[number]) => `${key}|${f}`;

/**
 * Shares a UsageLedger's counts with every other instance through Redis, in the background: each round
 * adds this instance's new counts to per-hour and per-day hashes, publishes its running calls, and
 * reads back the totals of the users it knows. No call waits for it; when Redis is away the counts stay
 * pending here and go with a later round.
 */
export class SharedUsage {
  private readonly redis: RedisConnection;
  private readonly id = randomUUID();
  private timer: NodeJS.Timeout | undefined;
  private syncing = false;
  private failing = false;
  private instances = 1;

  constructor(
    target: RedisTarget,
    private readonly ledger: UsageLedger,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 200,
  ) {
    // Outages are reported once by sync(), which is what they hold up.
    this.redis = RedisConnection.open(target);
  }

  /** Starts the rounds; Redis need not be up yet (rounds wait for it). */
  start(): void {
    this.timer = setInterval(() => void this.sync(), this.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (this.redis.isUp) await this.redis.client.multi().del(`${PREFIX}:live:${this.id}`).zRem(INSTANCES, this.id).exec().catch(() => {});
    await this.redis.close();
  }

  /** True for the first instance to claim `key` (a FRAUD alert's limit and window) within two days. */
  async claim(key: string): Promise<boolean> {
    return (await this.redis.client.set(`${PREFIX}:alerted:${key}`, this.id, { NX: true, PX: 2 * 86_400_000 })) !== null;
  }

  /** One round; never throws. */
  async sync(): Promise<void> {
    if (this.syncing || !this.redis.isUp) return;
    this.syncing = true;
    const now = this.now();
    const round = this.ledger.syncRound(now);
    try {
      const result = await this.exchange(round, now);
      this.ledger.synced(round, result);
      if (result.instances !== this.instances) this.logger.info({ instances: result.instances }, 'instances sharing the toll-fraud limit counts');
      this.instances = result.instances;
      if (this.failing) this.logger.info('usage counts shared through Redis again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: (error as Error).message }, 'usage counts not shared (Redis); counting on this instance until it is back');
      this.failing = true;
    } finally {
      this.syncing = false;
    }
  }

  private async exchange(round: SyncRound, now: number) {
    const hourKey = `${PREFIX}:h:${round.hour}`;
    const dayKey = `${PREFIX}:d:${round.day}`;
    const liveKey = `${PREFIX}:live:${this.id}`;
    const fields = round.keys.flatMap((k) => FIELDS.map((f) => field(k, f)));
    const client = this.redis.client;
    const m = client.multi();
    for (const [key, sent] of [[hourKey, round.pendingHour], [dayKey, round.pendingDay]] as const) {
      for (const [user, c] of sent) for (const f of FIELDS) if (c[f] !== 0) m.hIncrBy(key, field(user, f), c[f]);
      m.expire(key, 2 * 86_400);
    }
    m.del(liveKey).hSet(liveKey, { [SITE]: round.siteLive, ...Object.fromEntries(round.live) }).pExpire(liveKey, STALE_MS);
    m.zAdd(INSTANCES, { score: now, value: this.id }).zRemRangeByScore(INSTANCES, 0, now - STALE_MS);
    m.zRange(INSTANCES, 0, -1);
    if (fields.length > 0) m.hmGet(hourKey, fields).hmGet(dayKey, fields);
    const replies = (await m.exec()) as unknown[];
    const instances = replies[replies.length - (fields.length > 0 ? 3 : 1)] as string[];
    const totals = (values: (string | null)[] | undefined) => {
      const out = new Map<string, Counts>();
      round.keys.forEach((k, i) => {
        const [international, highRisk, seconds] = FIELDS.map((_, j) => Number(values?.[i * FIELDS.length + j] ?? 0));
        if (international || highRisk || seconds) out.set(k, { international: international!, highRisk: highRisk!, seconds: seconds! });
      });
      return out;
    };
    const others = instances.filter((i) => i !== this.id);
    const othersLive = new Map<string, number>();
    let othersSiteLive = 0;
    for (const other of others.length > 0 ? await Promise.all(others.map((o) => client.hmGet(`${PREFIX}:live:${o}`, [SITE, ...round.keys]))) : []) {
      othersSiteLive += Number(other[0] ?? 0);
      round.keys.forEach((k, i) => {
        const n = Number(other[i + 1] ?? 0);
        if (n > 0) othersLive.set(k, (othersLive.get(k) ?? 0) + n);
      });
    }
    return {
      hourTotals: totals(fields.length > 0 ? (replies[replies.length - 2] as (string | null)[]) : undefined),
      dayTotals: totals(fields.length > 0 ? (replies[replies.length - 1] as (string | null)[]) : undefined),
      othersLive,
      othersSiteLive,
      instances: Math.max(1, instances.length),
    };
  }
}
