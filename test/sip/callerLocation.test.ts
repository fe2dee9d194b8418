import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CALLER_LOCATION_MAX_BYTES, callerLocation } from '../../src/sip/callerLocation.js';
import { pidfLo, sdpWithLocation } from '../../src/sip/locationByValue.js';
import { bodyParts, partHeader } from '../../src/sip/multipart.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
/** A softphone's geodetic fix (RFC 5491 point), as a device sends it. */
const DEVICE_PIDF =
  '<?xml version="1.0" encoding="UTF-8"?>\r\n<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:gml="http://www.opengis.net/gml" entity="pres:alice@192.0.2.10">\r\n' +
  '<tuple id="gps"><status><gp:geopriv><gp:location-info><gml:Point srsName="urn:ogc:def:crs:EPSG::4326"><gml:pos>51.7520 -0.2400</gml:pos></gml:Point></gp:location-info>' +
  '<gp:usage-rules/><gp:method>GPS</gp:method></gp:geopriv></status></tuple></presence>';
const SITE = { country: 'GB', A3: 'Hatfield', RD: 'College Lane' };

const multipart = (boundary: string, ...parts: string[]) => parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`;
const message = (headers: Record<string, string>, body?: string) => ({ get: (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1], body });
const deviceBody = multipart('dev', `Content-Type: application/sdp\r\n\r\n${SDP}`, `Content-Type: application/pidf+xml\r\nContent-ID: <gps@192.0.2.10>\r\n\r\n${DEVICE_PIDF}`);
const deviceHeaders = { 'Content-Type': 'multipart/mixed; boundary=dev' };

describe("a caller's own location (RFC 6442)", () => {
  it('is absent when the INVITE has no Geolocation header, even with a PIDF-LO in its body', () => {
    expect(callerLocation(message(deviceHeaders, deviceBody), false)).toBeUndefined();
  });

  it('by value: the cid value and the body part it names, exactly as they came', () => {
    const found = callerLocation(message({ ...deviceHeaders, Geolocation: '<cid:gps@192.0.2.10>' }, deviceBody), false)!;
    expect(found.values).toEqual(['<cid:gps@192.0.2.10>']);
    expect(found.parts).toHaveLength(1);
    expect(partHeader(found.parts[0]!, 'content-id')).toBe('<gps@192.0.2.10>');
    expect(found.parts[0]!.content).toBe(DEVICE_PIDF);
    expect(found.dropped).toEqual([]);
  });

  it('by reference (sip, sips, pres, http, https) and from several header lines, in the order sent', () => {
    const refs = '<https://lis.example.com:8222/y77syc7cuecbh>, <sips:3sdefrhy2jj7@lis.example.com;transport=tls>, <pres:alice@example.com>';
    const found = callerLocation(message({ Geolocation: `${refs},<cid:gps@192.0.2.10>`, ...deviceHeaders }, deviceBody), false)!;
    expect(found.values).toEqual(['<https://lis.example.com:8222/y77syc7cuecbh>', '<sips:3sdefrhy2jj7@lis.example.com;transport=tls>', '<pres:alice@example.com>', '<cid:gps@192.0.2.10>']);
  });

  it('a cid naming no part, an unknown scheme or an unreadable header is dropped with a reason, never sent dangling', () => {
    expect(callerLocation(message({ Geolocation: '<<<' }), false)!.dropped).toEqual(['a value with no URI scheme']);
    const found = callerLocation(message({ ...deviceHeaders, Geolocation: '<cid:missing@x>, <geo:51.75,-0.24>, <cid:gps@192.0.2.10>' }, deviceBody), false)!;
    expect(found.values).toEqual(['<cid:gps@192.0.2.10>']);
    expect(found.dropped).toEqual(['cid:missing@x: no body part has that Content-ID', 'a geo: URI, not one a location is conveyed by']);
    expect(callerLocation(message({ Geolocation: '<>' }), false)).toEqual({ values: [], parts: [], dropped: ['Geolocation header unreadable'] });
  });

  it('a parameter folded over lines goes on one line, a flag parameter keeps no "=", and a URI with whitespace in it is dropped: our own header must be one drachtio-server sends', () => {
    const found = callerLocation(message({ Geolocation: '<https://lis.example.com/x>;note="a\r\n b";inserted-by, <https://lis.example.com/a\r\n b>' }), false)!;
    expect(found.values).toEqual(['<https://lis.example.com/x>;note="a b";inserted-by']);
    expect(found.dropped).toEqual(['a URI with whitespace or control characters in it']);
  });

  it("RFC 8787's loc-src is kept from a trusted source only: a phone cannot pass its location off as the network's", () => {
    const headers = { ...deviceHeaders, Geolocation: '<cid:gps@192.0.2.10>;loc-src=edge.example.com' };
    expect(callerLocation(message(headers, deviceBody), false)!.values).toEqual(['<cid:gps@192.0.2.10>']);
    expect(callerLocation(message(headers, deviceBody), true)!.values).toEqual(['<cid:gps@192.0.2.10>;loc-src=edge.example.com']);
  });

  it(`location by value past ${CALLER_LOCATION_MAX_BYTES} bytes is dropped, by reference still passed`, () => {
    const big = multipart('dev', `Content-Type: application/pidf+xml\r\nContent-ID: <big@x>\r\n\r\n${'<x/>'.repeat(CALLER_LOCATION_MAX_BYTES / 4)}`);
    const found = callerLocation(message({ 'Content-Type': 'multipart/mixed;boundary=dev', Geolocation: '<cid:big@x>, <https://lis.example.com/1>' }, big), false)!;
    expect(found.values).toEqual(['<https://lis.example.com/1>']);
    expect(found.parts).toEqual([]);
    expect(found.dropped).toEqual([`cid:big@x: larger than ${CALLER_LOCATION_MAX_BYTES} bytes in all`]);
  });

  it('a part named twice is passed once, and one too large does not crowd out a smaller one after it', () => {
    const body = multipart('dev', `Content-Type: application/pidf+xml\r\nContent-ID: <big@x>\r\n\r\n${'<x/>'.repeat(CALLER_LOCATION_MAX_BYTES / 4)}`, `Content-Type: application/pidf+xml\r\nContent-ID: <gps@192.0.2.10>\r\n\r\n${DEVICE_PIDF}`);
    const found = callerLocation(message({ 'Content-Type': 'multipart/mixed;boundary=dev', Geolocation: '<cid:big@x>, <cid:gps@192.0.2.10>, <cid:gps@192.0.2.10>' }, body), false)!;
    expect(found.parts.map((p) => partHeader(p, 'content-id'))).toEqual(['<gps@192.0.2.10>']);
    expect(found.dropped).toEqual([`cid:big@x: larger than ${CALLER_LOCATION_MAX_BYTES} bytes in all`]);
  });
});

describe("the emergency INVITE's body with the caller's location", () => {
  const ours = pidfLo('+441707284101', SITE, 'Lindop Building, room 2F410');

  it("puts the caller's values first and ours last, with every part whole", () => {
    const theirs = callerLocation(message({ ...deviceHeaders, Geolocation: '<cid:gps@192.0.2.10>, <https://lis.example.com/1>' }, deviceBody), false)!;
    const { body, headers } = sdpWithLocation(SDP, ours, theirs);
    expect(headers.Geolocation).toBe('<cid:gps@192.0.2.10>, <https://lis.example.com/1>, <cid:loc@cg>');
    const parts = bodyParts(headers['Content-Type'], body);
    expect(parts.map((p) => partHeader(p, 'content-id'))).toEqual([undefined, '<gps@192.0.2.10>', '<loc@cg>']);
    expect(parts.map((p) => p.content)).toEqual([SDP.slice(0, -2), DEVICE_PIDF, ours]);
  });

  it("takes another Content-ID when the caller's part has ours, and another boundary when a part holds ours", () => {
    const hostile = multipart('dev', `Content-Type: application/pidf+xml\r\nContent-ID: <loc@cg>\r\n\r\n<presence>--cgloc--</presence>`);
    const theirs = callerLocation(message({ 'Content-Type': 'multipart/mixed;boundary=dev', Geolocation: '<cid:loc@cg>' }, hostile), false)!;
    const { body, headers } = sdpWithLocation(SDP, ours, theirs);
    expect(headers['Content-Type']).toBe('multipart/mixed;boundary=cgloc2');
    expect(headers.Geolocation).toBe('<cid:loc@cg>, <cid:loc2@cg>');
    const parts = bodyParts(headers['Content-Type'], body);
    expect(parts.map((p) => p.content)).toEqual([SDP.slice(0, -2), '<presence>--cgloc--</presence>', ours]);
  });

  it('is unchanged without a caller location', () => {
    expect(sdpWithLocation(SDP, ours)).toEqual(sdpWithLocation(SDP, ours, { values: [], parts: [], dropped: [] }));
    expect(sdpWithLocation(SDP, ours).headers.Geolocation).toBe('<cid:loc@cg>');
  });
});

describe("a caller's location on whatever a caller sends", () => {
  const piece = fc.oneof(fc.constantFrom('<cid:gps@192.0.2.10>', '<https://lis.example.com/1>', ';loc-src=x', ',', '<', '>', '%', '%zz', 'cid:', '"', '--dev', '\r\n', 'Content-ID: <gps@192.0.2.10>'), fc.string({ maxLength: 12 }));
  const text = fc.array(piece, { maxLength: 12 }).map((p) => p.join(''));
  it('never throws; each value kept is a <URI>, and the body built with them keeps every part whole', () => {
    fc.assert(
      fc.property(text, text, fc.boolean(), (geolocation, body, trusted) => {
        const found = callerLocation(message({ Geolocation: geolocation, 'Content-Type': 'multipart/mixed;boundary=dev' }, `--dev\r\n${body}\r\n--dev--\r\n`), trusted);
        if (!geolocation) {
          expect(found).toBeUndefined();
          return;
        }
        for (const value of found!.values) expect(value).toMatch(/^<[^>]+>/);
        const { body: built, headers } = sdpWithLocation(SDP, '<presence/>', found);
        expect(bodyParts(headers['Content-Type'], built).length).toBe(found!.parts.length + 2);
      }),
    );
  });
});
