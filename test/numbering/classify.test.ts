import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Numbering } from '../../src/numbering/classifier.js';
import { PUBLIC_CLASSES } from '../../src/numbering/destination.js';
import { normaliseDialString } from '../../src/numbering/normalise.js';
import { sampleNumbering } from '../support/plans.js';
import { readCorpus } from '../support/corpus.js';

let numbering: Numbering;
beforeAll(async () => {
  numbering = await sampleNumbering();
});

const gb = (dialled: string, outsidePrefix?: string) => numbering.classifierFor({ country: 'GB', outsidePrefix })(dialled);
const us = (dialled: string, outsidePrefix?: string) => numbering.classifierFor({ country: 'US', outsidePrefix })(dialled);
const ca = (dialled: string) => numbering.classifierFor({ country: 'CA' })(dialled);

describe('dial string normalisation', () => {
  it('keeps digits and a leading plus, drops what people paste', () => {
    expect(normaliseDialString('+44 (0)20 7946-0000')).toEqual({ plus: true, digits: '442079460000' });
    expect(normaliseDialString('(01707) 284.678')).toEqual({ plus: false, digits: '01707284678' });
  });
  it('refuses letters, a second plus, a plus after digits, feature codes and empty strings', () => {
    for (const s of ['', ' ', '#', 'abc', '0800 FLOWERS', '++44', '44+1', '12#3', '*99', '999##']) expect(normaliseDialString(s)).toBeNull();
  });
  it('drops the "dial now" key phones send after the number', () => {
    expect(normaliseDialString('999#')).toEqual({ plus: false, digits: '999' });
  });
});

describe('GB site', () => {
  it('gives E.164 and country for national numbers', () => {
    expect(gb('01707 284678')).toMatchObject({ class: 'geographic', e164: '+441707284678', country: 'GB' });
    expect(gb('+44 (0)20 7946 0000')).toMatchObject({ class: 'geographic', e164: '+442079460000' });
  });
  it('reads 0118 as Reading, not directory enquiries', () => {
    expect(gb('01189 123456')).toMatchObject({ class: 'geographic', e164: '+441189123456' });
  });
  it('tells Isle of Man mobiles from pagers and Jersey numbers from mainland ones', () => {
    expect(gb('07624 123456')).toMatchObject({ class: 'mobile', country: 'IM' });
    expect(gb('07640 123456')).toMatchObject({ class: 'pager' });
    expect(gb('01534 712345').class).toBe('geographic');
  });
  it('reports the Crown dependencies as their own countries, dialled nationally or as +44, from any site', () => {
    for (const [n, cls, country] of [
      ['01534 712345', 'geographic', 'JE'],
      ['07797 712345', 'mobile', 'JE'],
      ['01481 712345', 'geographic', 'GG'],
      ['07781 123456', 'mobile', 'GG'],
      ['01624 612345', 'geographic', 'IM'],
      ['07624 123456', 'mobile', 'IM'],
    ] as const) {
      expect(gb(n)).toMatchObject({ class: cls, country });
      expect(gb(`+44${n.slice(1)}`)).toMatchObject({ class: cls, country });
      expect(us(`011 44 ${n.slice(1)}`)).toMatchObject({ class: 'international', country });
    }
    expect(gb('01535 712345')).toMatchObject({ country: 'GB' });
    expect(gb('07700 900123')).toMatchObject({ country: 'GB' });
  });
  it('cites the table line a class came from', () => {
    expect(gb('09011234567').source).toEqual({ kind: 'table', rule: expect.stringMatching(/numbering\/GB\.yaml:\d+$/) });
  });
  it('recognises emergency numbers with and without the outside prefix, and only those', () => {
    for (const n of ['999', '112', '18000', '9999', '9112', '918000', '999#', '9 999#']) expect(gb(n, '9').class).toBe('emergency');
    for (const n of ['99', '9', '1120', '99999']) expect(gb(n, '9').class).not.toBe('emergency');
  });
  it('classifies short codes after the outside prefix', () => {
    expect(gb('9101', '9').class).toBe('public-service');
    expect(gb('9118500', '9')).toMatchObject({ class: 'directory', shortCode: '118500' });
  });
  it('bars premium ranges of other countries', () => {
    expect(gb('+33 8 99 12 34 56')).toMatchObject({ class: 'premium', country: 'FR' });
  });
  it('calls the toll-fraud list high-risk, other countries international', () => {
    expect(gb('+994 12 345 67 89')).toMatchObject({ class: 'high-risk', country: 'AZ' });
    expect(gb('+49 30 12345678')).toMatchObject({ class: 'international', country: 'DE' });
  });
  it('rejects numbers no plan can hold', () => {
    for (const n of ['0', '00', '+0', '+999123456', '0500 123456', '07', '+4420794600001234']) expect(gb(n).class).toBe('invalid');
  });
});

