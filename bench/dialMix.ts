/**
 * A realistic day of dial strings for a GB site with outside-line prefix 9, generated from a seed so
 * every run (and every machine) classifies the same lines. The shares, and what each holds:
 *
 *   60 % GB numbers, every written form: plain, spaced, dashed, bracketed, 9 first, +44, +44 (0), 0044
 *   15 % international: +CC, 00CC and 9 00 CC, from many countries (a few high-risk ones among them)
 *   10 % short codes and service numbers: 999, 112, 101, 111, 116xxx, 118xxx, 0800, 0845, 09xx, ...
 *   10 % invalid or garbage: letters, too long, too short, empty, unicode digits, symbols
 *    5 % call prefixes (141, 1470, before or after the 9) and star codes (*67, *31#, *21*...#)
 */
export const MIX_SHARES = { gb: 60, international: 15, service: 10, garbage: 10, prefixed: 5 } as const;
export type MixKind = keyof typeof MIX_SHARES;

export interface MixLine {
  kind: MixKind;
  text: string;
}

/** mulberry32: small, fast and the same on every platform. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const digits = (random: Random, n: number): string => {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(random() * 10);
  return s;
};

/** GB national significant numbers as [area or prefix, subscriber length]: the ranges people dial. */
const GB_RANGES: readonly (readonly [string, number])[] = [
  ['20', 8], ['121', 7], ['161', 7], ['113', 7], ['117', 7], ['131', 7], ['141', 7], ['1707', 6], ['1223', 6],
  ['1865', 6], ['29', 8], ['28', 8], ['1534', 6], ['1481', 6], ['1624', 6], ['1189', 6],
  ['7911', 6], ['7700', 6], ['7400', 6], ['7624', 6], ['7781', 6], ['7520', 6], ['7840', 6], ['7956', 6],
  ['300', 7], ['330', 7], ['345', 7], ['370', 7], ['560', 7], ['800', 7], ['808', 7], ['845', 7], ['870', 7],
  ['700', 7], ['7640', 6], ['909', 7], ['906', 7], ['982', 7],
];

/** A national significant number split where people put the space: area code, then the rest. */
function gbNumber(random: Random): [string, string] {
  const [prefix, length] = pick(random, GB_RANGES);
  return [prefix, digits(random, length)];
}

function gbWritten(random: Random): string {
  const [area, rest] = gbNumber(random);
  const half = rest.length > 6 ? rest.length - 4 : 3;
  const [a, b] = [rest.slice(0, half), rest.slice(half)];
  switch (Math.floor(random() * 10)) {
    case 0: return `0${area}${rest}`;
    case 1: return `0${area} ${rest}`;
    case 2: return `0${area} ${a} ${b}`;
    case 3: return `0${area}-${a}-${b}`;
    case 4: return `(0${area}) ${a} ${b}`;
    case 5: return `90${area}${rest}`;
    case 6: return `9 0${area} ${rest}`;
    case 7: return `+44${area}${rest}`;
    case 8: return random() < 0.5 ? `+44 ${area} ${a} ${b}` : `+44 (0)${area} ${rest}`;
    default: return random() < 0.5 ? `0044${area}${rest}` : `9 0044 ${area} ${rest}`;
  }
}

/** Calling code, a national prefix that exists there, and how many digits follow. */
const ABROAD: readonly (readonly [string, string, number])[] = [
  ['33', '1', 8], ['33', '6', 8], ['49', '30', 8], ['49', '151', 8], ['1', '212', 7], ['1', '415', 7], ['1', '416', 7],
  ['1', '876', 7], ['353', '1', 7], ['353', '87', 7], ['34', '6', 8], ['39', '06', 8], ['39', '3', 9], ['31', '6', 8],
  ['32', '4', 8], ['41', '44', 7], ['46', '8', 7], ['47', '9', 7], ['48', '5', 8], ['91', '98', 8], ['86', '138', 8],
  ['81', '90', 8], ['61', '4', 8], ['64', '21', 7], ['27', '82', 7], ['234', '80', 8], ['55', '119', 8], ['52', '55', 8],
  ['971', '50', 7], ['65', '9', 7], ['852', '9', 7], ['90', '5', 9], ['30', '69', 8], ['351', '91', 7],
  // International networks, satellite and toll-fraud hot spots, which the plan marks high-risk.
  ['881', '6', 8], ['882', '1', 7], ['870', '77', 7], ['53', '5', 7], ['252', '61', 7], ['979', '1', 8],
];

