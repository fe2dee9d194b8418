import type { PublicClass } from './destination.js';

/** One row of a numbering table, with the "file:line" it came from. */
export interface RangeRule {
  pattern: string;
  class: PublicClass;
  where: string;
}

/** A national numbering plan as the admin files describe it (dialplan/numbering/<plan>.yaml). */
export interface NationalPlanSpec {
  id: string;
  /** Site countries that dial with this plan (NANP: US and CA). */
  sites: string[];
  callingCode: string;
  trunkPrefix: string;
  internationalPrefix: string;
  /** NANP: ten digits without the leading 1 are a national number too. */
  nationalWithoutTrunk: number[];
  /** NANP: a local number of this many digits (555 0100) is dialled without the site's area code. */
  localNumberLength?: number | undefined;
  /** Regions reached by national dialling from these sites (US site: Canada, Puerto Rico, ...). */
  domesticRegions: string[];
  emergency: string[];
  /**
   * Codes dialled before a number that change how the call is made, not where it goes (NANP vertical
   * service codes such as *67 and *82 for caller ID): the call is classified by the number that follows.
   */
  callPrefixes: string[];
  /** Those of the call prefixes that withhold the caller's number for the call (UK 141, NANP *67). */
  withholdPrefixes: string[];
  shortCodes: RangeRule[];
  ranges: RangeRule[];
  /** National number prefixes of other regions sharing the calling code (+44 1534 Jersey), from every site. */
  regions: RegionRule[];
  where: string;
}

/** A national number prefix (digits, X, N) that belongs to `region`, with the "file:line" it came from. */
export interface RegionRule {
  pattern: string;
  region: string;
  where: string;
}

/** Rules over E.164 digits that apply from every site: global services, fraud ranges, odd chat lines. */
export interface InternationalSpec {
  ranges: RangeRule[];
  highRiskCountries: { country: string; where: string }[];
}

export interface NumberingSpec {
  plans: NationalPlanSpec[];
  international: InternationalSpec;
}

/** Where a call is dialled from. */
export interface SiteContext {
  country: string;
  outsidePrefix?: string | undefined;
  /** The site's home area code, for local numbers dialled without one (NANP 7-digit dialling). */
  areaCode?: string | undefined;
}
