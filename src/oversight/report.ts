import type { Plan, Rate } from '../policy/plan.js';
import { CallerTally, PIN_FAILURES, PIN_LOCKOUTS, PIN_PROMPTS } from './callerTally.js';
import { DayOf } from './callRecords.js';
import { F, scanFiles, type Field, type RecordView, type ScanStats } from './recordScan.js';

/**
 * The monthly usage and exception report, computed in one pass over the month's call records: per
 * department and per user, calls and minutes by class with an estimated cost (the plan's `tariffs`),
 * barred attempts with the numbers tried, PIN prompts and lockouts, international calls against the
 * grants that allowed them (and grants never used), emergency and hotline calls, users over
 * `site.review.costFlag`, and extensions that made no call at all.
 */

/** Refusals that are an attempt to reach something barred (not a mistyped number or an unknown caller). */
const BARRED_REASONS = new Set(['premium-barred', 'chat-line-barred', 'directory-barred', 'international-not-granted', 'high-risk-not-granted', 'class-not-permitted', 'deny-list', 'fraud-limit']);
const ABROAD = new Set(['international', 'high-risk']);
const QUARTER_HOUR = 15 * 60_000;
/** Numbers kept per user and class of barred attempts (the count is exact). */
const NUMBERS_KEPT = 10;

export interface ClassUsage {
  calls: number;
  answered: number;
  seconds: number;
  /** Minor units (pence). */
  cost: number;
}

interface UserAgg {
  ext: string;
  user?: string | undefined;
  department?: string | undefined;
  calls: number;
  byClass: Map<string, ClassUsage>;
  barred: Map<string, { attempts: number; numbers: Set<string> }>;
  pinPrompts: number;
  pinFailures: number;
  pinLockouts: number;
}

interface GrantAgg {
  id: string;
  calls: number;
  answered: number;
  seconds: number;
  cost: number;
  countries: Map<string, number>;
  users: Set<string>;
}

export interface SafetyCall {
  at: string;
  kind: 'emergency' | 'hotline';
  ext: string;
  name?: string | undefined;
  location?: string | undefined;
  dialled: string;
  disposition: string;
  answered: boolean;
  failover?: string | undefined;
}

export interface UserRow {
  ext: string;
  user?: string | undefined;
  name?: string | undefined;
  department: string;
  calls: number;
  answered: number;
  minutes: number;
  cost: number;
  byClass: Record<string, { calls: number; minutes: number; cost: number }>;
  barredAttempts: number;
  pinPrompts: number;
  pinFailures: number;
  pinLockouts: number;
}

export interface Report {
  month: string;
  department?: string | undefined;
  site: string;
  timezone: string;
  currency: string;
  costFlag?: number | undefined;
  /** Where the tariffs are (file:line), when the plan has them. */
  tariffs?: string | undefined;
  /**
   * Calls made by the site's extensions (the users' rows added up: minutes from the seconds, so the
   * figures agree with the departments' and users' tables), calls from outside to an extension
   * (`inbound`), and calls from outside refused for reaching no extension (`outsideRefused`), which
   * are nobody's calls here.
   */
  totals: { calls: number; answered: number; minutes: number; cost: number; barredAttempts: number; emergency: number; hotline: number; inbound: number; outsideRefused: number };
  classes: string[];
  departments: { department: string; extensions: number; users: number; calls: number; answered: number; minutes: number; cost: number; byClass: Record<string, { calls: number; minutes: number; cost: number }>; barredAttempts: number; idleExtensions: number }[];
  users: UserRow[];
  barred: { ext: string; user?: string | undefined; department: string; class: string; attempts: number; numbers: string[] }[];
  pin: { ext: string; user?: string | undefined; department: string; prompts: number; failures: number; lockouts: number }[];
  grants: { id: string; user: string; covers: string; where: string; calls: number; answered: number; minutes: number; cost: number; countries: Record<string, number> }[];
  unusedGrants: { id: string; user: string; covers: string; where: string }[];
  safety: SafetyCall[];
  costFlagged: UserRow[];
  idle: { ext: string; name: string; user?: string | undefined; department: string }[];
  busiest: UserRow[];
  records: ScanStats;
}

