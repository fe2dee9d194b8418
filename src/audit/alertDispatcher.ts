import type { Logger } from 'pino';
import type { SecurityAlert } from './securityAlert.js';

/** One way of telling Security Control: a SIP MESSAGE, the Redis stream, a webhook. */
export interface AlertChannel {
  readonly name: string;
  deliver(alert: SecurityAlert): Promise<void>;
}

export interface AlertOutcomes {
  sent(channel: string): void;
  failed(channel: string): void;
}

/** Pauses between attempts on one channel: three tries within about two seconds. */
const RETRY_DELAYS_MS = [250, 1_500];

/**
 * Sends every alert on every channel in parallel, with bounded retries. `send` returns at once and
 * never throws: an emergency call is never held for, or broken by, its alert.
 */
export class AlertDispatcher {
  constructor(
    private readonly channels: readonly AlertChannel[],
    private readonly logger: Logger,
    private readonly outcomes: AlertOutcomes,
  ) {}

  send(alert: SecurityAlert): void {
    this.logger.warn({ alert }, `security alert: ${alert.kind}`);
    for (const channel of this.channels) void this.deliver(channel, alert);
  }

  /** Resolves when every channel has delivered or given up; for tests and shutdown. */
  sendAndSettle(alert: SecurityAlert): Promise<void> {
    this.logger.warn({ alert }, `security alert: ${alert.kind}`);
    return Promise.all(this.channels.map((c) => this.deliver(c, alert))).then(() => undefined);
  }

  private async deliver(channel: AlertChannel, alert: SecurityAlert): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await channel.deliver(alert);
        this.outcomes.sent(channel.name);
        return;
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined) {
          this.outcomes.failed(channel.name);
          this.logger.error({ channel: channel.name, callId: alert.callId, kind: alert.kind, err: (error as Error).message }, 'security alert could not be delivered');
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }
}
