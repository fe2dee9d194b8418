
/**
 * RFC 4028 session timers: what callguard offers on the legs it places and answers the caller. The far
 * ends refresh, through callguard: a refresh that finds callguard gone (kill -9, a dead machine) fails,
 * and the phone or trunk ends its side of the call instead of holding a dead call forever. drachtio-server
 * arms a timer on every dialog whose INVITE or 2xx names Session-Expires and tears down one whose far end
 * stops refreshing, so a far end that is gone ends the call too. (Were callguard's drachtio-server the
 * refresher, it would go on refreshing a call whose callguard had died.)
 */

/** RFC 4028's floor for Session-Expires (and the Min-SE we send). */
export const MIN_SESSION_EXPIRES = 90;

/** The headers of an INVITE callguard places: the callee refreshes the session (RFC 4028 section 9 binds it to). */
export function offerHeaders(seconds: number): Record<string, string> {
  return { Supported: 'timer', 'Session-Expires': `${seconds};refresher=uas`, 'Min-SE': String(MIN_SESSION_EXPIRES) };
}

/**
 * The Session-Expires (and Require) of callguard's 2xx to a request that supports timers or asks for
 * one: the caller's INVITE (a proxy on the way may add it), or a session refresh answered here (an
 * UPDATE without an offer, RFC 4028 §9). Never shorter than the request's Min-SE nor longer than ours;
 * its sender refreshes unless it asked callguard to. Undefined: no timer on that leg.
 */
export function timerAnswerHeaders(request: { get(name: string): string | undefined }, ours: number): Record<string, string> | undefined {
  const supported = (request.get('Supported') ?? '').split(',').some((tag) => tag.trim().toLowerCase() === 'timer');
  // `delta-seconds *(;param)`: drachtio-srf has no parser for this header.
  const [delta, ...params] = (request.get('Session-Expires') ?? '').split(';').map((part) => part.trim().toLowerCase());
  const asked = Number(delta) > 0 ? Number(delta) : undefined;
  if (!supported && asked === undefined) return undefined;
  const floor = Math.max(MIN_SESSION_EXPIRES, minSeSeconds(request.get('Min-SE')) || 0);
  const seconds = Math.max(floor, Math.min(asked ?? ours, ours));
  // Only a caller that supports timers can be told to refresh (RFC 4028 section 9), and one that asked us is obeyed.
  const refresher = supported && !params.includes('refresher=uas') ? 'uac' : 'uas';
  return { 'Session-Expires': `${seconds};refresher=${refresher}`, ...(supported ? { Require: 'timer' } : {}) };
}

/** The Session-Expires to offer again after a 422: the far end's Min-SE, when it is one and above `ours`. */
export function longerSessionExpires(minSe: string | undefined, ours: number): number | undefined {
  const floor = minSeSeconds(minSe);
  return Number.isInteger(floor) && floor > ours ? floor : undefined;
}

/** A Min-SE header's seconds (`delta-seconds *(;param)`: drachtio-srf has no parser for it); NaN when it has none. */
function minSeSeconds(value: string | undefined): number {
  return Number(value?.split(';')[0]?.trim());
}
