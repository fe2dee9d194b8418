import type { CivicAddress } from '../policy/plan.js';
import type { CallerLocation } from './callerLocation.js';
import { contentId, type BodyPart } from './multipart.js';

/** Content-ID of the PIDF-LO part; the Geolocation header points at it (RFC 6442 §4.1). */
const CID = 'loc@cg';
const BOUNDARY = 'cgloc';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A PIDF-LO civic location (RFC 4119, RFC 5139, RFC 5491), written without whitespace or spare
 * namespaces, XML declaration or optional elements, so the emergency INVITE stays small enough for UDP
 * as often as it can (RFC 3261 §18.1.1: within 200 bytes of a 1,500-byte MTU).
 */
export function pidfLo(entity: string, address: CivicAddress, loc: string | undefined): string {
  const fields = Object.entries(address).filter(([, v]) => v !== undefined && v !== '');
  if (loc) fields.push(['LOC', loc]);
  const civic = fields.map(([k, v]) => `<${k}>${escapeXml(v)}</${k}>`).join('');
  // Each namespace is the default of the element it starts at, so no element name carries a prefix.
  return (
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:${escapeXml(entity)}"><tuple id="t"><status>` +
    '<geopriv xmlns="urn:ietf:params:xml:ns:pidf:geopriv10"><location-info>' +
    `<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">${civic}</civicAddress></location-info>` +
    '<usage-rules/></geopriv></status></tuple></presence>'
  );
}

/** RFC 3261 §18.1.1: a request within 200 bytes of a 1,500-byte MTU may go over UDP; larger ones must not. */
export const UDP_REQUEST_LIMIT = 1_300;

export interface LocatedBody {
  body: string;
  headers: Record<string, string>;
  /** Whether the whole request, with the request's other `headerBytes`, fits one UDP datagram. */
  fitsUdp: boolean;
}

/**
 * The emergency INVITE's body (SDP, the caller's own location parts, then the whole PIDF-LO: no civic
 * element is ever left out) and its headers, and whether the request fits one UDP datagram with its
 * other `headerBytes`.
 */
export function locatedBody(sdp: string, entity: string, address: CivicAddress, loc: string | undefined, headerBytes: number, caller?: CallerLocation): LocatedBody {
  const { body, headers } = sdpWithLocation(sdp, pidfLo(entity, address, loc), caller);
  const own = Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  return { body, headers, fitsUdp: headerBytes + own + Buffer.byteLength(body) <= UDP_REQUEST_LIMIT };
}

/**
 * The emergency INVITE's body: the caller's SDP beside the PIDF-LO, and the headers that go with it.
 * A caller that made no offer (`sdp` empty) gets the PIDF-LO alone: an empty SDP part would be an offer
 * with nothing in it, which a trunk refuses. The caller's own location values come first and ours last,
 * as RFC 6442 orders values by who added them.
 */
export function sdpWithLocation(sdp: string, pidf: string, caller?: CallerLocation): { body: string; headers: Record<string, string> } {
  const callerParts = caller?.parts ?? [];
  const cid = ownContentId(callerParts);
  const contents = [sdp, ...callerParts.map((p) => p.headers + p.content), pidf];
  // The boundary must occur in no part: a caller's text could otherwise end our body early.
  let boundary = BOUNDARY;
  for (let n = 2; contents.some((c) => c.includes(`--${boundary}`)); n++) boundary = `${BOUNDARY}${n}`;
  const part = (headers: string, content: string) => `--${boundary}\r\n${headers}\r\n\r\n${content.endsWith('\r\n') ? content : `${content}\r\n`}`;
  const body =
    (sdp ? part('Content-Type: application/sdp', sdp) : '') +
    callerParts.map((p) => part(p.headers, p.content)).join('') +
    part(`Content-Type: application/pidf+xml\r\nContent-ID: <${cid}>`, pidf) +
    `--${boundary}--\r\n`;
  return {
    body,
    headers: {
      'Content-Type': `multipart/mixed;boundary=${boundary}`,
      Geolocation: [...(caller?.values ?? []), `<cid:${cid}>`].join(', '),
    },
  };
}

/** Our PIDF-LO's Content-ID, one no part of the caller's already has. */
function ownContentId(callerParts: BodyPart[]): string {
  const taken = new Set(callerParts.map(contentId));
  let cid = CID;
  for (let n = 2; taken.has(cid); n++) cid = `loc${n}@cg`;
  return cid;
}
