import { isSupportedCountry } from 'libphonenumber-js/max';
import { Numbering } from '../numbering/classifier.js';
import type { PublicClass } from '../numbering/destination.js';
import { PATTERN_SYNTAX } from '../numbering/digitTrie.js';
import type { NationalPlanSpec, RangeRule } from '../numbering/spec.js';
import type { Grant } from '../policy/grant.js';
import { ListIndex, type AppliesTo, type ListEntry } from '../policy/listIndex.js';
import type { ClassOfService, Extension, Plan, Site } from '../policy/plan.js';
import { parseAdminDate } from './dates.js';
import type { Problem } from './problem.js';
import type { AppliesToFile, ExtensionFile, GrantFile, InternationalFile, ListEntryFile, NumberingFile, SiteFile } from './schema.js';
import { schemaProblems } from './schemaProblems.js';
import type { SourceFile, YamlPath } from './sourceFile.js';

export type LoadResult = { ok: true; plan: Plan } | { ok: false; problems: Problem[] };

/** A value from an admin file with the file and path it was written at. */
interface Located<T> {
  file: SourceFile;
  path: YamlPath;
  value: T;
}

interface Sections {
  site: Located<SiteFile>[];
  classes: Located<[string, { allow: string[] }]>[];
  extensions: Located<ExtensionFile>[];
  grants: Located<GrantFile>[];
  allow: Located<ListEntryFile>[];
  deny: Located<ListEntryFile>[];
  notices: Located<[string, { text: string }]>[];
  numbering: Located<NumberingFile>[];
  international: Located<InternationalFile>[];
}

const SITE_DEFAULTS = { pinLength: 6, maxAttempts: 5, lockoutMinutes: 15, idleMinutes: 30, answerTimeoutSeconds: 20 };

export type NumberingResult = { ok: true; numbering: Numbering } | { ok: false; problems: Problem[] };

/** Compiles only the numbering tables, for `callguard classify`, which needs no site or extensions. */
export function compileNumbering(files: readonly SourceFile[], dirLabel: string): NumberingResult {
  return new Compiler(files, dirLabel).numberingOnly();
}

/** Turns parsed admin files into one immutable Plan, or every problem found, each at its file:line:column. */
export function compileDialplan(files: readonly SourceFile[], dirLabel: string): LoadResult {
  return new Compiler(files, dirLabel).run();
}

class Compiler {
  private readonly problems: Problem[] = [];

  constructor(
    private readonly files: readonly SourceFile[],
    private readonly dirLabel: string,
  ) {}

  numberingOnly(): NumberingResult {
    const s = this.checkShapes();
    const numbering = s && this.numbering(s.numbering, s.international);
    return numbering && this.problems.length === 0 ? { ok: true, numbering } : { ok: false, problems: this.problems };
  }

  run(): LoadResult {
    const s = this.checkShapes();
    if (!s) return { ok: false, problems: this.problems };

    const siteFile = this.single(s.site, 'site');
    const numbering = this.numbering(s.numbering, s.international);
    if (!siteFile || !numbering) return { ok: false, problems: this.problems };
    if (!numbering.siteCountries.includes(siteFile.value.country)) {
      this.report(siteFile, ['country'], `no numbering plan covers site country ${siteFile.value.country} (plans cover ${numbering.siteCountries.join(', ')})`);
      return { ok: false, problems: this.problems };
    }
    const site = this.site(siteFile);
    const classify = numbering.classifierFor({ country: site.country, outsidePrefix: site.outsidePrefix });

    const notices = new Map<string, { text: string; where: string }>();
    for (const n of this.unique(s.notices, 'notice')) notices.set(n.value[0], { text: n.value[1].text, where: n.file.line(n.path) });
    if (!notices.has(site.recording.defaultNotice)) this.report(siteFile, ['recording', 'defaultNotice'], `unknown notice "${site.recording.defaultNotice}"`);

    const classes = new Map<string, ClassOfService>();
    for (const c of this.unique(s.classes, 'class')) {
      classes.set(c.value[0], { name: c.value[0], allow: new Set(c.value[1].allow as PublicClass[]), where: c.file.line(c.path) });
    }

    const extensions = this.extensions(s.extensions, classes, notices, site, numbering, classify);
    const users = new Set([...extensions.values()].flatMap((e) => (e.user ? [e.user] : [])));
    this.securityTargets(siteFile, site, extensions);
    const grants = this.grants(s.grants, users);
    const lists = new ListIndex([
      ...s.allow.flatMap((e) => this.listEntry('allow', e, site, numbering, classify, users, extensions, classes)),
      ...s.deny.flatMap((e) => this.listEntry('deny', e, site, numbering, classify, users, extensions, classes)),
    ]);

    if (this.problems.length > 0) return { ok: false, problems: this.problems };
    return { ok: true, plan: Object.freeze({ site, numbering, classify, extensions, classes, grants, lists, notices }) };
  }

