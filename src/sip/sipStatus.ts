import phrases from 'sip-status';

/**
 * A far end's status as drachtio-srf will send it on: its Response#send throws on any status its list
 * (sip-status) does not name, and a throw there, inside drachtio-srf's response handling, ends the
 * process. RFC 3261 §8.1.3.2 and §21: an unknown 1xx is taken as 183 (with a body) or ringing, an
 * unknown final status as the x00 of its class (608 Rejected, RFC 8688, goes on as 600).
 */
export function sendableStatus(status: number, hasBody = false): number {
  if (status in phrases) return status;
  if (status < 200) return hasBody ? 183 : 180;
  const base = Math.floor(status / 100) * 100;
  return base in phrases ? base : 500;
}

type Send = (status: number, ...rest: unknown[]) => unknown;

/**
 * `res` for drachtio-srf's own B2BUA, which passes a far end's provisional statuses to Response#send
 * as they come: each is sent as `sendableStatus` makes it, with the list's phrase when it had to change.
 */
export function sendingKnownStatuses<Response extends { send: unknown }>(res: Response): Response {
  const send = (res.send as Send).bind(res);
  (res as { send: Send }).send = (status, ...rest) => {
    const sendable = sendableStatus(status, rest.some((arg) => typeof arg === 'object' && arg !== null && 'body' in arg && Boolean(arg.body)));
    if (sendable !== status && typeof rest[0] === 'string') rest[0] = undefined;
    return send(sendable, ...rest);
  };
  return res;
}

/**
 * Headers a failure means nothing without (RFC 3261 §21.4, RFC 4028 §6): what the caller may send
 * instead (405, 415, 420), the interval it must ask for (422, 423); and, for any, when to try again.
 */
const NEEDED_HEADERS: Readonly<Record<number, readonly string[]>> = {
  405: ['Allow'],
  415: ['Accept', 'Accept-Encoding', 'Accept-Language'],
  420: ['Unsupported'],
  422: ['Min-SE'],
  423: ['Min-Expires'],
};

/** Those of `res`'s headers its status needs, to go with it when it is passed on; undefined when none. */
export function neededHeaders(status: number, res: { get(name: string): string | undefined }): Record<string, string> | undefined {
  let headers: Record<string, string> | undefined;
  for (const name of [...(NEEDED_HEADERS[status] ?? []), 'Retry-After']) {
    const value = res.get(name);
    if (value !== undefined) (headers ??= {})[name] = value;
  }
  return headers;
}
