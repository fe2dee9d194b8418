import type { Logger } from 'pino';
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

/** How long one Security phone has to take a MESSAGE: a phone answers at once, or is off and would hold it for 32 s. */
const MESSAGE_ANSWER_MS = 4_000;

/**
 * A SIP MESSAGE (text/plain) to Security Control's target and, when it does not take it (anything but
 * 2xx, or no answer in time: a desk phone switched off or not registered), to each failover in turn, as
 * a call to Security would go. It fails only when none took it.
 */
export function sipMessageChannel(phones: () => readonly string[], send: SendSipMessage, logger: Logger, answerMs = MESSAGE_ANSWER_MS): AlertChannel {
  return {
    name: 'sip-message',
    async deliver(alert: SecurityAlert, late?: LateDelivery) {
      const text = late ? alertText(alert) + lateLine(late) : alertText(alert);
      const missed: string[] = [];
      for (const uri of phones()) {
        const outcome = await answered(send(uri, { 'Content-Type': 'text/plain' }, text), answerMs);
        if (typeof outcome === 'number' && outcome >= 200 && outcome < 300) {
          if (missed.length > 0) logger.warn({ callId: alert.callId, kind: alert.kind, to: uri, missed }, "security alert MESSAGE taken by a failover: Security Control's target did not take it");
          return;
        }
        missed.push(`${uri} ${typeof outcome === 'number' ? `answered ${outcome}` : outcome}`);
      }
      throw new Error(`MESSAGE not taken: ${missed.join('; ')}`);
    },
  };
}

/** The final status, or why there is none. */
async function answered(status: Promise<number>, withinMs: number): Promise<number | string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<string>((resolve) => (timer = setTimeout(() => resolve(`no answer in ${withinMs / 1000} s`), withinMs)));
  try {
    return await Promise.race([status.catch((error: unknown) => `not sent: ${error instanceof Error ? error.message : String(error)}`), late]);
  } finally {
    clearTimeout(timer);
  }
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
