import { isKnownRegion } from '../numbering/callingCodes.js';
import { Numbering } from '../numbering/classifier.js';
import type { PublicClass } from '../numbering/destination.js';
import { PATTERN_SYNTAX } from '../numbering/digitTrie.js';
import type { NationalPlanSpec, RangeRule, RegionRule } from '../numbering/spec.js';
import type { Located, Problems } from './located.js';
import type { InternationalFile, NumberingFile } from './schema.js';

function rules(problems: Problems, at: Located<unknown>, section: 'shortCodes' | 'ranges', table: Record<string, string> | undefined): RangeRule[] {
  return Object.entries(table ?? {}).flatMap(([raw, cls]) => {
    const pattern = raw.replace(/^\+/, '');
    if (!PATTERN_SYNTAX.test(pattern) || pattern.endsWith('$')) {
      problems.at(at, [section, raw], `"${raw}" is not a digit pattern (digits, X for any digit, N for 2-9)`, true);
      return [];
    }
    return [{ pattern, class: cls as PublicClass, where: at.file.line([...at.path, section, raw]) }];
  });
}

function regionRules(problems: Problems, at: Located<NumberingFile>): RegionRule[] {
  return Object.entries(at.value.regions ?? {}).flatMap(([pattern, region]) => {
    const path = [...at.path, 'regions', pattern];
    if (!PATTERN_SYNTAX.test(pattern) || pattern.endsWith('$')) {
      problems.at(at, ['regions', pattern], `"${pattern}" is not a digit pattern (digits, X for any digit, N for 2-9)`, true);
      return [];
    }
    if (!isKnownRegion(region)) problems.at(at, ['regions', pattern], `unknown country code ${region}`);
    return [{ pattern, region, where: at.file.line(path) }];
  });
}

function nationalPlans(problems: Problems, plans: Located<NumberingFile>[]): NationalPlanSpec[] {
  const bySite = new Map<string, Located<NumberingFile>>();
  return plans.map((at) => {
    const p = at.value;
    for (const site of p.sites) {
      const first = bySite.get(site);
      if (first) problems.at(at, ['sites'], `site country ${site} already has plan "${first.value.plan}" (${first.file.at(first.path)})`);
      bySite.set(site, at);
    }
    return {
      id: p.plan,
      sites: p.sites,
      callingCode: p.callingCode,
      trunkPrefix: p.trunkPrefix,
      internationalPrefix: p.internationalPrefix,
      nationalWithoutTrunk: p.nationalWithoutTrunk ?? [],
      localNumberLength: p.localNumberLength,
      domesticRegions: p.domesticRegions,
      emergency: p.emergency,
      callPrefixes: p.callPrefixes ?? [],
      withholdPrefixes: p.withholdPrefixes ?? [],
      shortCodes: rules(problems, at, 'shortCodes', p.shortCodes),
      ranges: rules(problems, at, 'ranges', p.ranges),
      regions: regionRules(problems, at),
      where: at.file.line([...at.path, 'emergency']),
    };
  });
}

/** Whether digit string `digits` and table pattern `pattern` (X any digit, N 2-9) agree where both have a digit. */
function overlaps(digits: string, pattern: string): boolean {
  for (let i = 0; i < Math.min(digits.length, pattern.length); i++) {
    const p = pattern[i]!;
    const d = digits[i]!;
    if (p !== 'X' && !(p === 'N' && d >= '2') && p !== d) return false;
  }
  return true;
}

/**
 * A digit call prefix must not be, or begin, an emergency number or a short code: it would hide it. A
 * withhold prefix must be a call prefix: only those are taken off before the number.
 */
function checkCallPrefixes(problems: Problems, plans: Located<NumberingFile>[]): void {
  for (const at of plans) {
    (at.value.callPrefixes ?? []).forEach((prefix, i) => {
      if (prefix.startsWith('*')) return;
      const clash = at.value.emergency.find((e) => overlaps(prefix, e)) ?? Object.keys(at.value.shortCodes).find((code) => overlaps(prefix, code));
      if (clash) problems.at(at, ['callPrefixes', i], `call prefix "${prefix}" clashes with "${clash}": a prefix must be digits no emergency number or short code starts with`);
    });
    (at.value.withholdPrefixes ?? []).forEach((prefix, i) => {
      if (!(at.value.callPrefixes ?? []).includes(prefix)) problems.at(at, ['withholdPrefixes', i], `withhold prefix "${prefix}" is not one of callPrefixes`);
    });
  }
}

/** The numbering tables compiled into tries; overlapping rows are reported with both places. */
export function compileNumberingTables(problems: Problems, plans: Located<NumberingFile>[], international: Located<InternationalFile>[]): Numbering | undefined {
  if (plans.length === 0) {
    problems.inDirectory('no numbering: plan in any file (dialplan/numbering/*.yaml)');
    return undefined;
  }
  const highRiskCountries = international.flatMap((at) =>
    (at.value.highRiskCountries ?? []).map((country, i) => {
      if (!isKnownRegion(country)) problems.at(at, ['highRiskCountries', i], `unknown country code ${country}`);
      return { country, where: at.file.line([...at.path, 'highRiskCountries', i]) };
    }),
  );
  const ranges = international.flatMap((at) => rules(problems, at, 'ranges', at.value.ranges));
  const numbering = new Numbering({ plans: nationalPlans(problems, plans), international: { ranges, highRiskCountries } });
  checkCallPrefixes(problems, plans);
  for (const { rule, with: other } of numbering.conflicts) {
    problems.list.push({ where: rule.where, message: `range "${rule.pattern}" (${rule.class}) overlaps "${other.pattern}" (${other.class}) at ${other.where}` });
  }
  for (const { rule, with: other } of numbering.regionConflicts) {
    problems.list.push({ where: rule.where, message: `region prefix "${rule.pattern}" (${rule.region}) overlaps "${other.pattern}" (${other.region}) at ${other.where}` });
  }
  return numbering;
}
