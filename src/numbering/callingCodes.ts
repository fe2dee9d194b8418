import { Metadata, parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import { DigitTrie } from './digitTrie.js';

/** One numbering plan of libphonenumber-js/max metadata, compiled for a single regex test per call. */
interface PlanRegex {
  region: string | undefined; // undefined for global services (+800, +881, ...)
  pattern: RegExp;
  leading: RegExp | undefined;
  premium: RegExp | undefined;
}

interface CallingCode {
  code: string;
  plans: PlanRegex[]; // main region first, as in the metadata
  /** NANP only: region per area code, learnt once from the library (US and CA share +1 with no leading digits). */
  byAreaCode?: (PlanRegex | undefined)[];
}

export interface Resolved {
  code: string;
  national: string;
  region: string | undefined;
  valid: boolean;
  /** The region's own premium-rate range (e.g. +33 89): barred like a domestic premium number. */
  premium: boolean;
}

/** Exchanges tried per NANP area code when learning which region owns it. */
const SAMPLE_SUBSCRIBERS = ['2345678', '4567890', '7201234', '8675309', '9631234'];

/** The parts of libphonenumber-js's NumberingPlan we read; its .d.ts declares fewer than it has. */
interface PlanView {
  leadingDigits(): string | undefined;
  nationalNumberPattern(): string;
  type(name: 'PREMIUM_RATE'): { pattern(): string } | undefined;
}

function compilePlan(metadata: Metadata, id: string, region: string | undefined): PlanRegex {
  metadata.selectNumberingPlan(id as CountryCode);
  const plan = metadata.numberingPlan as unknown as PlanView;
  const leading = plan.leadingDigits();
  const premium = plan.type('PREMIUM_RATE')?.pattern();
  return {
    region,
    pattern: new RegExp(`^(?:${plan.nationalNumberPattern()})$`),
    leading: leading ? new RegExp(`^(?:${leading})`) : undefined,
    premium: premium ? new RegExp(`^(?:${premium})$`) : undefined,
  };
}

function learnAreaCodes(): (string | undefined)[] {
  const regions = new Array<string | undefined>(1000);
  for (let npa = 200; npa < 1000; npa++) {
    for (const subscriber of SAMPLE_SUBSCRIBERS) {
      const region = parsePhoneNumberFromString(`+1${npa}${subscriber}`)?.country;
      if (region) {
        regions[npa] = region;
        break;
      }
    }
  }
  return regions;
}

/**
 * Country calling codes with their regions and validity patterns, taken from libphonenumber-js/max
 * metadata once at load, so the hot path needs one trie walk and one regex test, not a parse.
 */
export class CallingCodeTable {
  private readonly trie = new DigitTrie<CallingCode>();

  constructor() {
    const metadata = new Metadata();
    const raw = (metadata as unknown as { metadata: { country_calling_codes: Record<string, string[]>; nonGeographic?: Record<string, unknown> } }).metadata;
    for (const [code, regions] of Object.entries(raw.country_calling_codes)) {
      const plans = regions.map((r) => compilePlan(metadata, r, r));
      const byAreaCode = code === '1' ? learnAreaCodes().map((r) => plans.find((p) => p.region === r)) : undefined;
      this.trie.add(code, { code, plans, byAreaCode });
    }
    // Global services (+800, +870, +881, +979, ...) have a plan but no region.
    for (const code of Object.keys(raw.nonGeographic ?? {})) this.trie.add(code, { code, plans: [compilePlan(metadata, code, undefined)] });
  }

  /** Splits E.164 digits (no '+') into calling code and national number, finds the region, checks validity. */
  resolve(e164Digits: string): Resolved | undefined {
    const cc = this.trie.match(e164Digits);
    if (!cc) return undefined;
    const national = e164Digits.slice(cc.code.length);
    const plan = this.planFor(cc, national);
    const valid = plan.pattern.test(national);
    return { code: cc.code, national, region: plan.region, valid, premium: valid && plan.premium !== undefined && plan.premium.test(national) };
  }

  private planFor(cc: CallingCode, national: string): PlanRegex {
    const main = cc.plans[0]!;
    if (cc.byAreaCode) return cc.byAreaCode[Number(national.slice(0, 3))] ?? main;
    for (let i = 1; i < cc.plans.length; i++) {
      const plan = cc.plans[i]!;
      if (plan.leading?.test(national)) return plan;
    }
    return main;
  }
}
