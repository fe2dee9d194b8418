import type Srf from 'drachtio-srf';
import { sendableStatus } from './sipStatus.js';

/** Headers that say what an INFO or MESSAGE body is (RFC 6086 Info-Package included): the rest are hop-by-hop. */
const CONTENT_HEADERS = ['Content-Type', 'Info-Package', 'Content-Disposition'] as const;

/**
 * An INFO or MESSAGE inside a connected call that is not callguard's to answer (a phone sending its
 * digits as SIP INFO to a bank's IVR, a text between two phones): passed to the other side, whose
 * answer comes back. drachtio-srf alone answers 200 and drops it.
 */
export function passInDialog(other: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse): void {
  const headers: Record<string, string> = {};
  for (const name of CONTENT_HEADERS) {
    const value = req.get(name);
    if (value !== undefined) headers[name] = value;
  }
  other.request({ method: req.method, headers, body: req.body } as unknown as Srf.SrfRequest).then(
    (answer) => res.send(sendableStatus(answer.status)),
    () => res.send(500),
  );
}
