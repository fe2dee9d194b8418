/**
 * SIP as written, over UDP on 127.0.0.1, for the torture tests: a socket that sends text byte for byte
 * and keeps every datagram it receives, read with drachtio-srf's own parser (so nothing here parses SIP
 * by hand); a caller's ACK and BYE; and a far end that answers INVITEs with scripted response texts.
 */
import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import Srf from 'drachtio-srf';
import { waitFor } from '../support/lab.js';
import * as sipText from '../support/sipText.js';
import { responseHead, type AnsweredRequest } from '../sip/rfc4475Messages.js';

/** A SIP message as drachtio-srf reads it (its SipMessage), with the start-line fields it sets. */
export type ReadSip = Srf.SipMessage & { method?: string; uri?: string; status?: number; reason?: string };

const SipMessage = (Srf as unknown as { SipMessage: new (raw: string) => ReadSip }).SipMessage;

/** What drachtio-srf's Via and CSeq parsers return (its typings leave out the parameters). */
interface ParsedVia {
  version: string;
  protocol: string;
  host: string;
  port?: number;
  params: Record<string, string | undefined>;
}
const viasOf = (m: ReadSip): ParsedVia[] => m.getParsedHeader('via') as unknown as ParsedVia[];
const cseqOf = (m: ReadSip): AnsweredRequest['cseq'] => m.getParsedHeader('cseq') as unknown as AnsweredRequest['cseq'];
const toTagOf = (m: ReadSip): string | undefined => m.getParsedHeader('to').params?.tag as string | undefined;

/** drachtio-srf's reading of `text`, or undefined where its parser gives up. */
function readSip(text: string): ReadSip | undefined {
  try {
    return new SipMessage(text);
  } catch {
    return undefined;
  }
}

export interface Datagram {
  text: string;
  message: ReadSip | undefined;
  from: { address: string; port: number };
}

/** One UDP socket on 127.0.0.1 that sends SIP text as given and records every datagram it receives. */
export class SipSocket {
  readonly received: Datagram[] = [];
  private onDatagram: ((d: Datagram) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.on('message', (buffer, rinfo) => {
      const text = buffer.toString('utf8');
      const datagram = { text, message: readSip(text), from: { address: rinfo.address, port: rinfo.port } };
      this.received.push(datagram);
      this.onDatagram?.(datagram);
    });
  }

  static async bind(port = 0): Promise<SipSocket> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, '127.0.0.1', () => resolve());
    });
    return new SipSocket(socket);
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** Calls `handler` for each datagram from now on (one handler at a time). */
  handle(handler: (d: Datagram) => void): void {
    this.onDatagram = handler;
  }

  send(text: string, port: number, address = '127.0.0.1'): void {
    this.socket.send(Buffer.from(text, 'utf8'), port, address);
  }

  /** The responses received for a Call-ID, in order. */
  responses(callId: string): ReadSip[] {
    return this.received.flatMap((d) => (d.message?.status !== undefined && d.message.get('call-id') === callId ? [d.message] : []));
  }

  /** The first final response for a Call-ID, waiting for it. */
  finalResponse(callId: string, timeoutMs = 30_000): Promise<ReadSip> {
    return waitFor(`a final response for ${callId}`, () => this.responses(callId).find((r) => r.status! >= 200), timeoutMs, 20);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

/** The top Via of a response as drachtio-srf reads it, written back (sent-by and branch). */
function topVia(response: ReadSip): string {
  const via = viasOf(response)[0]!;
  const branch = via.params.branch ? `;branch=${via.params.branch}` : '';
  return `SIP/${via.version}/${via.protocol} ${via.host}${via.port ? `:${via.port}` : ''}${branch}`;
}

/**
 * The ACK for a failure response (RFC 3261 §17.1.1.3): the INVITE's Request-URI and top Via, the
 * response's To. Without the INVITE's Request-URI (drachtio-srf cannot read the request) there is none
 * to send; the server's retransmissions then simply stop at Timer H.
 */
export function ackFailure(socket: SipSocket, request: string, response: ReadSip, serverPort: number): void {
  const invite = readSip(request);
  // drachtio-server's stateless refusal of a header it cannot read (400 Bad CSeq Header) has nothing to ACK
  if (!invite?.uri || !response.has('cseq') || !response.has('via')) return;
  const lines = [
    `ACK ${invite.uri} SIP/2.0`,
    `Via: ${topVia(response)}`,
    'Max-Forwards: 70',
    `From: ${response.get('from')}`,
    `To: ${response.get('to')}`,
    `Call-ID: ${response.get('call-id')}`,
    `CSeq: ${cseqOf(response).seq} ACK`,
    'Content-Length: 0',
  ];
  socket.send(lines.join('\r\n') + '\r\n\r\n', serverPort);
}

/** The caller's side of an answered call: ACK the 2xx, then hang up and wait for the 200 to the BYE. */
export async function ackAndHangUp(socket: SipSocket, ok: ReadSip, serverPort: number): Promise<ReadSip> {
  const cseq = cseqOf(ok);
  const contact = ok.getParsedHeader('contact')[0]!;
  const dialog = { ruri: contact.uri, from: ok.get('from'), to: ok.get('to'), callId: ok.get('call-id'), via: `127.0.0.1:${socket.port}` };
  socket.send(sipText.ack({ ...dialog, cseq: cseq.seq }), serverPort);
  const bye = sipText.bye({ ...dialog, cseq: cseq.seq + 1 });
  socket.send(bye, serverPort);
  return waitFor('the 200 to the BYE', () => socket.responses(dialog.callId).find((r) => r.status === 200 && cseqOf(r).method === 'BYE'), 30_000, 20);
}

/** How a far end answers one INVITE: response texts, in order. */
export type Answer = Array<(invite: AnsweredRequest) => string>;

/**
 * A far end (the PBX, a trunk, Security Control) on its own port: answers each INVITE with the texts of
 * `answer`, every other request with 200 OK, and keeps what it was sent.
 */
export class FarEnd {
  answer: Answer = [];
  readonly invites: ReadSip[] = [];

  private constructor(readonly socket: SipSocket) {
    socket.handle((d) => this.onDatagram(d));
  }

  static async bind(port: number): Promise<FarEnd> {
    return new FarEnd(await SipSocket.bind(port));
  }

  private onDatagram({ message, from }: Datagram): void {
    if (!message?.method || message.method === 'ACK') return;
    const toTag = randomBytes(5).toString('hex');
    const request: AnsweredRequest = {
      via: [message.get('via')],
      from: message.get('from'),
      to: toTagOf(message) ? message.get('to') : `${message.get('to')};tag=${toTag}`,
      callId: message.get('call-id'),
      cseq: cseqOf(message),
      contact: `sip:far@127.0.0.1:${this.socket.port}`,
    };
    const texts = message.method === 'INVITE' ? this.answer : [ok];
    if (message.method === 'INVITE') this.invites.push(message);
    for (const text of texts) this.socket.send(text(request), from.port, from.address);
  }

  close(): Promise<void> {
    return this.socket.close();
  }
}

/** 200 OK to a request that is not an INVITE (BYE, MESSAGE). */
const ok = (request: AnsweredRequest): string => [...responseHead('SIP/2.0 200 OK', request), 'Content-Length: 0', '', ''].join('\r\n');
