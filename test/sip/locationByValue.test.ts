import { describe, expect, it } from 'vitest';
import { pidfLo, sdpWithLocation } from '../../src/sip/locationByValue.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 6000 RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n';
const ADDRESS = { country: 'GB', A1: 'England', A3: 'Hatfield', RD: 'College Lane', PC: 'AL10 9AB', NAM: 'University of Hertfordshire' };

describe('location by value (RFC 6442 with a PIDF-LO)', () => {
  it('writes the civic address and the room as LOC, escaping markup', () => {
    const xml = pidfLo('+441707284101', ADDRESS, 'Lindop <Building> & room 2F410');
    expect(xml).toContain('<country>GB</country>');
    expect(xml).toContain('<RD>College Lane</RD>');
    expect(xml).toContain('<LOC>Lindop &#60;Building&#62; &#38; room 2F410</LOC>');
    expect(xml).toContain('entity="pres:+441707284101"');
    expect(xml).toContain('<usage-rules/>');
  });

  it('puts the SDP and the PIDF-LO in one multipart body the Geolocation header points into', () => {
    const { body, headers } = sdpWithLocation(SDP, pidfLo('+441707284101', ADDRESS, 'room 1'));
    const boundary = /boundary=(\S+)/.exec(headers['Content-Type']!)![1]!;
    const parts = body.split(`--${boundary}`);
    expect(parts[0]).toBe('');
    expect(parts[1]).toContain('Content-Type: application/sdp\r\n\r\nv=0');
    expect(parts[2]).toContain('Content-Type: application/pidf+xml');
    const cid = /<cid:([^>]+)>/.exec(headers.Geolocation!)![1];
    expect(parts[2]).toContain(`Content-ID: <${cid}>`);
    expect(parts[3]).toBe('--\r\n');
  });

  it('stays small: SDP, location and the longest sample address together leave room for headers in one UDP datagram', () => {
    const far = { ...ADDRESS, A2: 'Hertfordshire', RD: 'Mosquito Way', PC: 'AL10 9EU', NAM: 'University of Hertfordshire, De Havilland campus' };
    const { body } = sdpWithLocation(SDP, pidfLo('+441707284301', far, 'De Havilland campus, Business School, room N204'));
    // 1,300 bytes for the whole INVITE (RFC 3261 §18.1.1); drachtio-server and our headers take about 400.
    expect(body.length).toBeLessThan(900);
  });
});