describe('NANP sites', () => {
  it('treats Canada and US territories as domestic and names their region', () => {
    expect(us('+1 613 230 1234')).toMatchObject({ class: 'geographic', country: 'CA' });
    expect(us('1 671 472 1234')).toMatchObject({ class: 'geographic', country: 'GU' });
  });
  it('treats Caribbean NANP nations as international', () => {
    expect(us('1 242 322 1234')).toMatchObject({ class: 'international', country: 'BS' });
  });
  it('works the same for a Canadian site', () => {
    expect(ca('911').class).toBe('emergency');
    expect(ca('2125551212').class).toBe('directory');
    expect(ca('18765550123').class).toBe('international');
  });
  it('recognises 911 after the outside prefix and the NPA-976 premium exchanges', () => {
    expect(us('9911', '9').class).toBe('emergency');
    expect(us('9 1 212 976 1234', '9').class).toBe('premium');
  });
  it('sees the 1-800 family as freephone and 5XX as personal numbers', () => {
    expect(us('1 (877) 555-1234').class).toBe('freephone');
    expect(us('1 533 234 5678').class).toBe('personal-number');
  });
});

describe('NANP 7-digit local dialling', () => {
  const nyc = (dialled: string) => numbering.classifierFor({ country: 'US', outsidePrefix: '9', areaCode: '212' })(dialled);
  it("dials a 7-digit local number in the site's own area code", () => {
    expect(nyc('555 0100')).toMatchObject({ class: 'geographic', e164: '+12125550100', country: 'US' });
    expect(nyc('9 555-0100#')).toMatchObject({ class: 'geographic', e164: '+12125550100' });
    expect(nyc('*67 555 0100')).toMatchObject({ class: 'geographic', e164: '+12125550100' });
    expect(nyc('9 976 1234')).toMatchObject({ class: 'premium', e164: '+12129761234' });
  });
  it('keeps 10- and 11-digit dialling, short codes and emergency numbers as they were', () => {
    expect(nyc('1 718 555 0100')).toMatchObject({ class: 'geographic', e164: '+17185550100' });
    expect(nyc('718 555 0100')).toMatchObject({ class: 'geographic', e164: '+17185550100' });
    expect(nyc('555 1212').class).toBe('directory');
    expect(nyc('911').class).toBe('emergency');
  });
  it('refuses 7 digits that are no local number, and 7 digits without a home area code', () => {
    expect(nyc('155 0100').class).toBe('invalid');
    expect(nyc('055 0100').class).toBe('invalid');
    expect(nyc('+555 0100').class).toBe('invalid');
    expect(us('555 0100').class).toBe('invalid');
  });
  it('is checked against the site: a real area code of its own country', () => {
    expect(numbering.areaCodeProblem('US', '212')).toBeUndefined();
    expect(numbering.areaCodeProblem('CA', '613')).toBeUndefined();
    expect(numbering.areaCodeProblem('US', '613')).toBe("area code 613 is in CA, not the site's country US");
    for (const code of ['311', '800', '900', '21', '2125']) expect(numbering.areaCodeProblem('US', code)).toBe(`"${code}" is not a geographic area code of plan "NANP"`);
    expect(numbering.areaCodeProblem('GB', '1707')).toMatch(/plan "GB" of site country GB has none/);
  });
});

