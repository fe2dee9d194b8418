import type { RedisClientType } from 'redis';
import type { AlertChannel } from './alertDispatcher.js';
import { alertFields, alertText, type SecurityAlert } from './securityAlert.js';

export const ALERT_STREAM = 'callguard:alerts';
/** Keeps the stream bounded: about a year of alerts for a busy site. */
const STREAM_MAX_LENGTH = 100_000;
const WEBHOOK_TIMEOUT_MS = 3_000;

/** Sends a SIP request out of dialog; the SIP edge provides it (srf.request). */
export type SendSipMessage = (uri: string, headers: Record<string, string>, body: string) => Promise<number>;

/** A SIP MESSAGE (text/plain) to Security Control's target; anything but 2xx counts as a failure. */
export function sipMessageChannel(target: () => string, send: SendSipMessage): AlertChannel {
  return {
    name: 'sip-message',
    async deliver(alert: SecurityAlert) {
      const status = await send(target(), { 'Content-Type': 'text/plain' }, alertText(alert));
      if (status < 200 || status >= 300) throw new Error(`MESSAGE answered ${status}`);
    },
  };
}

/** `XADD callguard:alerts`, read by every console whichever instance raised the alert. */
export function redisStreamChannel(client: Pick<RedisClientType, 'xAdd' | 'isReady'>): AlertChannel {
  return {
    name: 'redis-stream',
    async deliver(alert: SecurityAlert) {
      if (!client.isReady) throw new Error('Redis is not connected');
      await client.xAdd(ALERT_STREAM, '*', alertFields(alert), { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: STREAM_MAX_LENGTH } });
    },
  };
}

/** An HTTP POST of the alert as JSON, for paging systems. */
export function webhookChannel(url: string): AlertChannel {
  return {
    name: 'webhook',
    async deliver(alert: SecurityAlert) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(alert),
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      });
      await response.body?.cancel();
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
    },
  };
}
