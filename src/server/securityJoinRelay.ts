import type { Logger } from 'pino';
import type { JoinMode, JoinState } from '../media/securityJoin.js';
import { RedisConnection } from '../state/redisConnection.js';
import type { RedisTarget } from '../state/redisTarget.js';

/** The latest join state of each recent emergency call (a hash by Call-ID), for consoles opened later. */
const STATES = 'callguard:security-joins';
const STATE_CHANNEL = 'callguard:security-joins:state';
const REQUEST_CHANNEL = 'callguard:security-joins:request';
/** Join states are kept this long after their last change. */
const KEEP_MS = 86_400_000;

/** An officer's request to be called into an emergency call, for whichever instance holds the call. */
export interface JoinRequest {
  callId: string;
  by: string;
  mode?: JoinMode | undefined;
}

export interface JoinRelayHandlers {
  /** A join state from any instance (this one's too): to this instance's console. */
  state(state: JoinState): void;
  /** A request from any instance's console: acted on by the instance holding the call. */
  request(request: JoinRequest): void;
}

/**
 * Security joins across instances through Redis: each instance publishes its calls' join states (and
 * keeps the latest per call in a hash, read again on every connection so a console opened later or
 * an instance back from an outage catches up), and a console's request to be called in is published
 * to every instance; the one holding the call acts on it.
 */
export class SecurityJoinRelay {
  private readonly redis: RedisConnection;
  private readonly subscriber: RedisConnection;
  private listening = false;
  private failing = false;

  constructor(
    target: RedisTarget,
    private readonly handlers: JoinRelayHandlers,
    private readonly logger: Logger,
  ) {
    this.redis = RedisConnection.open(target);
    this.subscriber = RedisConnection.open(target);
    this.subscriber.on('up', () => void this.listen());
    this.redis.on('up', () => void this.catchUp());
  }

  /** Never throws: a join state that cannot be shared is logged once per outage. */
  async publish(state: JoinState): Promise<void> {
    try {
      const json = JSON.stringify(state);
      await this.redis.client.multi().hSet(STATES, state.callId, json).pExpire(STATES, KEEP_MS).publish(STATE_CHANNEL, json).exec();
      this.failing = false;
    } catch (error) {
      if (!this.failing) this.logger.warn({ err: (error as Error).message, callId: state.callId }, "Security's join state not shared (Redis): other instances' consoles do not see it until it changes again");
      this.failing = true;
    }
  }

  /** True when at least one instance (this one included) was listening. */
  async request(request: JoinRequest): Promise<boolean> {
    return (await this.redis.client.publish(REQUEST_CHANNEL, JSON.stringify(request))) > 0;
  }

  private async listen(): Promise<void> {
    if (this.listening) return;
    this.listening = true;
    try {
      const client = this.subscriber.client;
      await client.subscribe(STATE_CHANNEL, (json) => this.read(json, (state: JoinState) => this.handlers.state(state)));
      await client.subscribe(REQUEST_CHANNEL, (json) => this.read(json, (request: JoinRequest) => this.handlers.request(request)));
    } catch (error) {
      this.listening = false;
      this.logger.warn({ err: (error as Error).message }, 'cannot follow Security joins (Redis): retried when it is back');
    }
  }

  private async catchUp(): Promise<void> {
    try {
      for (const json of Object.values(await this.redis.client.hGetAll(STATES))) this.read(json, (state: JoinState) => this.handlers.state(state));
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, "Security's join states not read (Redis)");
    }
  }

  private read<T>(json: string, use: (value: T) => void): void {
    try {
      use(JSON.parse(json) as T);
    } catch (error) {
      this.logger.warn({ err: (error as Error).message }, 'Security join message skipped');
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.subscriber.destroy(), this.redis.close()]);
  }
}