export interface ReportOptions {
  month: string;
  department?: string | undefined;
}

/** What a builder has gathered over some files: structured-clone safe, for a builder on another thread to merge. */
export interface ReportPartial {
  users: Map<string, UserAgg>;
  grants: Map<string, GrantAgg>;
  safety: SafetyCall[];
  inbound: number;
  outsideRefused: number;
}

const addUsage = (into: ClassUsage, c: ClassUsage) => {
  into.calls += c.calls;
  into.answered += c.answered;
  into.seconds += c.seconds;
  into.cost += c.cost;
};

/** Each entry of `from` into `into`: taken as it is when new there, else combined with the one there. */
function mergeMaps<K, V>(into: Map<K, V>, from: Map<K, V>, combine: (mine: V, theirs: V) => void): void {
  for (const [key, value] of from) {
    const mine = into.get(key);
    if (mine === undefined) into.set(key, value);
    else combine(mine, value);
  }
}

/** True when the kept numbers include the value of `f` (compared byte for byte: no string made). */
function holdsNumber(numbers: Set<string>, v: RecordView, f: Field): boolean {
  for (const n of numbers) if (v.is(f, n)) return true;
  return false;
}

/** The grant id of a decision's rule (`grant:ID`), or ''. */
const grantOf = (rule: string) => (rule.startsWith('grant:') ? rule.slice(6) : '');

/** Text order as localeCompare gives it, from one collator made once. */
const collate = new Intl.Collator().compare;

const round1 = (n: number) => Math.round(n * 10) / 10;
const money = (minor: number) => Math.round(minor) / 100;

/** Accumulates records; `add` is called once per record line. */
export class ReportBuilder {
  private readonly users = new Map<string, UserAgg>();
  private readonly grants = new Map<string, GrantAgg>();
  private readonly safety: SafetyCall[] = [];
  private readonly days = new DayOf();
  private inbound = 0;
  private outsideRefused = 0;
  private readonly zone: string;
  private quarter = Number.NaN;
  private inMonth = false;
  /** Figures not yet in `users` (see `settle`): a row per caller (`rows`), a column per class (`classNames`). */
  private readonly tally = new CallerTally();
  private readonly rows: UserAgg[] = [];
  private readonly rowOf = new Map<string, number>();
  private readonly classNames: string[] = [];
  private readonly classIndex = new Map<string, number>();
  /** 1 for a column of calls abroad (whose tariff is by country). */
  private readonly abroad: number[] = [];
  /** Rows and class columns by the small numbers the view that scans the records gives its values (no string hashed). */
  private view: RecordView | undefined;
  private rowByFrom: number[] = [];
  private columnByClass: number[] = [];
  /** Tariffs by class column, then by the view's country id for calls abroad (0 for any other class). */
  private rates: (Rate | null)[][] = [];
  /** The grant each rule is ('' for a rule that is no grant), by the view's rule id. */
  private grantByRule: string[] = [];

  constructor(
    private readonly plan: Plan,
    private readonly options: ReportOptions,
  ) {
    this.zone = plan.site.timezone;
  }

  private rate(cls: string, country: string | undefined): Rate | undefined {
    const t = this.plan.tariffs;
    if (!t) return undefined;
    return (ABROAD.has(cls) && country !== undefined ? t.countries.get(country) : undefined) ?? t.classes.get(cls);
  }

  private rateOf(column: number, v: RecordView): Rate | null {
    const byCountry = (this.rates[column] ??= []);
    const slot = this.abroad[column] === 1 ? v.internId(F.country) + 1 : 0;
    return (byCountry[slot] ??= this.rate(this.classNames[column]!, v.intern(F.country)) ?? null);
  }

  private rowFor(v: RecordView): number {
    const from = v.intern(F.from)!;
    let row = this.rowOf.get(from);
    if (row === undefined) {
      let u = this.users.get(from);
      if (!u) this.users.set(from, (u = { ext: from, user: v.intern(F.user), department: v.intern(F.dept), calls: 0, byClass: new Map(), barred: new Map(), pinPrompts: 0, pinFailures: 0, pinLockouts: 0 }));
      row = this.tally.addRow();
      this.rows[row] = u;
      this.rowOf.set(from, row);
    }
    return row;
  }

