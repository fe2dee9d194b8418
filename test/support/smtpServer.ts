/**
 * A local SMTP server for tests (the smtp-server package) on a free loopback port: plain SMTP, AUTH
 * PLAIN/LOGIN accepted for one user, every message kept with its envelope and its text decoded.
 * `refuse` makes it refuse a recipient (550), as a real server refuses an unknown mailbox.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  /** The AUTH user the client signed in as. */
  user: string | undefined;
  subject: string;
  /** Headers by lower-case name (unfolded). */
  headers: Record<string, string>;
  /** The text/plain body, transfer encoding undone. */
  text: string;
}

export interface TestSmtp {
  port: number;
  /** smtp://user:password@127.0.0.1:port, as SMTP_URL takes it. */
  url: string;
  mails: ReceivedMail[];
  refuse: Set<string>;
  close(): Promise<void>;
}

export const SMTP_USER = 'callguard';
export const SMTP_PASSWORD = 'smtp-secret';

/** Quoted-printable (RFC 2045 §6.7) as nodemailer writes long lines; other encodings are left as they are. */
function decodeBody(body: string, encoding: string | undefined): string {
  if (encoding?.toLowerCase() !== 'quoted-printable') return body;
  return Buffer.from(body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');
}

function parse(raw: string, envelope: { from: string; to: string[]; user: string | undefined }): ReceivedMail {
  const split = raw.indexOf('\r\n\r\n');
  const head = raw.slice(0, split).replace(/\r\n[ \t]+/g, ' ');
  const headers: Record<string, string> = {};
  for (const line of head.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { ...envelope, headers, subject: headers.subject ?? '', text: decodeBody(raw.slice(split + 4), headers['content-transfer-encoding']) };
}

export async function startSmtp(port = 0): Promise<TestSmtp> {
  const mails: ReceivedMail[] = [];
  const refuse = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (refuse.has(address.address)) callback(Object.assign(new Error('No such mailbox'), { responseCode: 550 }));
      else callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        const to = session.envelope.rcptTo.map((r) => r.address);
        mails.push(parse(Buffer.concat(chunks).toString('utf8'), { from, to, user: session.user as string | undefined }));
        callback();
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const bound = (server.server.address() as AddressInfo).port;
  return {
    port: bound,
    url: `smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${bound}`,
    mails,
    refuse,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
