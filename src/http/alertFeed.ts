import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { ALERT_STREAM, lateFromFields } from '../audit/alertChannels.js';
import type { AlertChannel, LateDelivery } from '../audit/alertDispatcher.js';
import type { AlertKind, SecurityAlert } from '../audit/securityAlert.js';
import { RedisConnection } from '../state/redisConnection.js';
import type { RedisTarget } from '../state/redisTarget.js';

/** Acknowledgements of alerts, shared by every instance when Redis is configured. */
export const ACK_STREAM = 'callguard:alert-acks';

export interface Acknowledgement {
  by: string;
  at: string;
}

export interface FeedItem {
  /** The stream entry id (or, without Redis, one made the same way): orders alerts across instances. */
  id: string;
  alert: SecurityAlert;
  ack?: Acknowledgement | undefined;
  /** Delivered from the outbox after its channel came back: the console says so beside the alert's own time. */
  late?: LateDelivery | undefined;
}

export interface FeedStatus {
  source: 'local' | 'redis';
  /** False while the Redis stream cannot be read: the console says so. */
  connected: boolean;
}

/** How many recent alerts the console shows. */
const KEEP = 300;
const KINDS: readonly AlertKind[] = ['emergency', 'hotline', 'pin-lockout', 'fraud'];

/**
 * The console's view of Security alerts: recent ones, newest last here (the page shows newest first),
 * with their acknowledgements; emits `item`, `ack` and `status` for the live stream.
 */
export class AlertFeed extends EventEmitter<{ item: [FeedItem]; ack: [FeedItem]; status: [FeedStatus] }> {
  private readonly items: FeedItem[] = [];
  private readonly byId = new Map<string, FeedItem>();
  /** Acknowledgements read before their alert (a backfill racing the live stream). */
  private readonly pendingAcks = new Map<string, Acknowledgement>();
  private seq = 0;
  private lastMs = 0;
  status: FeedStatus;

  constructor(source: FeedStatus['source']) {
    super();
    this.setMaxListeners(0);
    this.status = { source, connected: source === 'local' };
  }

  /** A stream-style id for an alert raised in this process. */
  nextLocalId(now = Date.now()): string {
    if (now > this.lastMs) {
      this.lastMs = now;
      this.seq = 0;
    } else this.seq++;
    return `${this.lastMs}-${this.seq}`;
  }

  add(id: string, alert: SecurityAlert, late?: LateDelivery): FeedItem | undefined {
    if (this.byId.has(id)) return undefined;
    const item: FeedItem = { id, alert, ack: this.pendingAcks.get(id), late };
    this.pendingAcks.delete(id);
    this.items.push(item);
    this.byId.set(id, item);
    while (this.items.length > KEEP) this.byId.delete(this.items.shift()!.id);
    this.emit('item', item);
    return item;
  }

  get(id: string): FeedItem | undefined {
    return this.byId.get(id);
  }

  /** Records the first acknowledgement of an alert; later ones change nothing. */
  applyAck(id: string, ack: Acknowledgement): FeedItem | undefined {
    const item = this.byId.get(id);
    if (!item) {
      if (this.pendingAcks.size < 1000) this.pendingAcks.set(id, ack);
      return undefined;
    }
    if (item.ack) return item;
    item.ack = ack;
    this.emit('ack', item);
    return item;
  }

  setConnected(connected: boolean): void {
    if (this.status.connected === connected) return;
    this.status = { ...this.status, connected };
    this.emit('status', this.status);
  }

  /** Newest first. */
  snapshot(): FeedItem[] {
    return [...this.items].reverse();
  }
}

/** The dispatcher's channel for this instance's console when there is no Redis stream to read. */
export function consoleChannel(feed: AlertFeed): AlertChannel {
  return {
    name: 'console',
    async deliver(alert: SecurityAlert, late?: LateDelivery) {
      feed.add(feed.nextLocalId(), alert, late);
    },
  };
}

