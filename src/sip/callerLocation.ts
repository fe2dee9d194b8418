import { bodyParts, contentId, type BodyPart } from './multipart.js';
import { uriList, type UriWithParams } from './uri.js';

/**
 * The location a caller's INVITE carries of itself (RFC 6442): a softphone's GPS fix, a teleworker's
 * home address, an upstream location server's answer. An emergency call passes it on before the site's
 * own: RFC 6442 keeps location values in the order they were added, and the caller's device may know
 * better than the plan where it is.
 */
export interface CallerLocation {
  /** Geolocation values in the caller's order, each `<uri>` with its parameters. */
  values: string[];
  /** The body parts those values' `cid:` URIs name (location by value), as they came. */
  parts: BodyPart[];
  /** Values not passed on, each with why (for the log). */
  dropped: string[];
}

/**
 * Location by value passed on is bounded: the emergency INVITE must stay one a trunk takes. Real
 * PIDF-LOs (a civic address, a point or a circle) are well under 2 KB.
 */
export const CALLER_LOCATION_MAX_BYTES = 4_096;

/** Schemes a location may be referenced by (RFC 6442 §4.1: cid, sip, sips, pres; RFC 5985: http, https). */
const BY_REFERENCE = new Set(['sip', 'sips', 'pres', 'http', 'https']);

/**
 * The caller's own location, or undefined when its INVITE has no Geolocation header. A `cid:` value
 * whose part is missing, or past the size bound, is dropped rather than sent dangling (a PSAP may
 * refuse the INVITE with 424). RFC 8787's `loc-src` is kept only from a trusted source: from anyone
 * else it would let a phone pass its location off as the network's.
 */
export function callerLocation(message: { get(name: string): string | undefined; body?: string | undefined }, trusted: boolean): CallerLocation | undefined {
  const header = message.get('geolocation');
  if (!header) return undefined;
  const found: CallerLocation = { values: [], parts: [], dropped: [] };
  const entries = uriList(header);
  if (entries.length === 0) found.dropped.push('Geolocation header unreadable');
  const parts = bodyParts(message.get('content-type'), message.body);
  let bytes = 0;
  for (const entry of entries) {
    const scheme = entry.uri.slice(0, Math.max(entry.uri.indexOf(':'), 0)).toLowerCase();
    if (scheme === 'cid') {
      const part = partNamed(parts, entry.uri.slice(4));
      if (!part) {
        found.dropped.push(`${entry.uri}: no body part has that Content-ID`);
        continue;
      }
      if (!found.parts.includes(part)) {
        const size = Buffer.byteLength(part.headers) + Buffer.byteLength(part.content);
        if (bytes + size > CALLER_LOCATION_MAX_BYTES) {
          found.dropped.push(`${entry.uri}: larger than ${CALLER_LOCATION_MAX_BYTES} bytes in all`);
          continue;
        }
        bytes += size;
        found.parts.push(part);
      }
    } else if (!BY_REFERENCE.has(scheme)) {
      found.dropped.push(scheme ? `a ${scheme}: URI, not one a location is conveyed by` : 'a value with no URI scheme');
      continue;
    }
    if (CONTROL_OR_SPACE.test(entry.uri)) {
      found.dropped.push('a URI with whitespace or control characters in it');
      continue;
    }
    found.values.push(locationValue(entry, trusted));
  }
  return found;
}

/** The part whose Content-ID a `cid:` URL names (RFC 2392: the URL is percent-encoded, the header is not). */
function partNamed(parts: BodyPart[], encodedId: string): BodyPart | undefined {
  let id: string;
  try {
    id = decodeURIComponent(encodedId);
  } catch {
    return undefined;
  }
  return parts.find((part) => contentId(part) === id);
}

/** Characters no URI in our own header may carry: a folded line (RFC 3261 §7.3.1) would reach drachtio-server, which will not send one. */
const CONTROL_OR_SPACE = /[\x00-\x20\x7f]/;
const CONTROL = /[\x00-\x1f\x7f]/;

function locationValue(entry: UriWithParams, trusted: boolean): string {
  const params = Object.entries(entry.params)
    .filter(([name]) => trusted || name.toLowerCase() !== 'loc-src')
    // A folded parameter value goes on one line, as RFC 3261 §7.3.1 reads it; anything else unprintable is left out.
    .map(([name, value]) => [name, value === undefined ? undefined : value.replace(/\r?\n[ \t]+/g, ' ')] as const)
    .filter(([, value]) => value === undefined || !CONTROL.test(value))
    .map(([name, value]) => (value === undefined ? `;${name}` : `;${name}=${value}`))
    .join('');
  return `<${entry.uri}>${params}`;
}
