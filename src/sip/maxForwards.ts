import type Srf from 'drachtio-srf';

// drachtio-srf's own typing of the middleware continuation.
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
type Next = Function;

/** RFC 3261 §8.1.1.6: what a request without a readable Max-Forwards is taken to carry. */
const DEFAULT_HOPS = 70;

/** The hops a request may still take: its Max-Forwards. */
export function hopsLeft(req: { get(name: string): string | undefined }): number {
  const value = Number(req.get('max-forwards')?.trim());
  return Number.isInteger(value) && value >= 0 ? Math.min(value, 255) : DEFAULT_HOPS;
}

/**
 * RFC 3261 §16.3: a request with no hops left has been round a loop (it already went through us, and
 * on, about 70 times), so it is refused whatever it dials; every B-leg carries one hop less
 * (CallSession.dial).
 */
export function refuseLoops(req: Srf.SrfRequest, res: Srf.SrfResponse, next: Next): void {
  if (hopsLeft(req) === 0) {
    res.send(483);
    return;
  }
  next();
}