function alertFromFields(fields: Record<string, string>): SecurityAlert | undefined {
  if (!KINDS.includes(fields.kind as AlertKind)) return undefined;
  return {
    kind: fields.kind as AlertKind,
    ext: fields.ext ?? '',
    name: fields.name || undefined,
    dialled: fields.dialled ?? '',
    callback: fields.callback ?? '',
    callbackUntil: fields.callbackUntil || undefined,
    location: fields.location ?? '',
    at: fields.at ?? '',
    callId: fields.callId ?? '',
    note: fields.note || undefined,
    callOutAck: fields.callOutAckBy ? { by: fields.callOutAckBy, at: fields.callOutAckAt ?? '' } : undefined,
  };
}

type StreamReply = Array<{ name: string; messages: Array<{ id: string; message: Record<string, string> }> }> | null;

/**
 * Follows `callguard:alerts` (every instance's alerts) and `callguard:alert-acks` with XREAD on a
 * connection of its own, from the last id it saw: after a Redis outage it reads what it missed.
 * At start it loads the most recent alerts so a console opened now shows what happened before.
 */
export class RedisAlertReader {
  private readonly redis: RedisConnection;
  private stopped = false;
  private lastAlert = '0-0';
  private lastAck = '0-0';
  private loop: Promise<void> | undefined;

  constructor(
    target: RedisTarget,
    private readonly feed: AlertFeed,
    private readonly logger: Logger,
  ) {
    this.redis = RedisConnection.open(target);
    this.redis.on('down', () => this.feed.setConnected(false));
  }

  /** Throws while Redis is away: the loop below waits and tries again. */
  private get client() {
    return this.redis.client;
  }

  start(): void {
    this.loop = this.run();
  }

  /** Records an acknowledgement for every instance. */
  async publishAck(id: string, ack: Acknowledgement): Promise<void> {
    await this.client.xAdd(ACK_STREAM, '*', { id, by: ack.by, at: ack.at }, { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: 10_000 } });
  }

  private addEntry(id: string, fields: Record<string, string>): void {
    const alert = alertFromFields(fields);
    if (alert) this.feed.add(id, alert, lateFromFields(fields));
  }

  private async backfill(): Promise<void> {
    const alerts = (await this.client.xRevRange(ALERT_STREAM, '+', '-', { COUNT: KEEP })) ?? [];
    const acks = (await this.client.xRevRange(ACK_STREAM, '+', '-', { COUNT: 2_000 })) ?? [];
    for (const entry of [...alerts].reverse()) this.addEntry(entry.id, entry.message as Record<string, string>);
    for (const entry of [...acks].reverse()) {
      const m = entry.message as Record<string, string>;
      if (m.id && m.by) this.feed.applyAck(m.id, { by: m.by, at: m.at ?? '' });
    }
    this.lastAlert = alerts[0]?.id ?? '0-0';
    this.lastAck = acks[0]?.id ?? '0-0';
  }

  private async run(): Promise<void> {
    let loaded = false;
    let down = false;
    while (!this.stopped) {
      try {
        if (!loaded) {
          await this.backfill();
          loaded = true;
        }
        this.feed.setConnected(true);
        if (down) {
          this.logger.info('alert stream readable again: the console catches up from where it stopped');
          down = false;
        }
        const reply = (await this.client.xRead(
          [
            { key: ALERT_STREAM, id: this.lastAlert },
            { key: ACK_STREAM, id: this.lastAck },
          ],
          { BLOCK: 2_000, COUNT: 100 },
        )) as unknown as StreamReply;
        for (const stream of reply ?? []) {
          for (const { id, message } of stream.messages) {
            if (stream.name === ALERT_STREAM) {
              this.lastAlert = id;
              this.addEntry(id, message);
            } else {
              this.lastAck = id;
              if (message.id && message.by) this.feed.applyAck(message.id, { by: message.by, at: message.at ?? '' });
            }
          }
        }
      } catch (error) {
        if (this.stopped) return;
        this.feed.setConnected(false);
        if (!down) this.logger.warn({ err: (error as Error).message }, 'alert stream unreadable: the console shows no new alerts until Redis is back');
        down = true;
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.redis.destroy();
    await this.loop?.catch(() => {});
  }
}
