import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { emergencyOffer } from '../../src/sip/emergencySdp.js';
import { locatedBody, UDP_REQUEST_LIMIT } from '../../src/sip/locationByValue.js';
import { BARESIP_OFFER, BARESIP_VIDEO_OFFER, WEBRTC_SIZED_OFFER } from '../support/offers.js';

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
  it('offers a codec list without G.711 as it came, and an offer with no audio stream untouched', () => {
    const g722 = lines(...HEAD, 'm=audio 4000 RTP/AVP 9', 'a=rtpmap:9 G722/8000');
    expect(emergencyOffer(g722)).toBe(g722);
    for (const sdp of [lines(...HEAD, 'm=video 4002 RTP/AVP 96', 'a=rtpmap:96 H264/90000'), '']) expect(emergencyOffer(sdp)).toBe(sdp);
  });
  it('keeps SRTP keys and the audio stream of an SRTP offer', () => {
    const srtp = lines(...HEAD, 'm=audio 4000 RTP/SAVP 9 0 8', 'a=rtpmap:9 G722/8000', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x');
    expect(emergencyOffer(srtp)).toBe(lines(...HEAD, 'm=audio 4000 RTP/SAVP 0 8', 'a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:x'));
  });
  it("reduces baresip's ordinary offer to G.711 and telephone-event, without ssrc, label, tool or rtcp-rsize", () => {
    const offer = emergencyOffer(BARESIP_OFFER);
    expect(offer).toContain('m=audio 10000 RTP/AVP 0 8 101\r\n');
    for (const gone of ['a=tool', 'a=ssrc', 'a=label', 'a=rtcp-rsize', 'opus', 'G722', 'a=minptime']) expect(offer).not.toContain(gone);
  });
  it('offers every other stream disabled (port 0), so the answer still has the caller\'s streams in order', () => {
    const offer = emergencyOffer(BARESIP_VIDEO_OFFER);
    expect(offer.match(/^m=[^\r]*/gm)).toEqual(['m=audio 10000 RTP/AVP 0 8 101', 'm=video 0 RTP/AVP 97']);
    for (const gone of ['H264', 'VP8', 'a=rtcp-fb', 'a=ssrc']) expect(offer).not.toContain(gone);
    const webrtc = emergencyOffer(WEBRTC_SIZED_OFFER);
    expect(webrtc.match(/^m=[^\r]*/gm)).toEqual(['m=audio 40000 RTP/AVPF 0 8 126', 'm=video 0 RTP/AVPF 96']);
    for (const gone of ['a=extmap', 'a=msid', 'a=ssrc', 'a=group', 'telephone-event/48000', 'opus', 'red/']) expect(webrtc).not.toContain(gone);
    expect(webrtc).toContain('a=rtcp-mux');
  });
});

describe('the location by value', () => {
  const address = { country: 'GB', A1: 'England', A2: 'Hertfordshire', A3: 'Hatfield', RD: 'Mosquito Way', PC: 'AL10 9EU', NAM: 'University of Hertfordshire, De Havilland campus' };
  const sdp = lines(...HEAD, 'm=audio 4000 RTP/AVP 0 8 101', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-15');
  const loc = 'De Havilland campus, Business School, room N204';
  it('carries every civic element and the whole LOC, whatever the size', () => {
    for (const headerBytes of [400, 900, 5_000]) {
      const located = locatedBody(sdp, '+441707284301', address, loc, headerBytes);
      for (const [k, v] of Object.entries({ ...address, LOC: loc })) expect(located.body).toContain(`<${k}>${v}</${k}>`);
    }
  });
  it('says whether the request fits one UDP datagram', () => {
    const small = locatedBody(sdp, '+441707284301', address, loc, 400);
    expect(small.fitsUdp).toBe(true);
    const own = Object.entries(small.headers).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
    const headerBytes = UDP_REQUEST_LIMIT - own - Buffer.byteLength(small.body);
    expect(locatedBody(sdp, '+441707284301', address, loc, headerBytes).fitsUdp).toBe(true);
    expect(locatedBody(sdp, '+441707284301', address, loc, headerBytes + 1).fitsUdp).toBe(false);
  });
});

describe('the emergency offer on whatever a caller sends', () => {
  // It runs inside drachtio-srf's event handlers (a caller's re-INVITE on a 999): a throw there would reach the process.
  const sdpLine = fc.oneof(
    fc.constantFrom('v=0', 'o=- 1 1 IN IP4 192.0.2.10', 's=-', 'c=IN IP4 192.0.2.10', 't=0 0', 'm=audio 4000 RTP/AVP 0 8 101', 'm=audio 0 RTP/AVP', 'm=video 5000 RTP/AVP 96', 'm=audio', 'm=audio 4000/2 RTP/SAVP 111', 'a=rtpmap:101 telephone-event/8000', 'a=rtpmap:0', 'a=fmtp:', 'a=sendonly', 'a=ssrc:1 cname:x', ''),
    fc.string({ maxLength: 40 }),
  );
  it('never throws, and keeps at most as many m-lines as came', () => {
    fc.assert(
      fc.property(fc.array(sdpLine, { maxLength: 20 }), fc.constantFrom('\r\n', '\n'), (body, eol) => {
        const offer = body.join(eol);
        const out = emergencyOffer(offer);
        expect(typeof out).toBe('string');
        expect((out.match(/^m=/gm) ?? []).length).toBeLessThanOrEqual((offer.match(/^m=/gm) ?? []).length);
      }),
    );
  });
});