describe('NANP N11 codes', () => {
  it('are never area codes, dialled in any form from any site', () => {
    for (const n of ['1 311 555 1234', '311 555 1234', '+1 911 555 1234', '1 411 234 5678', '9 1 211 234 5678']) expect(us(n, '9').class).toBe('invalid');
    expect(gb('001 311 555 1234')).toEqual({ class: 'invalid', source: { kind: 'table', rule: expect.stringMatching(/numbering\/international\.yaml:\d+$/) } });
  });
  it('nor are exchange codes starting 0 or 1', () => {
    for (const n of ['1 212 155 0100', '212 055 0100', '1 800 055 0100']) expect(us(n).class).toBe('invalid');
  });
  it('leaves neighbouring area codes alone', () => {
    for (const n of ['1 412 555 0100', '1 312 555 0100', '1 910 555 0100']) expect(us(n).class).toBe('geographic');
  });
  it('dials 933, the E911 address read-back, as a public service', () => {
    expect(us('933')).toMatchObject({ class: 'public-service', shortCode: '933' });
    expect(us('9933', '9').class).toBe('public-service');
    expect(ca('311').class).toBe('public-service');
  });
});

describe('call prefixes that withhold the caller\'s number', () => {
  const withheld = (country: string, dialled: string, outsidePrefix?: string) => numbering.withholdsCallerId({ country, outsidePrefix }, dialled);
  it('UK 141 and NANP *67 withhold, before or after the outside prefix; 1470 and *82 do not', () => {
    expect(withheld('GB', '141 07700 900123')).toBe(true);
    expect(withheld('GB', '9 141 07700 900123', '9')).toBe(true);
    expect(withheld('GB', '141 9 07700 900123', '9')).toBe(true);
    expect(withheld('US', '*67 212 555 0100')).toBe(true);
    expect(withheld('US', '9*67 212 555 0100', '9')).toBe(true);
    for (const [country, dialled] of [['GB', '1470 07700 900123'], ['GB', '07700 900123'], ['US', '*82 212 555 0100'], ['US', '212 555 0100'], ['GB', '']]) expect(withheld(country!, dialled!)).toBe(false);
  });
  it('the prefix nearest the number decides', () => {
    expect(withheld('GB', '141 1470 07700 900123')).toBe(false);
    expect(withheld('GB', '1470 141 07700 900123')).toBe(true);
  });
});

describe('NANP call prefixes (vertical service codes)', () => {
  it('classifies the number after *67 or *82 as if dialled alone', () => {
    expect(us('*67 212 555 0100')).toEqual(us('212 555 0100'));
    expect(us('*82 1 (212) 555-0100')).toMatchObject({ class: 'geographic', e164: '+12125550100' });
    expect(us('*679 1 212 555 0100', '9')).toMatchObject({ class: 'geographic', e164: '+12125550100' });
  });
  it('does not hide a barred number or an emergency call behind a caller-ID prefix', () => {
    expect(us('*67 1 900 555 0100').class).toBe('premium');
    expect(us('*67 011 53 7 123 4567').class).toBe('high-risk');
    expect(us('*67 911')).toMatchObject({ class: 'emergency', shortCode: '911' });
    expect(us('*82 9 911', '9').class).toBe('emergency');
  });
  it('takes the prefix after the outside-line prefix too (9 *67 ...)', () => {
    expect(us('9*67 212 555 0100', '9')).toMatchObject({ class: 'geographic', e164: '+12125550100' });
    expect(us('9 *67 1 900 555 0100', '9').class).toBe('premium');
    expect(us('9*67911', '9')).toMatchObject({ class: 'emergency', shortCode: '911' });
  });
  it('refuses a prefix with nothing after it, unknown star codes and prefixes of another plan', () => {
    for (const s of ['*67', '*69', '*6', '*', '**67 2125550100', '*672125550100x']) expect(us(s).class).toBe('invalid');
    expect(gb('*67 01707 284678').class).toBe('invalid');
  });
});

