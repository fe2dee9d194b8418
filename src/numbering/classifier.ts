import { callingCodeTable, type CallingCodeTable } from './callingCodes.js';
import type { ClassSource, Destination, PublicClass } from './destination.js';
import { DigitTrie } from './digitTrie.js';
import { classOfLibraryType } from './libraryType.js';
import { normaliseDialString } from './normalise.js';
import type { NationalPlanSpec, NumberingSpec, RangeRule, RegionRule, SiteContext } from './spec.js';

export type Classify = (dialString: string) => Destination;

/** A table row as the tries hold it, with the source every destination it decides carries (one object, shared). */
interface Rule extends RangeRule {
  source: ClassSource;
}

interface CompiledPlan {
  spec: NationalPlanSpec;
  /** Two rules of its tables claiming the same digits, for the validator. */
  conflicts: RuleConflict[];
  emergency: ReadonlySet<string>;
  /** Length of the longest emergency number: longer strings skip the set lookup (and hashing the string). */
  emergencyLength: number;
  shortCodes: DigitTrie<Rule>;
  ranges: DigitTrie<Rule>;
  domestic: ReadonlySet<string | undefined>;
  /** First characters of the call prefixes: a dial string starting with none of them (nor the outside prefix) has none. */
  callPrefixStarts: ReadonlySet<number>;
}

/** Longest E.164 number (ITU-T E.164 §6.1), without the '+'. */
const MAX_E164_DIGITS = 15;
const INVALID_SYNTAX: Destination = Object.freeze({ class: 'invalid', source: Object.freeze({ kind: 'syntax' }) }) as Destination;
const LIBRARY: ClassSource = Object.freeze({ kind: 'library' });
const INVALID_BY_LIBRARY: Destination = Object.freeze({ class: 'invalid', source: LIBRARY }) as Destination;

/** A conflict found while compiling: two rules claiming the same digits. */
export interface RuleConflict {
  rule: RangeRule;
  with: RangeRule;
}

/**
 * The numbering tables compiled into tries. Classification order (reference 2.5): emergency,
 * short codes, admin/global E.164 ranges, national ranges, the library for what no table decides.
 */
export class Numbering {
  readonly regionConflicts: { rule: RegionRule; with: RegionRule }[] = [];
  private readonly globalConflicts: RuleConflict[] = [];
  /** Each plan's tries are built on first use: a run for a GB site never walks the NANP tables. */
  private readonly plansBySite = new Map<string, NationalPlanSpec>();
  private readonly compiled = new Map<NationalPlanSpec, CompiledPlan>();
  private readonly global: DigitTrie<Rule>;
  /** E.164 prefixes of regions the calling-code data cannot tell apart (+44 1534 JE, +44 1481 GG). */
  private readonly regions = new DigitTrie<RegionRule>();
  private readonly highRisk = new Map<string, ClassSource>();
  private readonly codes: CallingCodeTable;

  /** The tables as written, to rebuild these tries in another thread. */
  constructor(readonly spec: NumberingSpec) {
    this.codes = callingCodeTable();
    for (const plan of spec.plans) {
      for (const site of plan.sites) this.plansBySite.set(site, plan);
      for (const rule of plan.regions) {
        const clash = this.regions.add(plan.callingCode + rule.pattern, rule);
        if (clash) this.regionConflicts.push({ rule, with: clash });
      }
    }
    this.global = this.trieOf(spec.international.ranges, this.globalConflicts);
    for (const { country, where } of spec.international.highRiskCountries) this.highRisk.set(country, Object.freeze({ kind: 'table', rule: where }));
  }

  /** Rules of a table claiming the same digits, plan by plan, then the international ranges' (this builds every plan). */
  get conflicts(): readonly RuleConflict[] {
    return [...this.spec.plans.flatMap((plan) => this.compile(plan).conflicts), ...this.globalConflicts];
  }

  get siteCountries(): string[] {
    return [...this.plansBySite.keys()];
  }

  /** Every emergency number of a site's plan, as dialled without the outside prefix. */
  emergencyNumbers(country: string): ReadonlySet<string> {
    return this.planOf(country).emergency;
  }

  /** National or international dialled digits (no outside prefix) as E.164 digits, for admin-written prefixes. */
  toE164(country: string, digits: string): string | undefined {
    return toE164(this.planOf(country).spec, false, digits);
  }