  private columnFor(cls: string): number {
    let column = this.classIndex.get(cls);
    if (column === undefined) {
      column = this.classNames.push(cls) - 1;
      this.classIndex.set(cls, column);
      this.abroad[column] = ABROAD.has(cls) ? 1 : 0;
      this.tally.ensureColumn(column);
    }
    return column;
  }

  add(v: RecordView): void {
    const invite = v.time(F.invite);
    // Whether a call is in the month changes at most once a quarter hour (the time zone's day).
    const quarter = Math.floor(invite / QUARTER_HOUR);
    if (quarter !== this.quarter) {
      this.inMonth = this.days.of(invite, this.zone).startsWith(this.options.month);
      this.quarter = quarter;
    }
    if (!this.inMonth) return;
    if (this.options.department !== undefined && v.intern(F.dept) !== this.options.department) return;
    const reason = v.intern(F.reason)!;
    if (reason === 'inbound') {
      this.inbound++;
      return;
    }
    // A caller that is not an extension, refused (it reached none): a call from outside, no user's.
    if (reason === 'unknown-caller' || reason === 'unknown-extension') {
      this.outsideRefused++;
      return;
    }
    if (v !== this.view) {
      this.view = v;
      this.rowByFrom = [];
      this.columnByClass = [];
      this.rates = [];
      this.grantByRule = [];
    }
    const fromId = v.internId(F.from);
    const row = fromId >= 0 ? (this.rowByFrom[fromId] ??= this.rowFor(v)) : this.rowFor(v);
    const tally = this.tally;
    const action = v.intern(F.action)!;
    const classId = v.internId(F.class);
    const column = classId >= 0 ? (this.columnByClass[classId] ??= this.columnFor(v.intern(F.class)!)) : this.columnFor(v.intern(F.class)!);
    const cls = this.classNames[column]!;
    if (action === 'reject') {
      if (reason === 'pin-locked-out') tally.count(row, PIN_LOCKOUTS);
      if (BARRED_REASONS.has(reason)) {
        // Calls refused by a toll-fraud limit get a row of their own: the class alone would hide them among the ungranted.
        const key = reason === 'fraud-limit' ? 'fraud-limit' : cls;
        const keyColumn = reason === 'fraud-limit' ? this.columnFor(key) : column;
        if (tally.barred(row, keyColumn)) {
          const barred = this.rows[row]!.barred;
          let b = barred.get(key);
          if (!b) barred.set(key, (b = { attempts: 0, numbers: new Set() }));
          // A number already kept (a caller trying again) is compared in place: a string is made only for a new one.
          const f = v.has(F.e164) ? F.e164 : F.to;
          if (!holdsNumber(b.numbers, v, f)) b.numbers.add(v.text(f) ?? '');
          if (b.numbers.size >= NUMBERS_KEPT) tally.numbersKept(row, keyColumn);
        }
      } else {
        tally.refused(row, column);
      }
      return;
    }
    if (action === 'pin-required') tally.count(row, PIN_PROMPTS);
    // Wrong PINs in a call, and a lockout they caused (a call refused because entry was already locked out counts above).
    if (v.has(F.pinFail)) tally.count(row, PIN_FAILURES, v.int(F.pinFail));
    if (v.is(F.pinLock, 'true')) tally.count(row, PIN_LOCKOUTS);
    const answered = v.is(F.disp, 'answered');
    const seconds = answered ? v.int(F.dur) : 0;
    let cost = 0;
    if (answered && action !== 'emergency' && cls !== 'internal') {
      const rate = this.rateOf(column, v);
      if (rate) cost = rate.perCall + rate.perMinute * Math.ceil(seconds / 60);
    }
    tally.call(row, column, answered, seconds, cost);

    if (action === 'emergency' || action === 'security') {
      const from = this.rows[row]!.ext;
      const ext = this.plan.extensions.get(from);
      this.safety.push({
        at: new Date(invite).toISOString(),
        kind: action === 'emergency' ? 'emergency' : 'hotline',
        ext: from,
        name: ext?.name,
        location: ext?.role.kind === 'emergency-line' ? ext.role.location : ext?.location,
        dialled: v.text(F.to) ?? '',
        disposition: v.intern(F.disp) ?? '',
        answered,
        failover: v.intern(F.failover),
      });
    }
    const ruleId = v.internId(F.rule);
    const id = ruleId >= 0 ? (this.grantByRule[ruleId] ??= grantOf(v.intern(F.rule)!)) : '';
    if (id !== '') {
      let g = this.grants.get(id);
      if (!g) this.grants.set(id, (g = { id, calls: 0, answered: 0, seconds: 0, cost: 0, countries: new Map(), users: new Set() }));
      g.calls++;
      if (answered) g.answered++;
      g.seconds += seconds;
      g.cost += cost;
      const country = v.intern(F.country) ?? '?';
      g.countries.set(country, (g.countries.get(country) ?? 0) + 1);
      g.users.add(this.rows[row]!.ext);
    }
  }

