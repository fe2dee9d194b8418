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