  /** Sections of every file, or undefined when a file has the wrong shape: later checks would only mislead. */
  private checkShapes(): Sections | undefined {
    for (const file of this.files) this.problems.push(...file.problems, ...schemaProblems(file));
    return this.problems.length === 0 ? this.gather() : undefined;
  }

  private report(at: Located<unknown>, sub: YamlPath, message: string, key = false): void {
    this.problems.push({ where: at.file.at([...at.path, ...sub], key), message });
  }

  private gather(): Sections {
    const s: Sections = { site: [], classes: [], extensions: [], grants: [], allow: [], deny: [], notices: [], numbering: [], international: [] };
    const push = (key: keyof Sections, item: Located<unknown>) => (s[key] as Located<unknown>[]).push(item);
    for (const file of this.files) {
      const data = (file.data ?? {}) as Record<keyof Sections, unknown>;
      for (const key of Object.keys(data) as (keyof Sections)[]) {
        const value = data[key];
        if (Array.isArray(value)) value.forEach((item, i) => push(key, { file, path: [key, i], value: item }));
        else if (key === 'site' || key === 'numbering' || key === 'international') push(key, { file, path: [key], value });
        else for (const entry of Object.entries(value as object)) push(key, { file, path: [key, entry[0]], value: entry });
      }
    }
    return s;
  }

  private single<T>(items: Located<T>[], what: string): Located<T> | undefined {
    if (items.length === 0) this.problems.push({ where: this.dirLabel, message: `no ${what}: section in any file` });
    for (const extra of items.slice(1)) this.report(extra, [], `${what} is defined again (first at ${items[0]!.file.at(items[0]!.path)})`, true);
    return items[0];
  }

  /** Entries keyed by name across files; a second definition of a name is an overlap. */
  private unique<V>(items: Located<[string, V]>[], what: string): Located<[string, V]>[] {
    const seen = new Map<string, Located<[string, V]>>();
    return items.filter((item) => {
      const first = seen.get(item.value[0]);
      if (first) this.report(item, [], `${what} "${item.value[0]}" is defined again (first at ${first.file.at(first.path, true)})`, true);
      else seen.set(item.value[0], item);
      return !first;
    });
  }

  private site({ value }: Located<SiteFile>): Site {
    return {
      name: value.name,
      country: value.country,
      outsidePrefix: value.outsidePrefix,
      emergencyTrunk: value.emergencyTrunk,
      securityControl: {
        target: value.securityControl.target,
        failover: value.securityControl.failover ?? [],
        answerTimeoutSeconds: value.securityControl.answerTimeoutSeconds ?? SITE_DEFAULTS.answerTimeoutSeconds,
      },
      recording: { ...value.recording },
      pin: {
        length: value.pin?.length ?? SITE_DEFAULTS.pinLength,
        maxAttempts: value.pin?.maxAttempts ?? SITE_DEFAULTS.maxAttempts,
        lockoutMinutes: value.pin?.lockoutMinutes ?? SITE_DEFAULTS.lockoutMinutes,
      },
      relock: { idleMinutes: value.relock?.idleMinutes ?? SITE_DEFAULTS.idleMinutes, endOfDay: value.relock?.endOfDay },
    };
  }