  /** Moves the tally's figures into `users`, where partials and the report read them. */
  private settle(): void {
    const tally = this.tally;
    for (let row = 0; row < tally.rowCount; row++) {
      const u = this.rows[row]!;
      const counts = tally.row(row);
      u.calls += counts.calls;
      u.pinPrompts += counts.pinPrompts;
      u.pinFailures += counts.pinFailures;
      u.pinLockouts += counts.pinLockouts;
      for (const [column, { barred, ...usage }] of tally.columns(row)) {
        const cls = this.classNames[column]!;
        if (usage.calls > 0) {
          const mine = u.byClass.get(cls);
          if (mine) addUsage(mine, usage);
          else u.byClass.set(cls, usage);
        }
        if (barred > 0) {
          let b = u.barred.get(cls);
          if (!b) u.barred.set(cls, (b = { attempts: 0, numbers: new Set() }));
          b.attempts += barred;
        }
      }
    }
    tally.clear();
  }

  partial(): ReportPartial {
    this.settle();
    return { users: this.users, grants: this.grants, safety: this.safety, inbound: this.inbound, outsideRefused: this.outsideRefused };
  }

  /** Adds what another builder gathered over later files: the same figures as one builder over them all. */
  merge(p: ReportPartial): void {
    this.settle();
    this.inbound += p.inbound;
    this.outsideRefused += p.outsideRefused;
    this.safety.push(...p.safety);
    mergeMaps(this.users, p.users, (u, o) => {
      u.calls += o.calls;
      u.pinPrompts += o.pinPrompts;
      u.pinFailures += o.pinFailures;
      u.pinLockouts += o.pinLockouts;
      mergeMaps(u.byClass, o.byClass, addUsage);
      mergeMaps(u.barred, o.barred, (mine, b) => {
        mine.attempts += b.attempts;
        for (const n of b.numbers) if (mine.numbers.size < NUMBERS_KEPT) mine.numbers.add(n);
      });
    });
    mergeMaps(this.grants, p.grants, (g, o) => {
      addUsage(g, o);
      for (const [country, n] of o.countries) g.countries.set(country, (g.countries.get(country) ?? 0) + n);
      for (const user of o.users) g.users.add(user);
    });
  }

