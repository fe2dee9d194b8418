import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { nameAddr, nameAddrList, quotedContent, routeTo, uriUser } from '../../src/sip/uri.js';

describe('reading numbers from SIP URIs', () => {
  it.each([
    ['sip:4101@pbx.example.ac.uk', '4101'],
    ['sips:4101@pbx.example.ac.uk:5061;transport=tls', '4101'],
    ['sip:+44%201707%20284101@trunk;user=phone', '+44 1707 284101'],
    ['sip:01707284101;phone-context=+44@trunk;user=phone', '01707284101'],
    ['tel:+44-1707-284101', '+44-1707-284101'],
    ['tel:7042;phone-context=example.com', '7042'],
    ['SIP:999@sbc', '999'],
    ['sip:4101:secret@pbx', '4101'],
    ["sip:~!*'()@host", "~!*'()"],
    ['sip:999@[2001:db8::1]:5060', '999'],
    ['sip:999@[::ffff:192.0.2.1]', '999'],
    ['sip:999@[2001:db8::192.0.2.1]:5060;transport=udp', '999'],
  ])('%s dials %s', (uri, user) => {
    expect(uriUser(uri)).toEqual({ ok: true, user });
  });

  it.each([
    ['sip:pbx.example.ac.uk', 'no-user'],
    ['im:alice@example.com', 'unsupported-scheme'],
    ['mailto:alice@example.com', 'unsupported-scheme'],
    ['garbage', 'malformed'],
    ['sip:%E0%A4%A@pbx', 'malformed'],
    ['tel:', 'no-user'],
    ['sip:@host', 'no-user'],
  ])('%s is refused as %s', (uri, problem) => {
    expect(uriUser(uri)).toEqual({ ok: false, problem });
  });

  it('never throws, whatever arrives', () => {
    fc.assert(fc.property(fc.string(), (s) => void uriUser(s) === undefined));
    fc.assert(fc.property(fc.string(), (s) => nameAddr(s) === undefined || typeof nameAddr(s)!.uri === 'string'));
    fc.assert(fc.property(fc.string(), (s) => Array.isArray(nameAddrList(s))));
  });

  it('reads name-addr header values with drachtio-srf\'s parser', () => {
    expect(nameAddr('"Dr Alice Moreno" <sip:4101@pbx>;tag=abc')).toEqual({ uri: 'sip:4101@pbx', name: 'Dr Alice Moreno' });
    expect(nameAddr('"<script>x</script>" <sip:4101@pbx>;tag=abc')).toEqual({ uri: 'sip:4101@pbx', name: '<script>x</script>' });
    expect(nameAddr('sip:4101@pbx;tag=abc')).toEqual({ uri: 'sip:4101@pbx', name: undefined });
    expect(nameAddr('<sip:4101@pbx>')).toEqual({ uri: 'sip:4101@pbx', name: undefined });
    expect(nameAddrList('<sip:4101@pbx>;reason=unconditional, "B" <sip:4202@pbx>')).toEqual([
      { uri: 'sip:4101@pbx', name: undefined },
      { uri: 'sip:4202@pbx', name: 'B' },
    ]);
  });

  it('writes any display name back as a quoted-string that drachtio-srf reads as that name (quotes, backslashes, line breaks)', () => {
    expect(quotedContent('J"oe"')).toBe('J\\"oe\\"');
    expect(quotedContent('Ward 3 \\')).toBe('Ward 3 \\\\');
    fc.assert(
      fc.property(fc.string({ unit: fc.oneof(fc.constantFrom('"', '\\', '\r\n ', '\t', '\u0001', '<', '>'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 30 }), (name) => {
        // eslint-disable-next-line no-control-regex
        const expected = name.replace(/\s+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').trim() || undefined;
        expect(nameAddr(`"${quotedContent(name)}" <sip:4101@localhost>;tag=1`)?.name, JSON.stringify(name)).toBe(expected);
      }),
      { numRuns: 2_000 },
    );
  });

  it('puts the number in front of a route', () => {
    expect(routeTo('sip:pbx.example.ac.uk:5060', '4202')).toBe('sip:4202@pbx.example.ac.uk:5060');
    expect(routeTo('sips:10.0.0.1:5061;transport=tls', '+441707123456')).toBe('sips:+441707123456@10.0.0.1:5061;transport=tls');
  });
});
