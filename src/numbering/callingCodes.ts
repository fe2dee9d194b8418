import { createRequire } from 'node:module';
import type { CountryCode, MetadataJson } from 'libphonenumber-js/core';
import { DigitTrie } from './digitTrie.js';
import { libraryVersion, phoneLibrary } from './library.js';

/**
 * What classification needs from libphonenumber-js/max metadata: calling codes, their regions and
 * each region's validity pattern, as plain strings. `npm run build` extracts it once
 * (scripts/build-calling-codes.mjs), with the owner of every NANP area code already learnt; without that
 * file, or when it came from another library version, it is extracted here on first need.
 */
export interface CallingCodeData {
  /** The libphonenumber-js version it was taken from. */
  version: string;
  /** Calling code to plan ids, main region first as in the metadata; global services (+800, +881) are their own id. */
  codes: Record<string, { ids: string[]; global: boolean }>;
  /** Per plan id: national number pattern, leading digits, premium-rate pattern. */
  plans: Record<string, [pattern: string, leading: string | null, premium: string | null]>;
  /** NANP area code (index) to the region that owns it; absent when not yet learnt. */
  nanp?: (string | null)[];
}

/** One numbering plan compiled for a single regex test per call. */
export interface PlanRegex {
  region: string | undefined; // undefined for global services (+800, +881, ...)
  pattern: RegExp;
  leading: RegExp | undefined;
  /** NO_PREMIUM_RANGE for a region without one. */
  premium: RegExp;
}

/**
 * Matches nothing: the premium range of a region that has none. A RegExp like any region's, so the
 * classifier's test of it has its feedback from the first international number (an absent one left the
 * test unseen until the first region with a range, which then cost a recompile of classify).
 */
const NO_PREMIUM_RANGE = /^(?!)/;

export interface CallingCode {
  code: string;
  ids: readonly string[];
  global: boolean;
  /** Compiled on first use: a process that classifies a handful of numbers needs a handful of plans. */
  plans?: PlanRegex[];
  /** NANP only: plan per area code, found on first sight of each area code. */
  byAreaCode?: (PlanRegex | null | undefined)[];
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

const require = createRequire(import.meta.url);

/** The region that owns a NANP area code (US and CA share +1 with no leading digits to tell them apart). */
export function learnAreaCode(npa: number): string | null {
  if (npa < 200 || npa > 999) return null;
  for (const subscriber of SAMPLE_SUBSCRIBERS) {
    const region = phoneLibrary().parsePhoneNumberFromString(`+1${npa}${subscriber}`)?.country;
    if (region) return region;
  }
  return null;
}

/** Reads the calling-code data out of the library's metadata; `withNanp` also learns every NANP area code (about 0.1 s). */
export function extractCallingCodeData(withNanp: boolean): CallingCodeData {
  const { Metadata } = require('libphonenumber-js/core') as typeof import('libphonenumber-js/core');
  const json = require('libphonenumber-js/max/metadata') as MetadataJson & { nonGeographic?: Record<string, unknown> };
  const metadata = new Metadata(json);
  const plans: CallingCodeData['plans'] = {};
  const codes: CallingCodeData['codes'] = {};
  const addPlan = (id: string) => {
    metadata.selectNumberingPlan(id as CountryCode);
    const plan = metadata.numberingPlan as unknown as PlanView;
    plans[id] = [plan.nationalNumberPattern(), plan.leadingDigits() ?? null, plan.type('PREMIUM_RATE')?.pattern() ?? null];
  };
  for (const [code, regions] of Object.entries(json.country_calling_codes)) {
    codes[code] = { ids: regions, global: false };
    regions.forEach(addPlan);
  }
  for (const code of Object.keys(json.nonGeographic ?? {})) {
    codes[code] = { ids: [code], global: true };
    addPlan(code);
  }
  const nanp = withNanp ? Array.from({ length: 1000 }, (_, npa) => learnAreaCode(npa)) : undefined;
  return { version: libraryVersion(), codes, plans, nanp };
}

function loadCallingCodeData(): CallingCodeData {
  try {
    const built = require('./callingCodes.generated.json') as CallingCodeData;
    if (built.version === libraryVersion()) return built;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
  }
  return extractCallingCodeData(false);
}

/**
 * Country calling codes with their regions and validity patterns, so the hot path needs one trie walk
 * and one regex test, not a parse.
 */
export class CallingCodeTable {
  private readonly trie = new DigitTrie<CallingCode>();
  private readonly data: CallingCodeData;
  /** Every region (ISO 3166 code) the metadata knows. */
  readonly regions: ReadonlySet<string>;

  constructor(data: CallingCodeData = loadCallingCodeData()) {
    this.data = data;
    const regions = new Set<string>();
    for (const [code, { ids, global }] of Object.entries(data.codes)) {
      this.trie.add(code, { code, ids, global, byAreaCode: code === '1' ? new Array(1000) : undefined });
      if (!global) ids.forEach((id) => regions.add(id));
    }
    this.regions = regions;
  }

  /** Splits E.164 digits (no '+') into calling code and national number, finds the region, checks validity. */
  resolve(e164Digits: string): Resolved | undefined {
    const cc = this.callingCode(e164Digits);
    if (!cc) return undefined;
    const national = e164Digits.slice(cc.code.length);
    const plan = this.planFor(cc, national);
    const valid = plan.pattern.test(national);
    return { code: cc.code, national, region: plan.region, valid, premium: valid && plan.premium.test(national) };
  }

  /** The calling code E.164 digits (no '+') start with; the hot path's allocation-free half of `resolve`. */
  callingCode(e164Digits: string): CallingCode | undefined {
    return this.trie.match(e164Digits);
  }

  private plansOf(cc: CallingCode): PlanRegex[] {
    return (cc.plans ??= cc.ids.map((id) => {
      const [pattern, leading, premium] = this.data.plans[id]!;
      return {
        region: cc.global ? undefined : id,
        pattern: new RegExp(`^(?:${pattern})$`),
        leading: leading ? new RegExp(`^(?:${leading})`) : undefined,
        premium: premium ? new RegExp(`^(?:${premium})$`) : NO_PREMIUM_RANGE,
      };
    }));
  }

  /** The plan (region) a national number of calling code `cc` belongs to. */
  planFor(cc: CallingCode, national: string): PlanRegex {
    const plans = this.plansOf(cc);
    const main = plans[0]!;
    if (cc.byAreaCode) {
      const npa = national.length >= 3 ? Number(national.slice(0, 3)) : 0;
      let plan = cc.byAreaCode[npa];
      if (plan === undefined) {
        const region = this.data.nanp ? this.data.nanp[npa] : learnAreaCode(npa);
        plan = cc.byAreaCode[npa] = plans.find((p) => p.region === region) ?? null;
      }
      return plan ?? main;
    }
    for (let i = 1; i < plans.length; i++) {
      const plan = plans[i]!;
      if (plan.leading?.test(national)) return plan;
    }
    return main;
  }
}

let shared: CallingCodeTable | undefined;

/** One table per process: every plan, and every reload, shares it. */
export function callingCodeTable(): CallingCodeTable {
  return (shared ??= new CallingCodeTable());
}

/** True for an ISO 3166 region the numbering metadata knows (FR, DE, ...), as libphonenumber's isSupportedCountry. */
export function isKnownRegion(region: string): boolean {
  return callingCodeTable().regions.has(region);
}
