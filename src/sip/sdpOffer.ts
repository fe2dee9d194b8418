/**
 * The SDP of a request: its body when that is SDP, or the `application/sdp` part of a multipart body
 * (RFC 5621: a phone or SBC may send SDP beside a PIDF-LO, ISUP or its own data); undefined when there
 * is none. Only the SDP is ever offered on to another leg or to the media server.
 */
export function sdpOf(contentType: string | undefined, body: string | undefined): string | undefined {
  if (!body) return undefined;
  const type = (contentType ?? 'application/sdp').toLowerCase();
  if (type.startsWith('application/sdp')) return body;
  if (!type.startsWith('multipart/')) return undefined;
  const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  const delimiter = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  if (delimiter === '--') return undefined;
  for (const part of body.split(delimiter).slice(1)) {
    if (part.startsWith('--')) break;
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    // A part without Content-Type is text/plain (RFC 2046 §5.1).
    if (!/^\s*content-type\s*:\s*application\/sdp/im.test(headers)) continue;
    // The CRLF before the next delimiter belongs to the delimiter; an SDP line ends with its own CRLF
    // (senders often leave just the one).
    const content = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    return content.endsWith('\n') ? content : `${content}\r\n`;
  }
  return undefined;
}

/** A SIP message's SDP (sdpOf of its Content-Type and body): an INVITE's offer, an ACK's answer. */
export function sdpOfMessage(message: { get(name: string): string | undefined; body?: string | undefined }): string | undefined {
  return sdpOf(message.get('content-type'), message.body);
}