  private rules(at: Located<unknown>, section: 'shortCodes' | 'ranges', table: Record<string, string> | undefined): RangeRule[] {
    return Object.entries(table ?? {}).flatMap(([raw, cls]) => {
      const pattern = raw.replace(/^\+/, '');
      if (!PATTERN_SYNTAX.test(pattern) || pattern.endsWith('$')) {
        this.report(at, [section, raw], `"${raw}" is not a digit pattern (digits, X for any digit, N for 2-9)`, true);
        return [];
      }
      return [{ pattern, class: cls as PublicClass, where: at.file.line([...at.path, section, raw]) }];
    });
  }

  private numbering(plans: Located<NumberingFile>[], international: Located<InternationalFile>[]): Numbering | undefined {
    if (plans.length === 0) {
      this.problems.push({ where: this.dirLabel, message: 'no numbering: plan in any file (dialplan/numbering/*.yaml)' });
      return undefined;
    }
    const bySite = new Map<string, Located<NumberingFile>>();
    const specs: NationalPlanSpec[] = plans.map((at) => {
      const p = at.value;
      for (const site of p.sites) {
        const first = bySite.get(site);
        if (first) this.report(at, ['sites'], `site country ${site} already has plan "${first.value.plan}" (${first.file.at(first.path)})`);
        bySite.set(site, at);
      }
      return {
        id: p.plan,
        sites: p.sites,
        callingCode: p.callingCode,
        trunkPrefix: p.trunkPrefix,
        internationalPrefix: p.internationalPrefix,
        nationalWithoutTrunk: p.nationalWithoutTrunk ?? [],
        domesticRegions: p.domesticRegions,
        emergency: p.emergency,
        shortCodes: this.rules(at, 'shortCodes', p.shortCodes),
        ranges: this.rules(at, 'ranges', p.ranges),
        where: at.file.line([...at.path, 'emergency']),
      };
    });
    const highRiskCountries = international.flatMap((at) =>
      (at.value.highRiskCountries ?? []).map((country, i) => {
        if (!isSupportedCountry(country)) this.report(at, ['highRiskCountries', i], `unknown country code ${country}`);
        return { country, where: at.file.line([...at.path, 'highRiskCountries', i]) };
      }),
    );
    const numbering = new Numbering({ plans: specs, international: { ranges: international.flatMap((at) => this.rules(at, 'ranges', at.value.ranges)), highRiskCountries } });
    for (const { rule, with: other } of numbering.conflicts) {
      this.problems.push({ where: rule.where, message: `range "${rule.pattern}" (${rule.class}) overlaps "${other.pattern}" (${other.class}) at ${other.where}` });
    }
    return numbering;
  }