  finish(records: ScanStats): Report {
    this.settle();
    const { plan, options } = this;
    const inDept = (d: string | undefined) => options.department === undefined || d === options.department;
    const classes = new Set<string>();
    const userRows: UserRow[] = [];
    /** Each row's figures as counted (seconds, minor units): sums are made of these and rounded once, so every table adds up to the same. */
    const counted = new Map<UserRow, UserAgg>();
    for (const u of this.users.values()) {
      const ext = plan.extensions.get(u.ext);
      if (!ext && !plan.extensions.size) continue;
      const byClass: UserRow['byClass'] = {};
      let answered = 0;
      let seconds = 0;
      let cost = 0;
      // In the classes' own order, whatever order the records came in.
      for (const [cls, c] of [...u.byClass].sort(([a], [b]) => classRank(a) - classRank(b) || collate(a, b))) {
        classes.add(cls);
        byClass[cls] = { calls: c.calls, minutes: round1(c.seconds / 60), cost: money(c.cost) };
        answered += c.answered;
        seconds += c.seconds;
        cost += c.cost;
      }
      let barredAttempts = 0;
      for (const b of u.barred.values()) barredAttempts += b.attempts;
      const row: UserRow = {
        ext: u.ext,
        user: u.user ?? ext?.user,
        name: ext?.name,
        department: u.department ?? ext?.department ?? '(no department)',
        calls: u.calls,
        answered,
        minutes: round1(seconds / 60),
        cost: money(cost),
        byClass,
        barredAttempts,
        pinPrompts: u.pinPrompts,
        pinFailures: u.pinFailures,
        pinLockouts: u.pinLockouts,
      };
      userRows.push(row);
      counted.set(row, u);
    }
    userRows.sort((a, b) => collate(a.department, b.department) || collate(a.ext, b.ext));
    const classOrder = [...classes].sort((a, b) => classRank(a) - classRank(b) || collate(a, b));

    const idle: Report['idle'] = [];
    const extCount = new Map<string, number>();
    const idleCount = new Map<string, number>();
    for (const e of plan.extensions.values()) {
      if (e.role.kind !== 'desk' || !inDept(e.department)) continue;
      const d = e.department ?? '(no department)';
      extCount.set(d, (extCount.get(d) ?? 0) + 1);
      if (!this.users.has(e.ext)) {
        idle.push({ ext: e.ext, name: e.name, user: e.user, department: d });
        idleCount.set(d, (idleCount.get(d) ?? 0) + 1);
      }
    }
    idle.sort((a, b) => collate(a.department, b.department) || collate(a.ext, b.ext));

    const depts = new Map<string, Report['departments'][number]>();
    const deptUsage = new Map<string, { all: ClassUsage; byClass: Map<string, ClassUsage> }>();
    const zero = (): ClassUsage => ({ calls: 0, answered: 0, seconds: 0, cost: 0 });
    for (const r of userRows) {
      let d = depts.get(r.department);
      if (!d) depts.set(r.department, (d = { department: r.department, extensions: extCount.get(r.department) ?? 0, users: 0, calls: 0, answered: 0, minutes: 0, cost: 0, byClass: {}, barredAttempts: 0, idleExtensions: idleCount.get(r.department) ?? 0 }));
      let usage = deptUsage.get(r.department);
      if (!usage) deptUsage.set(r.department, (usage = { all: zero(), byClass: new Map() }));
      d.users++;
      d.calls += r.calls;
      d.answered += r.answered;
      d.barredAttempts += r.barredAttempts;
      for (const [cls, c] of counted.get(r)!.byClass) {
        addUsage(usage.all, c);
        let mine = usage.byClass.get(cls);
        if (!mine) usage.byClass.set(cls, (mine = zero()));
        addUsage(mine, c);
      }
    }
    for (const [name, usage] of deptUsage) {
      const d = depts.get(name)!;
      d.minutes = round1(usage.all.seconds / 60);
      d.cost = money(usage.all.cost);
      for (const cls of classOrder) {
        const c = usage.byClass.get(cls);
        if (c) d.byClass[cls] = { calls: c.calls, minutes: round1(c.seconds / 60), cost: money(c.cost) };
      }
    }
    for (const [name, count] of extCount) {
      if (!depts.has(name)) depts.set(name, { department: name, extensions: count, users: 0, calls: 0, answered: 0, minutes: 0, cost: 0, byClass: {}, barredAttempts: 0, idleExtensions: idleCount.get(name) ?? 0 });
    }

    const barred: Report['barred'] = [];
    const pin: Report['pin'] = [];
    for (const u of this.users.values()) {
      const department = u.department ?? plan.extensions.get(u.ext)?.department ?? '(no department)';
      for (const [cls, b] of u.barred) barred.push({ ext: u.ext, user: u.user, department, class: cls, attempts: b.attempts, numbers: [...b.numbers] });
      if (u.pinPrompts > 0 || u.pinLockouts > 0) pin.push({ ext: u.ext, user: u.user, department, prompts: u.pinPrompts, failures: u.pinFailures, lockouts: u.pinLockouts });
    }
    barred.sort((a, b) => b.attempts - a.attempts || collate(a.ext, b.ext));
    pin.sort((a, b) => b.lockouts - a.lockouts || b.prompts - a.prompts);

    const grants: Report['grants'] = [];
    const unusedGrants: Report['unusedGrants'] = [];
    const [y, m] = options.month.split('-').map(Number) as [number, number | undefined];
    const monthStart = Date.UTC(y, (m ?? 1) - 1, 1);
    const monthEnd = m === undefined ? Date.UTC(y + 1, 0, 1) : Date.UTC(y, m, 1);
    for (const list of plan.grants.values()) {
      for (const g of list) {
        const owner = [...plan.extensions.values()].find((e) => e.user === g.user);
        if (!inDept(owner?.department)) continue;
        const covers = [g.worldwide ? 'worldwide' : '', ...g.countries, ...g.prefixes.map((p) => `+${p.replace(/^\+/, '')}`)].filter(Boolean).join(' ');
        const where = g.where ?? '';
        const used = this.grants.get(g.id);
        if (used) {
          grants.push({ id: g.id, user: g.user, covers, where, calls: used.calls, answered: used.answered, minutes: round1(used.seconds / 60), cost: money(used.cost), countries: Object.fromEntries(used.countries) });
        } else if ((g.from === undefined || g.from < monthEnd) && (g.until === undefined || g.until >= monthStart)) {
          unusedGrants.push({ id: g.id, user: g.user, covers, where });
        }
      }
    }
    const costFlag = plan.site.review?.costFlag;
    const costFlagged = costFlag === undefined ? [] : userRows.filter((r) => r.cost > costFlag).sort((a, b) => b.cost - a.cost);
    const busiest = [...userRows].sort((a, b) => b.minutes - a.minutes).slice(0, 10);
    this.safety.sort((a, b) => collate(a.at, b.at));
    const sum = (f: (r: UserRow) => number) => userRows.reduce((t, r) => t + f(r), 0);
    const all = zero();
    for (const usage of deptUsage.values()) addUsage(all, usage.all);
    return {
      month: options.month,
      department: options.department,
      site: plan.site.name,
      timezone: plan.site.timezone,
      currency: plan.tariffs?.currency ?? '',
      costFlag,
      tariffs: plan.tariffs?.where,
      totals: {
        calls: sum((r) => r.calls),
        answered: sum((r) => r.answered),
        minutes: round1(all.seconds / 60),
        cost: money(all.cost),
        barredAttempts: sum((r) => r.barredAttempts),
        emergency: this.safety.filter((s) => s.kind === 'emergency').length,
        hotline: this.safety.filter((s) => s.kind === 'hotline').length,
        inbound: this.inbound,
        outsideRefused: this.outsideRefused,
      },
      classes: classOrder,
      departments: [...depts.values()].sort((a, b) => b.minutes - a.minutes || collate(a.department, b.department)),
      users: userRows,
      barred,
      pin,
      grants: grants.sort((a, b) => b.calls - a.calls),
      unusedGrants,
      safety: this.safety,
      costFlagged,
      idle,
      busiest,
      records,
    };
  }
}

const CLASS_ORDER = ['internal', 'geographic', 'national', 'mobile', 'freephone', 'public-service', 'service-charge', 'operator', 'pager', 'personal-number', 'international', 'high-risk', 'emergency', 'premium', 'chat-line', 'directory', 'invalid'];
/** Where a class goes in the report's tables: the order above, then any other class (a newer writer's) by name. */
const classRank = (cls: string) => {
  const i = CLASS_ORDER.indexOf(cls);
  return i < 0 ? CLASS_ORDER.length : i;
};

/** The report over these record files (the month's, usually). */
export function buildReport(plan: Plan, files: readonly string[], options: ReportOptions): Report {
  const builder = new ReportBuilder(plan, options);
  const records = scanFiles(files, (v) => builder.add(v));
  return builder.finish(records);
}
