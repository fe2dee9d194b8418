import type { Logger } from 'pino';
import { ErrorReply } from 'redis';
import type { Grant } from '../policy/grant.js';
import type { CallbackHold } from '../policy/psapCallback.js';
import type { Site } from '../policy/plan.js';
import { StateUnavailable, type AttemptStart, type PinLimits, type StateBackend } from './backend.js';
import { callbackFromJson, callbackToJson, CorruptRecord, grantFromJson, grantToJson, phoneFromFields, type StoredPhone } from './records.js';
import { RedisConnection, RedisUnreachable } from './redisConnection.js';
import type { RedisTarget } from './redisTarget.js';
import { Replica } from './replica.js';

export interface RedisBackendOptions {
  redis: RedisTarget;
  site: Pick<Site, 'relock' | 'timezone'>;
  logger: Logger;
  /** Key and channel prefix, so several sites can share one Redis. */
  prefix?: string;
}

/**
 * Counts a PIN attempt atomically (Redis runs a script alone), so five concurrent guesses take
 * attempts 1 to 5 and a sixth finds the lockout the fifth started. Returns {status, attempt|until, hash}.
 */
const BEGIN_ATTEMPT = `
local f = redis.call('HMGET', KEYS[1], 'pin', 'failures', 'lockoutUntil')
if not f[1] then return {'no-pin'} end
local now, max, lockout = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local lockedUntil = tonumber(f[3])
if lockedUntil and lockedUntil > now then return {'locked-out', tostring(lockedUntil)} end
local attempt = (lockedUntil and 0 or (tonumber(f[2]) or 0)) + 1
redis.call('HSET', KEYS[1], 'failures', attempt)
if attempt >= max then redis.call('HSET', KEYS[1], 'lockoutUntil', now + lockout) else redis.call('HDEL', KEYS[1], 'lockoutUntil') end
redis.call('PUBLISH', ARGV[4], ARGV[5])
return {'ok', tostring(attempt), f[1]}
`;

/**
 * Unlocks only if the hash the PIN was checked against is still the phone's PIN, so an admin reset
 * that lands while scrypt runs is not undone by the old PIN. Returns 1 when unlocked, 0 otherwise.
 */