  private extensions(
    items: Located<ExtensionFile>[],
    classes: ReadonlyMap<string, ClassOfService>,
    notices: ReadonlyMap<string, unknown>,
    site: Site,
    numbering: Numbering,
    classify: (s: string) => { class: string; shortCode?: string },
  ): Map<string, Extension> {
    const byExt = new Map<string, Extension>();
    const located = new Map<string, Located<ExtensionFile>>();
    for (const at of items) {
      const e = at.value;
      const first = located.get(e.ext);
      if (first) {
        this.report(at, ['ext'], `extension ${e.ext} is defined again (first at ${first.file.at([...first.path, 'ext'])})`);
        continue;
      }
      located.set(e.ext, at);
      const cos = classes.get(e.class);
      if (!cos) this.report(at, ['class'], `unknown class of service "${e.class}" (have ${[...classes.keys()].join(', ')})`);
      const outside = site.outsidePrefix;
      const public_ = classify(e.ext);
      if (numbering.emergencyNumbers(site.country).has(e.ext) || public_.class === 'emergency') {
        this.report(at, ['ext'], `extension ${e.ext} collides with an emergency number`);
      } else if (outside && e.ext.startsWith(outside)) {
        this.report(at, ['ext'], `extension ${e.ext} starts with the outside-line prefix ${outside}`);
      } else if (public_.shortCode !== undefined) {
        this.report(at, ['ext'], `extension ${e.ext} collides with the public short code ${e.ext} (${public_.class})`);
      }
      const notice = typeof e.recorded === 'object' ? e.recorded.notice : e.recorded ? site.recording.defaultNotice : undefined;
      if (typeof e.recorded === 'object' && !notices.has(e.recorded.notice)) this.report(at, ['recorded', 'notice'], `unknown notice "${e.recorded.notice}"`);
      if (e.emergencyLine && !e.location) this.report(at, ['emergencyLine'], `emergency line ${e.ext} needs a location for Security Control`, true);
      if (!cos) continue;
      byExt.set(e.ext, Object.freeze({
        ext: e.ext,
        name: e.name,
        user: e.user,
        classOfService: cos,
        role: e.emergencyLine ? { kind: 'emergency-line' as const, location: e.location ?? '' } : { kind: 'desk' as const },
        recordedNotice: notice,
        location: e.location,
        ddi: e.ddi,
        where: at.file.line(at.path),
      }));
    }
    // Phones dial digit by digit: an extension that begins another could never be reached.
    const sorted = [...located.keys()].sort();
    for (let i = 1; i < sorted.length; i++) {
      const [a, b] = [sorted[i - 1]!, sorted[i]!];
      if (b.startsWith(a)) this.report(located.get(b)!, ['ext'], `extension ${b} begins with extension ${a} (${located.get(a)!.file.at([...located.get(a)!.path, 'ext'])})`);
    }
    return byExt;
  }

  private securityTargets(at: Located<SiteFile>, site: Site, extensions: ReadonlyMap<string, Extension>): void {
    const targets = [site.securityControl.target, ...site.securityControl.failover];
    targets.forEach((target, i) => {
      if (extensions.has(target) || /^sips?:/.test(target) || /^\+[0-9]{6,15}$/.test(target)) return;
      this.report(at, i === 0 ? ['securityControl', 'target'] : ['securityControl', 'failover', i - 1], `Security Control target "${target}" is neither an extension, a sip: URI nor an E.164 number`);
    });
  }

  private dates(at: Located<{ from?: string; until?: string }>): { from?: number; until?: number } | undefined {
    const { from, until } = at.value;
    const start = from === undefined ? undefined : this.parseDate(from, 'from');
    const end = until === undefined ? undefined : this.parseDate(until, 'until');
    if (from !== undefined && start === undefined) this.report(at, ['from'], `"${from}" is not a real date`);
    if (until !== undefined && end === undefined) this.report(at, ['until'], `"${until}" is not a real date`);
    if (start !== undefined && end !== undefined && end <= start) {
      this.report(at, ['until'], `ends (${until}) before it starts (${from})`);
      return undefined;
    }
    return { from: start, until: end };
  }

  /** Large plans repeat a handful of dates (end of term, end of year) across thousands of entries. */
  private readonly parsedDates = new Map<string, number | undefined>();

  private parseDate(text: string, end: 'from' | 'until'): number | undefined {
    const key = `${end}${text}`;
    if (!this.parsedDates.has(key)) this.parsedDates.set(key, parseAdminDate(text, end));
    return this.parsedDates.get(key);
  }

