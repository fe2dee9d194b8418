import type Srf from 'drachtio-srf';

/** The headers drachtio-srf copies from a request into each of its responses. */
const COPIED = ['call-id', 'cseq', 'from', 'to'];

/** A response's own header table, which drachtio-srf's typings leave out (its `set` would append). */
type HeaderTable = { getHeaderName(name: string): string | undefined; headers: Record<string, string> };

/**
 * drachtio-srf copies Call-ID, CSeq, From and To into every response as the request wrote them. A
 * value folded over lines (RFC 3261 §7.3.1 allows it) makes drachtio-server refuse to send any of
 * them: the caller got no 183 and, once the far end had answered, a 500. Each is given to the
 * response on one line, which means the same.
 */
export function unfoldCopiedHeaders(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
  for (const header of COPIED) {
    const value = req.get(header);
    if (value === undefined || !value.includes('\n')) continue;
    const table = res as unknown as HeaderTable;
    const name = table.getHeaderName(header);
    if (name) table.headers[name] = value.replace(/\r?\n[ \t]+/g, ' ');
  }
}
