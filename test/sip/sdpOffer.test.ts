import { describe, expect, it } from 'vitest';
import { sdpOf } from '../../src/sip/sdpOffer.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';
const multipart = (boundary: string, ...parts: string[]) => parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('') + `--${boundary}--\r\n`;

describe('the SDP of a request', () => {
  it('is the body when the body is SDP (or has no Content-Type)', () => {
    expect(sdpOf('application/sdp', SDP)).toBe(SDP);
    expect(sdpOf(undefined, SDP)).toBe(SDP);
    expect(sdpOf('application/sdp', '')).toBeUndefined();
  });
  it('is the application/sdp part of a multipart body, whatever comes beside it and in whichever order', () => {
    const body = multipart('b1', 'Content-Type: application/pidf+xml\r\nContent-ID: <x@y>\r\n\r\n<presence/>', `Content-Type: application/sdp\r\n\r\n${SDP}`, 'Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: binary\r\n\r\n\u0000\r\u0001\n');
    expect(sdpOf('multipart/mixed;boundary=b1', body)).toBe(SDP);
    expect(sdpOf('multipart/mixed; boundary="b1"', body)).toBe(SDP);
  });
  it('keeps the last SDP line whole when only the delimiter\'s CRLF follows it', () => {
    const body = `--b2\r\nContent-Type: application/sdp\r\n\r\n${SDP.slice(0, -2)}\r\n--b2--\r\n`;
    expect(sdpOf('multipart/mixed;boundary=b2', body)).toBe(SDP);
  });
  it('is missing from a multipart body without an SDP part, a boundary, or from another type', () => {
    expect(sdpOf('multipart/mixed;boundary=b1', multipart('b1', 'Content-Type: text/plain\r\n\r\nhi'))).toBeUndefined();
    expect(sdpOf('multipart/mixed', multipart('b1', `Content-Type: application/sdp\r\n\r\n${SDP}`))).toBeUndefined();
    expect(sdpOf('application/isup', 'x')).toBeUndefined();
  });
});