  private grants(items: Located<GrantFile>[], users: ReadonlySet<string>): Map<string, Grant[]> {
    const byUser = new Map<string, Grant[]>();
    const ids = new Map<string, Located<GrantFile>>();
    for (const at of items) {
      const g = at.value;
      const id = g.id ?? `${g.user}@${at.file.line(at.path)}`;
      const first = ids.get(id);
      if (first) this.report(at, ['id'], `grant id "${id}" is used again (first at ${first.file.at(first.path)})`);
      ids.set(id, at);
      if (!users.has(g.user)) this.report(at, ['user'], `grant for unknown user "${g.user}" (no extension has user: ${g.user})`);
      (g.countries ?? []).forEach((c, i) => {
        if (!isSupportedCountry(c)) this.report(at, ['countries', i], `unknown country code ${c}`);
      });
      const dates = this.dates(at);
      if (!dates) continue;
      const grant: Grant = {
        id,
        user: g.user,
        worldwide: g.worldwide ?? false,
        countries: new Set(g.countries ?? []),
        prefixes: (g.prefixes ?? []).map((p) => p.slice(1)),
        ...dates,
        reason: g.reason,
        approver: g.approver,
        where: at.file.line(at.path),
      };
      byUser.set(g.user, [...(byUser.get(g.user) ?? []), grant]);
    }
    return byUser;
  }

  private listEntry(
    kind: 'allow' | 'deny',
    at: Located<ListEntryFile>,
    site: Site,
    numbering: Numbering,
    classify: (s: string) => { class: string; e164?: string; shortCode?: string },
    users: ReadonlySet<string>,
    extensions: ReadonlyMap<string, unknown>,
    classes: ReadonlyMap<string, unknown>,
  ): ListEntry[] {
    const e = at.value;
    const field = e.number !== undefined ? 'number' : 'prefix';
    const raw = (e.number ?? e.prefix)!;
    if (!raw.startsWith('+') && classify(raw).class === 'emergency') {
      this.report(at, [field], `"${raw}" is an emergency number: emergency calls are never listed, blocked or delayed`);
      return [];
    }
    let space: ListEntry['space'] = 'e164';
    let digits: string | undefined;
    if (raw.startsWith('+')) digits = raw.slice(1);
    else if (field === 'number') {
      const d = classify(raw);
      if (d.e164) digits = d.e164.slice(1);
      else if (d.shortCode !== undefined) [space, digits] = ['short', d.shortCode];
    } else {
      digits = numbering.toE164(site.country, raw);
      if (digits === undefined) [space, digits] = ['short', raw];
    }
    if (digits === undefined) {
      this.report(at, [field], `"${raw}" is not a number callguard can classify (${classify(raw).class})`);
      return [];
    }
    const appliesTo = this.appliesTo(at, e.for, users, extensions, classes);
    const dates = this.dates(at);
    if (!dates) return [];
    return [{ kind, digits, space, match: field, appliesTo, reason: e.reason, approver: e.approver, ...dates, where: at.file.line(at.path) }];
  }

  private appliesTo(at: Located<unknown>, who: AppliesToFile, users: ReadonlySet<string>, extensions: ReadonlyMap<string, unknown>, classes: ReadonlyMap<string, unknown>): AppliesTo {
    if (who === 'everyone') return { everyone: true };
    const check = (key: 'users' | 'extensions' | 'classes', known: { has(k: string): boolean }) =>
      (who[key] ?? []).forEach((name, i) => {
        if (!known.has(name)) this.report(at, ['for', key, i], `unknown ${key.slice(0, -1)} "${name}"`);
      });
    check('users', users);
    check('extensions', extensions);
    check('classes', classes);
    return { everyone: false, users: setOf(who.users), extensions: setOf(who.extensions), classes: setOf(who.classes) };
  }
}

const NOBODY: ReadonlySet<string> = new Set();

/** Most entries name one kind of selector; sharing one empty set keeps 100,000-entry lists small. */
function setOf(names: string[] | undefined): ReadonlySet<string> {
  return names && names.length > 0 ? new Set(names) : NOBODY;
}
