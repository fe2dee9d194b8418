import type { RedisConnection } from '../state/redisConnection.js';
import type { AlertChannel, LateDelivery } from './alertDispatcher.js';
import { alertFields, alertText, type SecurityAlert } from './securityAlert.js';

export const ALERT_STREAM = 'callguard:alerts';
/** Keeps the stream bounded: about a year of alerts for a busy site. */
const STREAM_MAX_LENGTH = 100_000;
const WEBHOOK_TIMEOUT_MS = 3_000;

/** Sends a SIP request out of dialog; the SIP edge provides it (srf.request). */
export type SendSipMessage = (uri: string, headers: Record<string, string>, body: string) => Promise<number>;

/**
 * A late alert (from the outbox) says so on every channel: in the MESSAGE a last line (the first word
 * and `time` are as when it was raised), on the stream the fields `late` and `deliveredAt`, in the
 * webhook's JSON `late: true` and `deliveredAt`.
 */
export function lateLine(late: LateDelivery): string {
  return `late: delivered ${late.deliveredAt}; the alert could not be sent when it was raised\r\n`;
}

function lateFields(late: LateDelivery): Record<string, string> {
  return { late: 'true', deliveredAt: late.deliveredAt };
}

/** The reader's side of `lateFields`. */
export function lateFromFields(fields: Record<string, string>): LateDelivery | undefined {
  return fields.late === 'true' ? { deliveredAt: fields.deliveredAt ?? '' } : undefined;
}

/** A SIP MESSAGE (text/plain) to Security Control's target; anything but 2xx counts as a failure. */
export function sipMessageChannel(target: () => string, send: SendSipMessage): AlertChannel {
  return {
    name: 'sip-message',
    async deliver(alert: SecurityAlert, late?: LateDelivery) {
      const status = await send(target(), { 'Content-Type': 'text/plain' }, late ? alertText(alert) + lateLine(late) : alertText(alert));
      if (status < 200 || status >= 300) throw new Error(`MESSAGE answered ${status}`);
    },
  };
}

/**
 * `XADD callguard:alerts`, read by every console whichever instance raised the alert. Fails at once
 * while no Redis master is reachable (a failover), so the alert goes to the outbox rather than wait.
 */
export function redisStreamChannel(redis: Pick<RedisConnection, 'client'>): AlertChannel {
  return {
    name: 'redis-stream',
    async deliver(alert: SecurityAlert, late?: LateDelivery) {
      await redis.client.xAdd(ALERT_STREAM, '*', late ? { ...alertFields(alert), ...lateFields(late) } : alertFields(alert), { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: STREAM_MAX_LENGTH } });
    },
  };
}

/** An HTTP POST of the alert as JSON, for paging systems. */
export function webhookChannel(url: string): AlertChannel {
  return {
    name: 'webhook',
    async deliver(alert: SecurityAlert, late?: LateDelivery) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(late ? { ...alert, late: true, deliveredAt: late.deliveredAt } : alert),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    },
  };
}
