import type { CivicAddress } from '../policy/plan.js';

/** Content-ID of the PIDF-LO part; the Geolocation header points at it (RFC 6442 §4.1). */
const CID = 'loc@cg';
const BOUNDARY = 'cgloc';

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * A PIDF-LO civic location (RFC 4119, RFC 5139, RFC 5491), written without whitespace or spare
 * namespaces, XML declaration or optional elements: the emergency INVITE must stay small enough for
 * UDP (RFC 3261 §18.1.1: within 200 bytes of a 1,500-byte MTU).
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

/**
 * Civic elements given up, in this order, when the INVITE would not fit one UDP datagram. Country,
 * town (A3), road, house number, postcode and the phone's location (LOC) are what a PSAP dispatches on.
 */
const DROP_ORDER = ['A2', 'NAM', 'A1', 'A4', 'A5', 'A6', 'PRD', 'POD', 'STS', 'HNS', 'LMK', 'BLD', 'FLR', 'UNIT', 'ROOM', 'SEAT', 'PLC'];
const SHORTEST_LOC = 16;

export interface LocatedBody {
  body: string;
  headers: Record<string, string>;
  /** Civic elements left out (or `LOC` shortened) to fit, for the log. */
  trimmed: string[];
}

/**
 * The emergency INVITE's body (SDP beside a PIDF-LO) and its headers, fitted with the request's other
 * `headerBytes` into one UDP datagram: optional civic elements are dropped, then LOC shortened, until it fits.
 */
export function locatedBody(sdp: string, entity: string, address: CivicAddress, loc: string | undefined, headerBytes: number): LocatedBody {
  const fields: { country: string } & Record<string, string> = { ...address };
  const trimmed: string[] = [];
  let location = loc;
  for (let i = 0; ; ) {
    const { body, headers } = sdpWithLocation(sdp, pidfLo(entity, fields, location));
    const own = Object.entries(headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    const over = headerBytes + own + Buffer.byteLength(body) - UDP_REQUEST_LIMIT;
    if (over <= 0) return { body, headers, trimmed };
    const next = DROP_ORDER.slice(i).find((f) => fields[f] !== undefined);
    if (next !== undefined) {
      delete fields[next];
      trimmed.push(next);
      i = DROP_ORDER.indexOf(next) + 1;
    } else if (location !== undefined && location.length > SHORTEST_LOC) {
      location = location.slice(0, Math.max(SHORTEST_LOC, location.length - over));
      if (!trimmed.includes('LOC')) trimmed.push('LOC');
    } else {
      return { body, headers, trimmed };
    }
  }
}

/** The emergency INVITE's body: the caller's SDP beside the PIDF-LO, and the headers that go with it. */
export function sdpWithLocation(sdp: string, pidf: string): { body: string; headers: Record<string, string> } {
  const part = (type: string, extra: string, content: string) => `--${BOUNDARY}\r\nContent-Type: ${type}\r\n${extra}\r\n${content.endsWith('\r\n') ? content : `${content}\r\n`}`;
  const body = part('application/sdp', '', sdp) + part('application/pidf+xml', `Content-ID: <${CID}>\r\n`, pidf) + `--${BOUNDARY}--\r\n`;
  return {
    body,
    headers: {
      'Content-Type': `multipart/mixed;boundary=${BOUNDARY}`,
      Geolocation: `<cid:${CID}>`,
    },
  };
}