describe('UK caller-ID prefixes 141 and 1470', () => {
  it('classifies the number after 141 or 1470, with or without the outside prefix', () => {
    expect(gb('141 020 7946 0000')).toEqual(gb('020 7946 0000'));
    expect(gb('1470 07911 123456')).toEqual(gb('07911 123456'));
    expect(gb('9 141 01707 284678', '9')).toMatchObject({ class: 'geographic', e164: '+441707284678' });
  });
  it('neither hides a barred number nor delays an emergency call', () => {
    expect(gb('141 09011234567').class).toBe('premium');
    expect(gb('9141 0909 8123456', '9').class).toBe('chat-line');
    for (const s of ['141 999', '141999', '1470 112']) expect(gb(s).class).toBe('emergency');
    expect(gb('9141999', '9')).toMatchObject({ class: 'emergency', shortCode: '999' });
  });
  it('leaves numbers that only look alike: 141 alone, 1471, 111', () => {
    expect(gb('141').class).toBe('invalid');
    expect(gb('1471').class).toBe('invalid'); // not 1470 + "1"; call return is not in the sample's tables
    expect(gb('111').class).toBe('public-service');
  });
  it('gives every corpus number the same class behind any call prefix of its site', () => {
    for (const row of readCorpus()) {
      const classify = numbering.classifierFor({ country: row.site, outsidePrefix: row.outsidePrefix });
      const prefixes = row.site === 'GB' ? ['141', '1470', '141 '] : ['*67', '*82 '];
      for (const prefix of prefixes) expect(classify(prefix + row.dialled).class, `${prefix}${row.dialled}`).toBe(classify(row.dialled).class);
    }
  });
});

describe('properties', () => {
  it('never throws, and always returns one of the public classes', () => {
    const classes = new Set<string>(PUBLIC_CLASSES);
    const dial = fc.oneof(fc.string(), fc.stringMatching(/^[0-9+()\- .]{0,30}$/), fc.stringMatching(/^\+?[0-9]{1,18}$/));
    fc.assert(
      fc.property(dial, fc.constantFrom('GB', 'US', 'CA'), fc.constantFrom(undefined, '9', '0'), (s, country, outsidePrefix) => {
        const d = numbering.classifierFor({ country, outsidePrefix })(s);
        expect(classes.has(d.class)).toBe(true);
        if (d.class !== 'invalid' && d.e164 !== undefined) expect(d.e164).toMatch(/^\+[0-9]{2,15}$/);
      }),
      { numRuns: 5000 },
    );
  });

  it('classifies a number the same with any punctuation between its digits', () => {
    const samples = ['01707284678', '09011234567', '+33142685300', '07911123456', '08001234567'];
    fc.assert(
      fc.property(fc.constantFrom(...samples), fc.array(fc.constantFrom(' ', '-', '.', ''), { minLength: 12, maxLength: 12 }), (n, seps) => {
        const spaced = [...n].map((ch, i) => (i === 0 ? ch : `${seps[i] ?? ''}${ch}`)).join('');
        expect(gb(spaced)).toEqual(gb(n));
      }),
    );
  });

  it('recognises every emergency number of every plan, with and without any outside prefix', () => {
    fc.assert(
      fc.property(fc.constantFrom('GB', 'US', 'CA'), fc.constantFrom('9', '0', '8', '55'), (country, prefix) => {
        for (const number of numbering.emergencyNumbers(country)) {
          const classify = numbering.classifierFor({ country, outsidePrefix: prefix });
          expect(classify(number).class).toBe('emergency');
          expect(classify(`${prefix}${number}`).class).toBe('emergency');
        }
      }),
    );
  });
});
