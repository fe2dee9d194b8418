import { bodyParts, partHeader } from './multipart.js';

/**
 * The SDP of a request: its body when that is SDP, or the `application/sdp` part of a multipart body
 * (RFC 5621: a phone or SBC may send SDP beside a PIDF-LO, ISUP or its own data); undefined when there
 * is none. Only the SDP is ever offered on to another leg or to the media server.
 */
export function sdpOf(contentType: string | undefined, body: string | undefined): string | undefined {
  if (!body) return undefined;
  const type = (contentType ?? 'application/sdp').toLowerCase();
  if (type.startsWith('application/sdp')) return body;
  // A part without Content-Type is text/plain (RFC 2046 §5.1).
  const part = bodyParts(contentType, body).find((p) => partHeader(p, 'content-type')?.toLowerCase().startsWith('application/sdp'));
  if (!part) return undefined;
  // An SDP line ends with its own CRLF; senders often leave just the delimiter's.
  return part.content.endsWith('\n') ? part.content : `${part.content}\r\n`;
}

/** A SIP message's SDP (sdpOf of its Content-Type and body): an INVITE's offer, an ACK's answer. */
export function sdpOfMessage(message: { get(name: string): string | undefined; body?: string | undefined }): string | undefined {
  return sdpOf(message.get('content-type'), message.body);
}
