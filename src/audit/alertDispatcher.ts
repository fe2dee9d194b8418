import type { Logger } from 'pino';
import type { AlertOutbox } from './alertOutbox.js';
import type { SecurityAlert } from './securityAlert.js';

/** Said with an alert a channel could not take when it was raised: it comes now, from the outbox. */
export interface LateDelivery {
  /** ISO 8601; the alert's own `at` is still when it was raised. */
  deliveredAt: string;
}

/** One way of telling Security Control: a SIP MESSAGE, the Redis stream, a webhook. */
export interface AlertChannel {
  readonly name: string;
  deliver(alert: SecurityAlert, late?: LateDelivery): Promise<void>;
  /** False for an alert this channel has no one to tell about (e-mail with no addresses in the plan); absent: every alert. */
  wants?(alert: SecurityAlert): boolean;
}

/**
 * Something an alert sets going beside its delivery (the call-out that phones responders): told of
 * every alert as it is raised, synchronously; it must return at once and does its work in the background.
 */
export type AlertFollower = (alert: SecurityAlert) => void;

export interface AlertOutcomes {
  sent(channel: string): void;
  failed(channel: string): void;
}

/** Pauses between attempts on one channel: three tries within about two seconds. */
const RETRY_DELAYS_MS = [250, 1_500];

/**
 * Sends every alert on every channel in parallel, with bounded retries. `send` returns at once and
 * never throws: an emergency call is never held for, or broken by, its alert. An alert a channel still
 * could not take goes to the outbox, which delivers it, marked late, when the channel is back.
 */
export class AlertDispatcher {
  /** Alerts a channel has not taken yet and the outbox does not hold: kept there at close. */
  private readonly inFlight = new Set<{ channel: AlertChannel; alert: SecurityAlert }>();
  private readonly followers: AlertFollower[] = [];

  constructor(
    private readonly channels: readonly AlertChannel[],
    private readonly logger: Logger,
    private readonly outcomes: AlertOutcomes,
    private readonly outbox?: AlertOutbox,
  ) {}

  send(alert: SecurityAlert): void {
    this.logger.warn({ alert }, `security alert: ${alert.kind}`);
    this.tellFollowers(alert);
    for (const channel of this.channelsFor(alert)) void this.deliver(channel, alert);
  }

  /** Resolves when every channel has delivered or given up; for tests and shutdown. */
  sendAndSettle(alert: SecurityAlert): Promise<void> {
    this.logger.warn({ alert }, `security alert: ${alert.kind}`);
    this.tellFollowers(alert);
    return Promise.all(this.channelsFor(alert).map((c) => this.deliver(c, alert))).then(() => undefined);
  }

  follow(follower: AlertFollower): void {
    this.followers.push(follower);
  }

  /**
   * At shutdown: alerts still being tried go to the outbox, to be delivered after the restart. One that
   * gets through in the last moment is then delivered twice, the second time marked late: a duplicate
   * is better than a lost alert.
   */
  async close(): Promise<void> {
    for (const { channel, alert } of this.inFlight) this.outbox?.keep(channel.name, alert);
    this.inFlight.clear();
    await this.outbox?.close();
  }

  private channelsFor(alert: SecurityAlert): AlertChannel[] {
    return this.channels.filter((channel) => channel.wants?.(alert) !== false);
  }

  /** A follower that throws is logged; the alert and the call go on. */
  private tellFollowers(alert: SecurityAlert): void {
    for (const follower of this.followers) {
      try {
        follower(alert);
      } catch (error) {
        this.logger.error({ callId: alert.callId, kind: alert.kind, err: (error as Error).message }, 'alert follower failed');
      }
    }
  }

  private async deliver(channel: AlertChannel, alert: SecurityAlert): Promise<void> {
    const delivery = { channel, alert };
    this.inFlight.add(delivery);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await channel.deliver(alert);
          this.outcomes.sent(channel.name);
          // The channel works again: what it missed need not wait for the outbox's next probe.
          this.outbox?.channelWorks(channel.name);
          return;
        } catch (error) {
          const delay = RETRY_DELAYS_MS[attempt];
          if (delay === undefined) {
            this.outcomes.failed(channel.name);
            this.logger.error({ channel: channel.name, callId: alert.callId, kind: alert.kind, err: (error as Error).message, outbox: this.outbox ? 'kept' : 'none' }, 'security alert could not be delivered');
            if (this.inFlight.has(delivery)) this.outbox?.keep(channel.name, alert);
            return;
          }
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    } finally {
      this.inFlight.delete(delivery);
    }
  }
}