  /**
   * Whether a dial string asks for the caller's number to be withheld on this call: the call prefix
   * nearest the number is a withhold prefix (141 07700 900123; 1470 after it would send the number).
   */
  withholdsCallerId(site: SiteContext, dialString: string): boolean {
    const plan = this.planOf(site.country);
    let withheld = false;
    for (let cut = afterCallPrefix(plan, site, dialString); cut !== undefined; cut = afterCallPrefix(plan, site, cut.rest)) withheld = plan.spec.withholdPrefixes.includes(cut.prefix);
    return withheld;
  }

  /** A classifier bound to one site, so the per-call path does no lookups of the site. */
  classifierFor(site: SiteContext): Classify {
    const plan = this.planOf(site.country);
    return (dialString) => this.classify(plan, site, dialString);
  }

  /** Why `areaCode` cannot be the home area code of a site in `country`, or undefined when it can. */
  areaCodeProblem(country: string, areaCode: string): string | undefined {
    const { spec } = this.planOf(country);
    if (spec.localNumberLength === undefined) return `areaCode is for plans with local dialling (localNumberLength); plan "${spec.id}" of site country ${country} has none`;
    const subscriber = '2345678901234'.slice(0, spec.localNumberLength);
    const sample = this.classifierFor({ country })(`+${spec.callingCode}${areaCode}${subscriber}`);
    if (sample.class !== 'geographic') return `"${areaCode}" is not a geographic area code of plan "${spec.id}"`;
    if (sample.country !== country) return `area code ${areaCode} is in ${sample.country ?? 'no country'}, not the site's country ${country}`;
    return undefined;
  }

  private planOf(country: string): CompiledPlan {
    const plan = this.plansBySite.get(country);
    if (!plan) throw new Error(`no numbering plan for site country ${country} (have ${this.siteCountries.join(', ')})`);
    return this.compile(plan);
  }

  private compile(plan: NationalPlanSpec): CompiledPlan {
    let compiled = this.compiled.get(plan);
    if (!compiled) {
      const conflicts: RuleConflict[] = [];
      compiled = {
        spec: plan,
        conflicts,
        emergency: new Set(plan.emergency),
        emergencyLength: Math.max(0, ...plan.emergency.map((e) => e.length)),
        shortCodes: this.trieOf(plan.shortCodes, conflicts, (p) => `${p}$`),
        ranges: this.trieOf(plan.ranges, conflicts),
        domestic: new Set(plan.domesticRegions),
        callPrefixStarts: new Set(plan.callPrefixes.map((p) => p.charCodeAt(0))),
      };
      this.compiled.set(plan, compiled);
    }
    return compiled;
  }

  /** Rules in a trie; two rules claiming the same digits are kept as a conflict for the validator. */
  private trieOf(rules: RangeRule[], conflicts: RuleConflict[], shape: (pattern: string) => string = (p) => p): DigitTrie<Rule> {
    const trie = new DigitTrie<Rule>();
    for (const row of rules) {
      // Written out, not spread from the row: spread rules took several shapes, and the reads of their class
      // and source in ruled() went megamorphic (node --log-ic on a bulk classify).
      const rule: Rule = { pattern: row.pattern, class: row.class, where: row.where, source: Object.freeze({ kind: 'table', rule: row.where }) };
      const clash = trie.add(shape(rule.pattern), rule);
      if (clash) conflicts.push({ rule, with: clash });
    }
    return trie;
  }

