import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { RedisConnection } from './redisConnection.js';
import type { RedisTarget } from './redisTarget.js';

/** A call in progress on one instance, as the web admin lists it. */
export interface LiveCall {
  /** SIP Call-ID of the caller's leg. */
  callId: string;
  /** The callguard instance handling it. */
  instance: string;
  from: string;
  user?: string | undefined;
  to: string;
  action: string;
  class: string;
  reason: string;
  /** ISO 8601: the decision, and the answer when there was one. */
  started: string;
  answered?: string | undefined;
}

/** What one instance offers: the calls it handles now, and ending one of them. */
export interface LiveCallSource {
  calls(): Omit<LiveCall, 'instance'>[];
  /** False when the call is not (or no longer) here. */
  end(callId: string): boolean;
}

/** Every instance's live calls, and ending one wherever it runs. */
export interface LiveCallBoard {
  readonly instance: string;
  list(): Promise<LiveCall[]>;
  /** True when the instance handling the call was told to end it (it may have ended by itself meanwhile). */
  end(call: Pick<LiveCall, 'callId' | 'instance'>): Promise<boolean>;
  close(): Promise<void>;
}

/** A name for this process among the instances: host, pid and a few random bytes (a restarted pid is another instance). */
export function instanceName(): string {
  return `${hostname()}-${process.pid}-${randomBytes(2).toString('hex')}`;
}

/** Without Redis: this instance's calls only. */
export class LocalLiveCalls implements LiveCallBoard {
  readonly instance = instanceName();

  constructor(private readonly source: LiveCallSource) {}

  async list(): Promise<LiveCall[]> {
    return this.source.calls().map((c) => ({ ...c, instance: this.instance }));
  }

  async end(call: Pick<LiveCall, 'callId' | 'instance'>): Promise<boolean> {
    return call.instance === this.instance && this.source.end(call.callId);
  }

  async close(): Promise<void> {}
}

const PREFIX = 'callguard:live-calls';
const INSTANCES = `${PREFIX}:instances`;
const callsKey = (instance: string) => `${PREFIX}:${instance}`;
const endChannel = (instance: string) => `${PREFIX}:end:${instance}`;

/**
 * Live calls shared through Redis. Each instance rewrites a hash of its calls every `intervalMs`, with a
 * TTL a few rounds long, so the calls of an instance that died leave the list by themselves; a sorted set
 * names the instances. Ending a call is a PUBLISH on the handling instance's own channel: PUBLISH says
 * how many subscribers took it, so "that instance is not listening" is known at once.
 */
export class SharedLiveCalls implements LiveCallBoard {
  readonly instance = instanceName();
  private readonly redis: RedisConnection;
  private readonly subscriber: RedisConnection;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private listening = false;
  private readonly ttlMs: number;

  constructor(
    target: RedisTarget,
    private readonly source: LiveCallSource,
    private readonly logger: Logger,
    private readonly intervalMs = 1_000,
  ) {
    this.ttlMs = intervalMs * 5;
    this.redis = RedisConnection.open(target);
    this.subscriber = RedisConnection.open(target);
    // node-redis re-subscribes by itself after a reconnection.
    this.subscriber.on('up', () => void this.listen());
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    try {
      await this.subscriber.client.subscribe(endChannel(this.instance), (callId) => {
        const ended = this.source.end(callId);
        this.logger.info({ callId, ended }, ended ? 'live call ended from the web admin' : 'live call to end was no longer here');
        void this.publish();
      });
    } catch (error) {
      this.listening = false;
      this.logger.warn({ err: (error as Error).message }, 'cannot listen for calls to end (Redis): retried when it is back');
    }
  }

  start(): void {
    this.timer = setInterval(() => void this.publish(), this.intervalMs);
    this.timer.unref();
  }

  /** One round: this instance's calls, replacing the last round's. Never throws. */
  async publish(): Promise<void> {
    if (!this.redis.isUp) return;
    const key = callsKey(this.instance);
    const calls = this.source.calls();
    try {
      const m = this.redis.client.multi().del(key);
      if (calls.length > 0) m.hSet(key, Object.fromEntries(calls.map((c) => [c.callId, JSON.stringify(c)]))).pExpire(key, this.ttlMs);
      const now = Date.now();
      await m.zAdd(INSTANCES, { score: now, value: this.instance }).zRemRangeByScore(INSTANCES, 0, now - this.ttlMs).exec();
      if (this.failing) this.logger.info('live calls shared through Redis again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: (error as Error).message }, 'live calls not shared (Redis): other instances do not see this one\'s calls until it is back');
      this.failing = true;
    }
  }

  async list(): Promise<LiveCall[]> {
    const client = this.redis.client;
    const instances = await client.zRangeByScore(INSTANCES, Date.now() - this.ttlMs, '+inf');
    const hashes = await Promise.all(instances.map((i) => client.hGetAll(callsKey(i))));
    const out: LiveCall[] = [];
    instances.forEach((instance, i) => {
      for (const json of Object.values(hashes[i] ?? {})) {
        try {
          out.push({ ...(JSON.parse(json) as Omit<LiveCall, 'instance'>), instance });
        } catch {
          // not written by callguard: skipped
        }
      }
    });
    return out.sort((a, b) => a.started.localeCompare(b.started));
  }

  async end(call: Pick<LiveCall, 'callId' | 'instance'>): Promise<boolean> {
    return (await this.redis.client.publish(endChannel(call.instance), call.callId)) > 0;
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    if (this.redis.isUp) await this.redis.client.multi().del(callsKey(this.instance)).zRem(INSTANCES, this.instance).exec().catch(() => {});
    await Promise.allSettled([this.subscriber.destroy(), this.redis.close()]);
  }
}

/** The board `callguard serve` uses: shared through Redis when there is one. */
export function openLiveCalls(redis: RedisTarget | undefined, source: LiveCallSource, logger: Logger): LiveCallBoard {
  if (!redis) return new LocalLiveCalls(source);
  const board = new SharedLiveCalls(redis, source, logger);
  board.start();
  return board;
}
