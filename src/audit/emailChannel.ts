import { createTransport } from 'nodemailer';
import type { Logger } from 'pino';
import { lateLine } from './alertChannels.js';
import type { AlertChannel, LateDelivery } from './alertDispatcher.js';
import { alertHeadline, alertText, type SecurityAlert } from './securityAlert.js';

export interface EmailSettings {
  /** SMTP_URL: smtp://user:pass@host:port (STARTTLS when the server offers it) or smtps://user:pass@host:port. */
  smtpUrl: string;
  /** SMTP_FROM. */
  from: string;
  /** Where the console is, as a reader of the e-mail reaches it (CALLGUARD_CONSOLE_URL). */
  consoleUrl: string;
}

/**
 * Each SMTP step gives up after this: a server that accepts the connection and then says nothing must
 * not hold the alert's retries (the dispatcher's) for minutes, as nodemailer's defaults would.
 */
const SMTP_TIMEOUT_MS = 10_000;

/** The e-mail's subject: what happened, who and where; a follow-up (a note, a call-out acknowledgement) says it is one. */
function subject(alert: SecurityAlert, late: LateDelivery | undefined): string {
  const who = `ext ${alert.ext}${alert.name ? ` (${alert.name})` : ''}`;
  const update = alert.callOutAck ? ` - acknowledged by ${alert.callOutAck.by}` : alert.note ? ' - update' : '';
  return `${late ? '[late] ' : ''}${alertHeadline(alert)}: ${who}, ${alert.location || 'location unknown'}${update}`;
}

/**
 * An e-mail per alert to the plan's `site.security.email` addresses over SMTP (nodemailer), with the
 * alert's text and a link to the console. A send that fails throws: the dispatcher retries it, then keeps
 * it in the outbox like any channel's. An address the server refuses while it takes the others is logged,
 * not retried (a retry would mail the others twice).
 */
export function emailChannel(settings: EmailSettings, recipients: () => readonly string[], logger: Logger): AlertChannel & { close(): void } {
  const transport = createTransport({ url: settings.smtpUrl, connectionTimeout: SMTP_TIMEOUT_MS, greetingTimeout: SMTP_TIMEOUT_MS, socketTimeout: SMTP_TIMEOUT_MS });
  return {
    name: 'email',
    wants: () => recipients().length > 0,
    async deliver(alert: SecurityAlert, late?: LateDelivery) {
      const to = recipients();
      if (to.length === 0) return;
      const info = await transport.sendMail({
        from: settings.from,
        to: [...to],
        subject: subject(alert, late),
        text: `${alertText(alert)}${late ? lateLine(late) : ''}\r\nSecurity Control console: ${settings.consoleUrl}\r\n`,
        priority: alert.kind === 'emergency' ? 'high' : 'normal',
      });
      const refused = (info.rejected ?? []).map(String);
      if (refused.length > 0) logger.error({ callId: alert.callId, kind: alert.kind, refused }, 'alert e-mail: the SMTP server refused some addresses');
    },
    close: () => transport.close(),
  };
}