  private classify(plan: CompiledPlan, site: SiteContext, dialString: string): Destination {
    let input = dialString;
    // A loop rather than a recursive call: TurboFan inlined classify into itself through the recursion,
    // and compiling that graph took 120-320 ms of CPU, once or more in each thread of a bulk classify.
    if (plan.spec.callPrefixes.length > 0) for (let cut = afterCallPrefix(plan, site, input); cut !== undefined; cut = afterCallPrefix(plan, site, input)) input = cut.rest;
    const dialled = normaliseDialString(input);
    if (!dialled) return INVALID_SYNTAX;
    const { spec } = plan;
    let digits = dialled.digits;
    if (!dialled.plus) {
      // Emergency first, with and without the outside-line prefix (Kari's Law; 9-999).
      if (digits.length <= plan.emergencyLength && plan.emergency.has(digits)) return emergency(spec, site, digits);
      const outside = site.outsidePrefix;
      if (outside && digits.length > outside.length && digits.startsWith(outside)) {
        digits = digits.slice(outside.length);
        if (digits.length <= plan.emergencyLength && plan.emergency.has(digits)) return emergency(spec, site, digits);
      }
      const short = plan.shortCodes.match(digits);
      if (short) return { class: short.class, shortCode: digits, country: site.country, source: short.source };
    }
    // NANP 7-digit local dialling: the site's own area code is implied.
    const local = !dialled.plus && digits.length === spec.localNumberLength && site.areaCode !== undefined;
    const e164 = local ? spec.callingCode + site.areaCode + digits : toE164(spec, dialled.plus, digits);
    if (e164 === undefined || e164.length > MAX_E164_DIGITS) return INVALID_SYNTAX;
    const cc = this.codes.callingCode(e164);
    if (!cc) return INVALID_SYNTAX;
    const national = e164.slice(cc.code.length);
    const region = this.codes.planFor(cc, national);
    const plus = `+${e164}`;
    const country = this.regions.match(e164)?.region ?? region.region;
    const global = this.global.match(e164);
    // Admin and global ranges bar whatever lies under them, valid or not.
    if (global) return ruled(global, plus, country);
    if (!region.pattern.test(national)) return INVALID_BY_LIBRARY;
    if (cc.code === spec.callingCode && plan.domestic.has(country)) {
      const range = plan.ranges.match(national);
      if (range) return ruled(range, plus, country);
      return libraryDecides(plus, country);
    }
    // The region's own premium-rate range (e.g. +33 89) is barred like a domestic premium number. One
    // object for the three outcomes: compiled code that had not yet met a rare one (premium here) was
    // thrown away at its own object literal, then classify compiled again.
    const premium = region.premium.test(national);
    const highRisk = premium || country === undefined ? undefined : this.highRisk.get(country);
    return { class: premium ? 'premium' : highRisk ? 'high-risk' : 'international', e164: plus, country, source: highRisk ?? LIBRARY };
  }

}

/**
 * A call prefix (*67, *82; 141, 1470) changes how the call is made, not where it goes: the number
 * after it decides, whether the prefix comes before or after the outside-line prefix. The first call
 * prefix of a dial string and the dial string without it, or undefined when it has none.
 */
function afterCallPrefix(plan: CompiledPlan, site: SiteContext, dialString: string): { prefix: string; rest: string } | undefined {
  const outside = site.outsidePrefix;
  // An empty line would read past its end below, which costs a deoptimisation and a recompile of classify.
  if (dialString.length === 0) return undefined;
  if (!plan.callPrefixStarts.has(dialString.charCodeAt(0)) && (outside === undefined || !dialString.startsWith(outside))) return undefined;
  for (const prefix of plan.spec.callPrefixes) {
    if (dialString.length > prefix.length && dialString.startsWith(prefix)) return { prefix, rest: dialString.slice(prefix.length).trimStart() };
    if (outside === undefined || !dialString.startsWith(outside)) continue;
    const at = outside.length + (dialString[outside.length] === ' ' ? 1 : 0);
    if (dialString.length > at + prefix.length && dialString.startsWith(prefix, at)) return { prefix, rest: outside + dialString.slice(at + prefix.length) };
  }
  return undefined;
}

/** A table row's class for a number; a row may declare numbers `invalid` (NANP N11 codes are not area codes). */
function ruled(rule: Rule, e164: string, country: string | undefined): Destination {
  return rule.class === 'invalid' ? { class: 'invalid', source: rule.source } : { class: rule.class, e164, country, source: rule.source };
}

/** `shortCode` is the emergency number without the outside prefix or '#': what the emergency trunk is sent. */
function emergency(spec: NationalPlanSpec, site: SiteContext, digits: string): Destination {
  return { class: 'emergency', shortCode: digits, country: site.country, source: { kind: 'table', rule: spec.where } };
}

function toE164(spec: NationalPlanSpec, plus: boolean, digits: string): string | undefined {
  if (plus) return digits;
  if (digits.startsWith(spec.internationalPrefix)) return digits.slice(spec.internationalPrefix.length);
  if (digits.startsWith(spec.trunkPrefix)) return spec.callingCode + digits.slice(spec.trunkPrefix.length);
  if (spec.nationalWithoutTrunk.includes(digits.length)) return spec.callingCode + digits;
  return undefined;
}

function libraryDecides(e164: string, country: string | undefined): Destination {
  const cls: PublicClass = classOfLibraryType(e164);
  return cls === 'invalid' ? INVALID_BY_LIBRARY : { class: cls, e164, country, source: LIBRARY };
}
