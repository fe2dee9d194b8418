import { EventEmitter } from 'node:events';
import { createClient, createSentinel, type RedisClientType, type RedisSentinelType } from 'redis';
import { ANSWER_WATCH, watchAnswers } from './answerWatch.js';
import { describeRedisTarget, isSentinelTarget, type RedisAtUrl, type RedisBySentinel, type RedisTarget } from './redisTarget.js';

/** node-redis's client or Sentinel object: the same commands either way. */
export type RedisCommands = RedisClientType | RedisSentinelType;

/** A command asked for while no master can take it: refused at once, never queued until one is back. */
export class RedisUnreachable extends Error {}

/** Give up between reconnection attempts for at most this long. */
const MAX_BACKOFF_MS = 5_000;
const reconnectStrategy = (retries: number) => Math.min(50 * 2 ** retries, MAX_BACKOFF_MS);

/**
 * The one way callguard talks to Redis, made from the settings: a server by URL (redis://, rediss://)
 * or the master of a Sentinel group, followed through failovers. It connects in the background and
 * keeps trying; it says `up` when a master takes commands and `down` (once, with the cause) when it
 * no longer does, so each user can decide from memory meanwhile and catch up afterwards.
 */
export abstract class RedisConnection extends EventEmitter<{ up: []; down: [Error] }> {
  readonly description: string;
  /** What was last said: undefined before the first connection or failure. */
  private said: 'up' | 'down' | undefined;
  protected closed = false;

  protected constructor(readonly target: RedisTarget) {
    super();
    this.description = describeRedisTarget(target);
  }

  /** A new connection to `target`, connecting in the background (listen before the next tick). */
  static open(target: RedisTarget): RedisConnection {
    const connection: RedisConnection = isSentinelTarget(target) ? new SentinelConnection(target) : new UrlConnection(target);
    queueMicrotask(() => connection.connect());
    return connection;
  }

  /** True while a master takes commands. */
  abstract get isUp(): boolean;

  protected abstract get commands(): RedisCommands;

  protected abstract connect(): void;

  /** The commands, on the master; throws RedisUnreachable while there is none, so nothing waits for one. */
  get client(): RedisCommands {
    if (!this.isUp) throw new RedisUnreachable(`${this.description} cannot be reached: commands are refused until a master is back`);
    return this.commands;
  }

  /** Another connection to the same Redis (a subscriber, a blocking reader). */
  duplicate(): RedisConnection {
    return RedisConnection.open(this.target);
  }

  protected cameUp(): void {
    if (this.closed || !this.isUp || this.said === 'up') return;
    this.said = 'up';
    this.emit('up');
  }

  protected wentDown(cause: unknown): void {
    if (this.closed || this.isUp || this.said === 'down') return;
    this.said = 'down';
    this.emit('down', cause instanceof Error ? cause : new Error(String(cause)));
  }

  /** Closes after the commands in flight have been answered. */
  abstract close(): Promise<void>;

  /** Closes at once, failing the commands in flight (a blocked read would hold close() up). */
  abstract destroy(): Promise<void>;
}

/** One server, by URL: node-redis reconnects to it. */
class UrlConnection extends RedisConnection {
  private readonly redis: RedisClientType;
  private readonly watch: { stop(): void };

  constructor(target: RedisAtUrl) {
    super(target);
    // Commands fail at once while Redis is away instead of queueing: a change is refused, not delayed.
    this.redis = createClient({ url: target.url, disableOfflineQueue: true, socket: { reconnectStrategy, ...(target.tlsCa ? { ca: target.tlsCa } : {}) } });
    this.redis.on('ready', () => this.cameUp());
    this.redis.on('error', (error: Error) => this.wentDown(error));
    // A server that stopped answering is dropped and connected again: the commands waiting on it fail, and new ones are refused until it answers.
    this.watch = watchAnswers({
      up: () => !this.closed && this.redis.isReady,
      ping: () => this.redis.ping(),
      silent: () => {
        this.redis.destroy();
        this.wentDown(new Error(`${this.description} stopped answering: no reply to PING within ${ANSWER_WATCH.timeoutMs / 1000} s`));
        this.connect();
      },
    });
  }

  get isUp(): boolean {
    return this.redis.isReady;
  }

  protected get commands(): RedisCommands {
    return this.redis;
  }

  protected connect(): void {
    if (!this.closed) this.redis.connect().catch((error: Error) => this.wentDown(error));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watch.stop();
    await closeRedis(this.redis);
  }

  async destroy(): Promise<void> {
    this.closed = true;
    this.watch.stop();
    if (this.redis.isOpen) this.redis.destroy();
  }
}

/**
 * The master of a Sentinel group, through node-redis's Sentinel object: it asks the sentinels for the
 * master, moves its connections (and subscriptions) to the new one when they announce a failover, and
 * retries a command that meets a master no longer there.
 */
class SentinelConnection extends RedisConnection {
  private readonly sentinel: RedisSentinelType;
  private watching: NodeJS.Timeout | undefined;

  constructor(target: RedisBySentinel) {
    super(target);
    this.sentinel = createSentinel({
      name: target.masterName,
      sentinelRootNodes: target.sentinels,
      nodeClientOptions: { username: target.username, password: target.password, disableOfflineQueue: true, socket: { reconnectStrategy } },
      sentinelClientOptions: target.sentinelPassword ? { password: target.sentinelPassword } : {},
      // The master connection's errors are how a dead master is noticed before the sentinels agree on it.
      passthroughClientErrorEvents: true,
    });
    this.sentinel.on('ready', () => this.cameUp());
    this.sentinel.on('reconnecting', () => this.wentDown(new Error('the Redis master is changing')));
    this.sentinel.on('error', (error: unknown) => this.wentDown(error));
    this.on('down', () => this.watchForMaster());
  }

  get isUp(): boolean {
    return this.sentinel.isReady && this.sentinel.getMasterNode() !== undefined;
  }

  protected get commands(): RedisCommands {
    return this.sentinel;
  }

  /** The first connection gives up after a number of rounds over the sentinels: start it again until it holds. */
  protected connect(): void {
    const attempt = async (retries: number): Promise<void> => {
      if (this.closed) return;
      try {
        await this.sentinel.connect();
      } catch (error) {
        this.wentDown(error);
        await new Promise((resolve) => setTimeout(resolve, reconnectStrategy(retries)).unref());
        await attempt(retries + 1);
      }
    };
    void attempt(0);
  }

  /**
   * A master back before the sentinels gave up on it (a restart within down-after-milliseconds) is
   * reconnected by its own client, which tells nobody: look for it until it is there.
   */
  private watchForMaster(): void {
    this.watching ??= setInterval(() => {
      this.cameUp();
      if (this.isUp || this.closed) {
        clearInterval(this.watching);
        this.watching = undefined;
      }
    }, 250).unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watching);
    await closeRedis(this.sentinel);
  }

  async destroy(): Promise<void> {
    this.closed = true;
    clearInterval(this.watching);
    if (this.sentinel.isOpen) await this.sentinel.destroy();
  }
}

/** Flushes a ready connection; one still trying to reach Redis has nothing to flush, so its retries stop outright. */
async function closeRedis(redis: { isReady: boolean; isOpen: boolean; close(): Promise<void>; destroy(): void | Promise<void> }): Promise<void> {
  if (redis.isReady) await redis.close().catch(() => redis.destroy());
  else if (redis.isOpen) await redis.destroy();
}
