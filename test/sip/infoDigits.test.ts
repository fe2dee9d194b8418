import { describe, expect, it } from 'vitest';
import { infoDigits } from '../../src/sip/infoDigits.js';

describe('digits in SIP INFO', () => {
  it('reads application/dtmf-relay and application/dtmf', () => {
    expect(infoDigits('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n')).toBe('5');
    expect(infoDigits('Application/DTMF-Relay; charset=x', 'Duration=100\r\nsignal = #\r\n')).toBe('#');
    expect(infoDigits('application/dtmf', '7')).toBe('7');
  });
  it('reads the RFC 4733 event codes some phones send for * and # (Signal=10, Signal=11)', () => {
    expect(infoDigits('application/dtmf-relay', 'Signal=10\r\nDuration=160\r\n')).toBe('*');
    expect(infoDigits('application/dtmf-relay', 'Signal= 11\r\n')).toBe('#');
    expect(infoDigits('application/dtmf-relay', 'Signal=1\r\n')).toBe('1');
    expect(infoDigits('application/dtmf-relay', 'Signal=16')).toBe('');
  });
  it('ignores anything else', () => {
    expect(infoDigits('application/dtmf-relay', 'Signal=55')).toBe('');
    expect(infoDigits('text/plain', 'Signal=5')).toBe('');
    expect(infoDigits(undefined, undefined)).toBe('');
  });
});
