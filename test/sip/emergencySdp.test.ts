import { describe, expect, it } from 'vitest';
import { emergencyOffer } from '../../src/sip/emergencySdp.js';
import { locatedBody, UDP_REQUEST_LIMIT } from '../../src/sip/locationByValue.js';

const lines = (...l: string[]) => `${l.join('\r\n')}\r\n`;
const HEAD = ['v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0'];

describe('the emergency offer', () => {
  it('keeps G.711 and telephone-event from a desk phone offer, dropping what static types and defaults do not need', () => {
    const desk = lines(...HEAD, 'm=audio 4000 RTP/AVP 9 0 8 101', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15', 'a=ptime:20', 'a=sendrecv');
    expect(emergencyOffer(desk)).toBe(lines(...HEAD, 'm=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15'));
  });
  it('keeps a direction other than sendrecv', () => {
    expect(emergencyOffer(lines(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=sendonly'))).toBe(lines(...HEAD, 'm=audio 4000 RTP/AVP 0', 'a=sendonly'));
  });
  it('sends as it came what it cannot safely reduce: no G.711, SRTP, several streams', () => {
    for (const sdp of [
      lines(...HEAD, 'm=audio 4000 RTP/AVP 9', 'a=rtpmap:9 G722/8000'),
      lines(...HEAD, 'm=audio 4000 RTP/SAVP 0 8', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x'),
      lines(...HEAD, 'm=audio 4000 RTP/AVP 0 8', 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000'),
      '',
    ]) expect(emergencyOffer(sdp)).toBe(sdp);
  });
});

describe('fitting the location into one UDP datagram', () => {
  const address = { country: 'GB', A1: 'England', A2: 'Hertfordshire', A3: 'Hatfield', RD: 'Mosquito Way', PC: 'AL10 9EU', NAM: 'University of Hertfordshire, De Havilland campus' };
  const sdp = lines(...HEAD, 'm=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15');
  it('leaves everything in when it fits', () => {
    expect(locatedBody(sdp, '+441707284301', address, 'room N204', 400).trimmed).toEqual([]);
  });
  it('drops optional elements first, then shortens LOC, and never country, town, road or postcode', () => {
    const fitted = locatedBody(sdp, '+441707284301', address, 'De Havilland campus, Business School, room N204', 500);
    expect(fitted.trimmed.slice(0, 2)).toEqual(['A2', 'NAM']);
    for (const kept of ['<country>GB', '<A3>Hatfield', '<RD>Mosquito Way', '<PC>AL10 9EU', '<LOC>De Havilland']) expect(fitted.body).toContain(kept);
    const own = Object.entries(fitted.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    expect(500 + own + Buffer.byteLength(fitted.body)).toBeLessThanOrEqual(UDP_REQUEST_LIMIT);
  });
});
