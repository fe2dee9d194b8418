import { connect } from 'node:net';

/** FreeSWITCH answers in milliseconds; a busy one well within this. */
const PROBE_TIMEOUT_MS = 10_000;

export interface EslAddress {
  host: string;
  port: number;
  secret: string;
}

/** One event-socket message: its headers, and the body when Content-Length gives one. */
interface EslMessage {
  headers: Map<string, string>;
  body: string;
}

/**
 * Checks, on an event-socket session of its own, that FreeSWITCH is up, takes the password and runs the
 * SIP profile drachtio-fsmrf sends its INVITEs to. drachtio-fsmrf 4.1.2's connect is only safe after
 * that: a failed connect keeps reconnecting on its own (a connection left behind per attempt), a wrong
 * password leaves it pending forever, and a profile not yet running (FreeSWITCH starting) throws where
 * nothing can catch it, ending the process.
 */
export function probeEventSocket({ host, port, secret }: EslAddress, profile = 'drachtio_mrf', timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let buffer = Buffer.alloc(0);
    let step: 'auth-request' | 'auth-reply' | 'sofia-status' = 'auth-request';
    let done = false;
    const finish = (error?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.removeAllListeners('data');
      socket.on('error', () => undefined); // the session is over either way
      socket.end();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(() => finish(new Error(`no answer on the event socket within ${timeoutMs / 1000} s`)), timeoutMs);
    socket.once('error', (error) => finish(error));
    socket.once('close', () => finish(new Error('FreeSWITCH closed the event socket')));
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (let message = takeMessage(); message; message = takeMessage()) {
        const type = message.headers.get('content-type');
        if (type === 'text/rude-rejection') return finish(new Error('FreeSWITCH refused the connection (its event-socket ACL)'));
        if (step === 'auth-request' && type === 'auth/request') {
          socket.write(`auth ${secret}\n\n`);
          step = 'auth-reply';
        } else if (step === 'auth-reply' && type === 'command/reply') {
          if (!message.headers.get('reply-text')?.startsWith('+OK')) return finish(new Error('FreeSWITCH refused the event-socket password (FREESWITCH_SECRET)'));
          socket.write('api sofia status\n\n');
          step = 'sofia-status';
        } else if (step === 'sofia-status' && type === 'api/response') {
          // drachtio-fsmrf reads the profile's address from this same listing.
          const running = new RegExp(`^\\s*${profile}\\s+profile\\s+sip:mod_sofia@\\S+\\s+RUNNING`, 'm').test(message.body);
          socket.write('exit\n\n');
          return finish(running ? undefined : new Error(`FreeSWITCH has no ${profile} SIP profile running (yet)`));
        }
      }
    });

    /** The next whole message from the buffer, if one has arrived. */
    function takeMessage(): EslMessage | undefined {
      const end = buffer.indexOf('\n\n');
      if (end < 0) return undefined;
      const headers = new Map<string, string>();
      for (const line of buffer.subarray(0, end).toString('utf8').split('\n')) {
        const colon = line.indexOf(':');
        if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
      const length = Number(headers.get('content-length') ?? 0);
      if (buffer.length < end + 2 + length) return undefined;
      const body = buffer.subarray(end + 2, end + 2 + length).toString('utf8');
      buffer = buffer.subarray(end + 2 + length);
      return { headers, body };
    }
  });
}
