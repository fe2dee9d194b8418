import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hashPin, verifyPin } from '../../src/state/pinHash.js';
import { weakPin } from '../../src/state/pinRules.js';
import { nextLocalTime, relockAt } from '../../src/state/relock.js';

const iso = (ms: number) => new Date(ms).toISOString();

describe('end-of-day re-lock time', () => {
  it('reads the time in the site zone, across both clock changes', () => {
    expect(iso(nextLocalTime(Date.parse('2026-07-01T12:00:00Z'), '19:00', 'Europe/London'))).toBe('2026-07-01T18:00:00.000Z');
    expect(iso(nextLocalTime(Date.parse('2026-12-01T12:00:00Z'), '19:00', 'Europe/London'))).toBe('2026-12-01T19:00:00.000Z');
    expect(iso(nextLocalTime(Date.parse('2026-12-01T19:00:00Z'), '19:00', 'Europe/London'))).toBe('2026-12-02T19:00:00.000Z');
    expect(iso(nextLocalTime(Date.parse('2026-03-28T20:00:00Z'), '19:00', 'Europe/London'))).toBe('2026-03-29T18:00:00.000Z');
    expect(iso(nextLocalTime(Date.parse('2026-10-24T19:00:00Z'), '19:00', 'Europe/London'))).toBe('2026-10-25T19:00:00.000Z');
    expect(iso(nextLocalTime(Date.parse('2026-12-01T12:00:00Z'), '19:00', 'America/New_York'))).toBe('2026-12-02T00:00:00.000Z');
  });

  it('is always within a day after the instant', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.parse('2020-01-01'), max: Date.parse('2035-01-01') }), fc.constantFrom('Europe/London', 'America/Chicago', 'Australia/Sydney', 'UTC'), (t, zone) => {
        const next = nextLocalTime(t, '07:30', zone);
        expect(next).toBeGreaterThan(t);
        expect(next - t).toBeLessThanOrEqual(25 * 3_600_000);
      }),
    );
  });

  it('takes the earlier of idle time and end of day', () => {
    const site = { relock: { idleMinutes: 30, endOfDay: '19:00' }, timezone: 'UTC' };
    expect(iso(relockAt(Date.parse('2026-12-01T12:00:00Z'), undefined, site))).toBe('2026-12-01T12:30:00.000Z');
    expect(iso(relockAt(Date.parse('2026-12-01T18:50:00Z'), undefined, site))).toBe('2026-12-01T19:00:00.000Z');
    expect(iso(relockAt(Date.parse('2026-12-01T12:00:00Z'), Date.parse('2026-12-01T12:20:00Z'), site))).toBe('2026-12-01T12:50:00.000Z');
  });
});

describe('PIN hashes', () => {
  it('are salted, verify the right PIN only, and never throw on a damaged hash', async () => {
    const [a, b] = await Promise.all([hashPin('731946'), hashPin('731946')]);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$16384\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(await verifyPin('731946', a)).toBe(true);
    expect(await verifyPin('731947', a)).toBe(false);
    for (const damaged of ['', 'scrypt', 'bcrypt$1$2$3$x$y', 'scrypt$0$8$1$AA==$AA==', 'scrypt$16384$8$1$AA==$AA==', a.slice(0, -4)]) {
      expect(await verifyPin('731946', damaged)).toBe(false);
    }
  });
});

describe('weak PINs', () => {
  it('accepts ordinary PINs', () => {
    for (const pin of ['731946', '802519', '580213']) expect(weakPin(pin, 6, '4101', '+441707284101')).toBeUndefined();
  });
  it('checks longer PINs when the plan asks for them', () => {
    expect(weakPin('73194620', 8, '4101')).toBeUndefined();
    expect(weakPin('731946', 8, '4101')).toBe('wrong-length');
    expect(weakPin('12345678', 8, '4101')).toBe('run');
  });
  it('finds the NANP direct-dial number in national form', () => {
    expect(weakPin('212456', 6, '5001', '+12124561234')).toBe('ddi');
    expect(weakPin('561234', 6, '5001', '+12124561234')).toBe('ddi');
  });
});