function international(random: Random): string {
  const [cc, prefix, length] = pick(random, ABROAD);
  const national = prefix + digits(random, length);
  switch (Math.floor(random() * 6)) {
    case 0: return `+${cc}${national}`;
    case 1: return `+${cc} ${prefix} ${national.slice(prefix.length)}`;
    case 2: return `00${cc}${national}`;
    case 3: return `00 ${cc} ${national}`;
    case 4: return `900${cc}${national}`;
    default: return `9 00${cc} ${national}`;
  }
}

const SHORT_CODES = ['999', '112', '18000', '101', '111', '105', '116123', '116000', '116111', '100', '123', '155', '118118', '118500', '118247'];

function service(random: Random): string {
  const r = random();
  if (r < 0.45) return (random() < 0.3 ? '9' : '') + pick(random, SHORT_CODES);
  if (r < 0.55) return `118${digits(random, 3)}`;
  const prefix = pick(random, ['0800', '0808', '0845', '0844', '0870', '0871', '0300', '0909', '0906', '0901', '0908', '0982']);
  // 0800 also has 10-digit numbers (0800 1111 is Childline); the rest are 11 digits.
  const rest = digits(random, prefix === '0800' && random() < 0.2 ? 6 : 7);
  return random() < 0.5 ? `${prefix}${rest}` : `${prefix} ${rest.slice(0, 3)} ${rest.slice(3)}`;
}

/** Lines that cannot be a number a phone dials; every one must classify `invalid`. */
function garbage(random: Random): string {
  switch (Math.floor(random() * 12)) {
    case 0: return '';
    case 1: return pick(random, ['abc', 'call back', 'N/A', 'unknown', 'extension', 'null', '-', '#']);
    case 2: return `0800 ${pick(random, ['FLOWERS', 'CALLNOW', 'TAXI'])}`;
    case 3: return `0${digits(random, 20 + Math.floor(random() * 10))}`; // too long for E.164
    case 4: return `+44${digits(random, 14)}`; // too long
    case 5: return `0${pick(random, ['1', '12', '123'])}`; // too short
    case 6: return `+${pick(random, ['', '0', '44', '33'])}`; // a plus and next to nothing
    case 7: return `０１７０７ ${'２８４６７８'.slice(0, 3 + Math.floor(random() * 4))}`; // full-width digits
    case 8: return `${pick(random, ['☎ ', 'tel: ', 'é', '📞'])}01707 ${digits(random, 6)}`;
    case 9: return `++44${digits(random, 10)}`;
    case 10: return `07${digits(random, 4)}x${digits(random, 4)}`;
    default: return ' '.repeat(1 + Math.floor(random() * 3));
  }
}

function prefixed(random: Random): string {
  const call = pick(random, ['141', '1470']);
  switch (Math.floor(random() * 6)) {
    case 0: return `${call}0${gbNumber(random).join('')}`;
    case 1: return `${call} 0${gbNumber(random).join(' ')}`;
    case 2: return `9${call}0${gbNumber(random).join('')}`;
    case 3: return `9 ${call} ${international(random).replace(/^9 ?/, '').replace('+', '00')}`;
    case 4: return `${call}${pick(random, ['999', '112', '101', '118118'])}`;
    default: return pick(random, ['*67', '*31#', '#31#', '*21*2001#', '*#21#', '*72', '*98', '*61*07911123456#']) + (random() < 0.3 ? digits(random, 11) : '');
  }
}

const MAKE: Record<MixKind, (random: Random) => string> = { gb: gbWritten, international, service, garbage, prefixed };
const KINDS = Object.keys(MIX_SHARES) as MixKind[];

/** `count` lines of the mix from `seed`, each with the kind that made it. */
export function* dialMix(count: number, seed = 20_260_718): Generator<MixLine> {
  const random = seeded(seed);
  for (let i = 0; i < count; i++) {
    let r = random() * 100;
    let kind = KINDS[0]!;
    for (const k of KINDS) {
      kind = k;
      r -= MIX_SHARES[k];
      if (r < 0) break;
    }
    yield { kind, text: MAKE[kind](random) };
  }
}