const ACCEPT_PIN = `
if redis.call('HGET', KEYS[1], 'pin') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'failures', 0, 'unlockedSince', ARGV[2])
redis.call('HDEL', KEYS[1], 'lockoutUntil', 'lastCallAt')
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * Runtime state in Redis, shared by every instance. Each instance keeps a full replica: it loads
 * everything when it (re)connects and then follows a pub/sub channel on which every change names
 * the key it touched. Pub/sub rather than keyspace notifications, because managed Redis services
 * often forbid `notify-keyspace-events`; rather than RESP3 client-side caching, because that only
 * tracks keys this client has read, and the replica must hold every phone and grant. Through
 * Sentinel it follows a failover: the replica is loaded again from the new master.
 */
export class RedisBackend implements StateBackend {
  readonly replica: Replica;
  readonly description: string;
  private readonly connection: RedisConnection;
  private readonly subscriber: RedisConnection;
  private readonly prefix: string;
  private readonly channel: string;
  private readonly logger: Logger;
  private up = false;
  private outageReported = false;
  private syncing: Promise<void> | undefined;
  private changedWhileSyncing: Set<string> | undefined;
  private closed = false;
  private announceFirstLoad: () => void = () => {};
  private readonly firstLoad = new Promise<void>((resolve) => (this.announceFirstLoad = resolve));
  /** PSAP callback holds taken here that Redis has not taken yet (one per number): written again at the next load. */
  private readonly unsharedCallbacks = new Map<string, CallbackHold>();

  constructor({ redis, site, logger, prefix = 'callguard:' }: RedisBackendOptions) {
    this.replica = new Replica(site);
    this.prefix = prefix;
    this.channel = `${prefix}changes`;
    this.logger = logger;
    this.connection = RedisConnection.open(redis);
    this.description = `${this.connection.description} (shared by every instance)`;
    this.subscriber = this.connection.duplicate();
    // Once it has taken, node-redis subscribes again after a reconnection or a failover by itself.
    let subscribed = false;
    const onChange = (message: string) => void this.changed(message);
    this.subscriber.on('up', () => {
      if (!subscribed) this.subscriber.client.subscribe(this.channel, onChange).then(() => (subscribed = true), (error: Error) => this.wentAway(error));
    });
    for (const connection of [this.connection, this.subscriber]) {
      connection.on('down', (error) => this.wentAway(error));
      // Changes made while either was away were missed: load everything again.
      connection.on('up', () => void this.resync());
    }
  }

  /** Resolves once the replica has been loaded (it may never, if Redis stays away); connecting began at construction. */
  loaded(): Promise<void> {
    return this.firstLoad;
  }

  /** Redis answers and the replica has been loaded again from it: what state changes wait for. */
  get reachable(): boolean {
    return this.up && this.connection.isUp;
  }

  private get client() {
    return this.connection.client;
  }

  private phoneKey(ext: string): string {
    return `${this.prefix}phone:${ext}`;
  }

  private get grantsKey(): string {
    return `${this.prefix}grants`;
  }

  private callbackKey(number: string): string {
    return `${this.prefix}callback:${number}`;
  }

  private wentAway(error: Error): void {
    if (this.closed) return;
    this.up = false;
    if (this.outageReported) return;
    this.outageReported = true;
    // Once per outage, not per reconnection attempt or per call.
    this.logger.warn({ store: this.description, error: error.message }, 'runtime state store unreachable: deciding from the last replica, refusing state changes, reconnecting');
  }

  private resync(): Promise<void> {
    this.syncing ??= this.loadEverything().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async loadEverything(): Promise<void> {
    if (!this.connection.isUp) return;
    this.changedWhileSyncing = new Set();
    try {
      const phones = new Map<string, StoredPhone>();
      let cursor = '0';
      do {
        const page = await this.client.scan(cursor, { MATCH: `${this.phoneKey('')}*`, COUNT: 1000 });
        // Issued together, node-redis pipelines them: one round trip per batch, not per phone.
        // A key Redis refuses to read as a hash (a string a script wrote) is one damaged record, not an outage.
        const batch = await Promise.all(page.keys.map((key) => this.client.hGetAll(key).catch((error: unknown) => (error instanceof ErrorReply ? error : Promise.reject(error)))));
        page.keys.forEach((key, i) => {
          const fields = batch[i]!;
          const record = fields instanceof ErrorReply ? this.unreadable(key, fields.message) : this.parsePhone(key, fields);
          if (record) phones.set(key.slice(this.phoneKey('').length), record);
        });
        cursor = page.cursor;
      } while (cursor !== '0');
      const grants = Object.entries(await this.client.hGetAll(this.grantsKey)).flatMap(([id, json]) => this.parseGrant(id, json) ?? []);
      this.replica.load(phones, grants, await this.loadCallbacks());
      for (const hold of this.unsharedCallbacks.values()) await this.writeCallback(hold);
      for (const message of this.changedWhileSyncing) await this.refresh(message);
      this.up = true;
      this.announceFirstLoad();
      if (this.outageReported) this.logger.info({ store: this.description }, 'runtime state store reachable again; replica reloaded');
      this.outageReported = false;
    } catch (error) {
      this.wentAway(error as Error);
    } finally {
      this.changedWhileSyncing = undefined;
    }
  }

  private async loadCallbacks(): Promise<CallbackHold[]> {
    const holds: CallbackHold[] = [];
    let cursor = '0';
    do {
      const page = await this.client.scan(cursor, { MATCH: this.callbackKey('*'), COUNT: 1000 });
      const values = await Promise.all(page.keys.map((key) => this.client.get(key)));
      page.keys.forEach((key, i) => {
        const hold = this.parseCallback(key, values[i] ?? undefined);
        if (hold) holds.push(hold);
      });
      cursor = page.cursor;
    } while (cursor !== '0');
    return holds;
  }

  private parseCallback(key: string, json: string | undefined): CallbackHold | undefined {
    if (json === undefined) return undefined;
    try {
      return callbackFromJson(json);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      this.logger.warn({ key, problem: error.message }, 'ignoring an unexpected PSAP callback hold in the state store');
      return undefined;
    }
  }

  private parsePhone(key: string, fields: Record<string, string>): StoredPhone | undefined {
    if (Object.keys(fields).length === 0) return undefined;
    try {
      return phoneFromFields(fields);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      return this.unreadable(key, error.message);
    }
  }

  private unreadable(key: string, problem: string): 'unreadable' {
    this.logger.warn({ key, problem }, 'ignoring an unexpected value in the state store; the lock state of this phone is unknown (its PIN is asked for) until the record is rewritten, e.g. by "callguard pin set"');
    return 'unreadable';
  }

  private parseGrant(id: string, json: string | undefined): Grant | undefined {
    if (json === undefined) return undefined;
    try {
      return grantFromJson(json);
    } catch (error) {
      if (!(error instanceof CorruptRecord)) throw error;
      this.logger.warn({ key: this.grantsKey, grant: id, problem: error.message }, 'ignoring an unexpected grant in the state store');
      return undefined;
    }
  }

  /** A change announced on the channel, by this instance or another one. */
  private async changed(message: string): Promise<void> {
    if (this.changedWhileSyncing) this.changedWhileSyncing.add(message);
    else await this.refresh(message).catch((error: Error) => this.wentAway(error));
  }

  private async refresh(message: string): Promise<void> {
    const [kind, name] = [message.slice(0, message.indexOf(':')), message.slice(message.indexOf(':') + 1)];
    if (kind === 'phone') this.replica.setPhone(name, this.parsePhone(this.phoneKey(name), await this.client.hGetAll(this.phoneKey(name))));
    else if (kind === 'grant') this.replica.setGrant(name, this.parseGrant(name, (await this.client.hGet(this.grantsKey, name)) ?? undefined));
    else if (kind === 'callback') {
      // Gone means expired: the replica's copy says so by its own time.
      const hold = this.parseCallback(this.callbackKey(name), (await this.client.get(this.callbackKey(name))) ?? undefined);
      if (hold) this.replica.setCallback(hold);
    }
    else this.logger.warn({ channel: this.channel, message }, 'ignoring an unexpected message on the state channel');
  }

  /** Runs a change if Redis is there, then shows it in this instance's replica at once. */
  private async change<T>(message: string, write: () => Promise<T>): Promise<T> {
    if (!this.up) throw new StateUnavailable();
    let result: T;
    try {
      result = await write();
    } catch (error) {
      if (error instanceof RedisUnreachable || !this.connection.isUp) throw new StateUnavailable();
      throw error;
    }
    await this.refresh(message).catch(() => undefined);
    return result;
  }

  beginPinAttempt(ext: string, now: number, { maxAttempts, lockoutMs }: PinLimits): Promise<AttemptStart> {
    return this.change(`phone:${ext}`, async () => {
      const args = [String(now), String(maxAttempts), String(lockoutMs), this.channel, `phone:${ext}`];
      const [status, value, pinHash] = (await this.client.eval(BEGIN_ATTEMPT, { keys: [this.phoneKey(ext)], arguments: args })) as string[];
      if (status === 'no-pin') return { ok: false, reason: 'no-pin' };
      if (status === 'locked-out') return { ok: false, reason: 'locked-out', until: Number(value) };
      return { ok: true, attempt: Number(value), pinHash: pinHash! };
    });
  }

  pinAccepted(ext: string, now: number, pinHash: string): Promise<boolean> {
    return this.change(`phone:${ext}`, async () => {
      const args = [pinHash, String(now), this.channel, `phone:${ext}`];
      return (await this.client.eval(ACCEPT_PIN, { keys: [this.phoneKey(ext)], arguments: args })) === 1;
    });
  }

  setPinHash(ext: string, pinHash: string): Promise<void> {
    const key = this.phoneKey(ext);
    return this.change(`phone:${ext}`, async () => {
      await this.client.multi().del(key).hSet(key, { pin: pinHash, failures: 0 }).publish(this.channel, `phone:${ext}`).exec();
    });
  }

  lock(ext: string): Promise<void> {
    const key = this.phoneKey(ext);
    return this.change(`phone:${ext}`, async () => {
      await this.client.multi().hDel(key, ['unlockedSince', 'lastCallAt']).publish(this.channel, `phone:${ext}`).exec();
    });
  }

  unlock(ext: string, now: number): Promise<void> {
    const key = this.phoneKey(ext);
    return this.change(`phone:${ext}`, async () => {
      await this.client.multi().hSet(key, { failures: 0, unlockedSince: now }).hDel(key, ['lockoutUntil', 'lastCallAt']).publish(this.channel, `phone:${ext}`).exec();
    });
  }

  recordCall(ext: string, at: number): Promise<void> {
    const key = this.phoneKey(ext);
    return this.change(`phone:${ext}`, async () => {
      await this.client.multi().hSet(key, 'lastCallAt', at).publish(this.channel, `phone:${ext}`).exec();
    });
  }

  putGrant(grant: Grant): Promise<void> {
    return this.change(`grant:${grant.id}`, async () => {
      await this.client.multi().hSet(this.grantsKey, grant.id, grantToJson(grant)).publish(this.channel, `grant:${grant.id}`).exec();
    });
  }

  removeGrant(id: string): Promise<boolean> {
    return this.change(`grant:${id}`, async () => {
      const [removed] = (await this.client.multi().hDel(this.grantsKey, id).publish(this.channel, `grant:${id}`).exec()) as unknown as [number];
      return removed > 0;
    });
  }

  /** Written in the background after the emergency INVITE has gone; kept for the next load if Redis is away. */
  async shareCallback(hold: CallbackHold): Promise<void> {
    this.unsharedCallbacks.set(hold.number, hold);
    try {
      await this.writeCallback(hold);
    } catch (error) {
      // A write caught by the outage fails with whatever the socket said: report it as the outage.
      if (error instanceof RedisUnreachable || !this.connection.isUp) throw new RedisUnreachable(`${this.connection.description} cannot be reached: the hold is written once it is back`);
      throw error;
    }
  }

  /** A key per number that expires with the hold, and a word on the channel for the other replicas. */
  private async writeCallback(hold: CallbackHold): Promise<void> {
    const key = this.callbackKey(hold.number);
    await this.client.multi().set(key, callbackToJson(hold), { PXAT: hold.until }).publish(this.channel, `callback:${hold.number}`).exec();
    if (this.unsharedCallbacks.get(hold.number) === hold) this.unsharedCallbacks.delete(hold.number);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([this.subscriber.close(), this.connection.close()]);
  }
}
