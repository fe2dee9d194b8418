/** One part of a multipart body (RFC 2046 §5.1): its header block as written, and its content. */
export interface BodyPart {
  /** The part's header lines as they came (`Content-Type: ...\r\nContent-ID: <...>`). */
  headers: string;
  content: string;
}

/**
 * The parts of a multipart body (RFC 5621: SDP beside a PIDF-LO, ISUP or a sender's own data); empty
 * when the type is not multipart or names no boundary. A part's content ends with its own last line:
 * the CRLF before the next delimiter belongs to the delimiter.
 */
export function bodyParts(contentType: string | undefined, body: string | undefined): BodyPart[] {
  if (!body || !contentType?.toLowerCase().startsWith('multipart/')) return [];
  const boundary = /;\s*boundary\s*=\s*(?:"([^"]+)"|([^;\s]+))/i.exec(contentType);
  const delimiter = `--${boundary?.[1] ?? boundary?.[2] ?? ''}`;
  if (delimiter === '--') return [];
  const parts: BodyPart[] = [];
  for (const chunk of body.split(delimiter).slice(1)) {
    if (chunk.startsWith('--')) break;
    const part = chunk.replace(/^[ \t]*\r\n/, '');
    // A part may have no header lines at all: its content follows the blank line at once.
    const headerEnd = part.startsWith('\r\n') ? -2 : part.indexOf('\r\n\r\n');
    if (headerEnd === -1) continue;
    parts.push({ headers: part.slice(0, Math.max(headerEnd, 0)), content: part.slice(headerEnd + 4).replace(/\r\n$/, '') });
  }
  return parts;
}

/** A part's Content-ID without its angle brackets (RFC 2045 msg-id), as a `cid:` URL names it. */
export function contentId(part: BodyPart): string | undefined {
  return partHeader(part, 'content-id')?.replace(/^<|>$/g, '');
}

/** A header of a body part, trimmed; undefined when the part has none. */
export function partHeader(part: BodyPart, name: string): string | undefined {
  for (const line of part.headers.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === name) return line.slice(colon + 1).trim();
  }
  return undefined;
}
