import { decide } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import { LOCKED_PHONE, type PhoneState } from '../policy/phoneState.js';
import type { Plan } from '../policy/plan.js';
import { DayOf } from './callRecords.js';
import { F, scanFiles, type RecordView, type ScanStats } from './recordScan.js';
import { usageFromText } from './usageText.js';

/**
 * What-if replay: every recorded call decided again by another plan (the edit an admin is about to
 * make), listing the calls whose decision would change. The caller's lock is the one recorded; run-time
 * grants (issued through the CLI or API, not in the plan) are not in the records, so a call that
 * relied on one replays as if it had none. A call abroad is decided against the toll-fraud usage it
 * met (recorded with it), so a call refused by a limit is a change only when the limits changed; one
 * recorded without it (an older record) is replayed without limits, and counted as such. `callguard replay` and the admin API's dry-run use this.
 */

export interface DecisionSummary {
  action: Decision['action'];
  reason: string;
  rule: string;
  where?: string | undefined;
}

export interface ReplayChange {
  id: string;
  invite: string;
  from: string;
  to: string;
  before: DecisionSummary;
  after: DecisionSummary & { sipStatus?: number | undefined };
}

export interface ReplayOptions {
  /** Decide every call as of this instant (epoch ms) instead of its own time. */
  at?: number | undefined;
  /** Only calls whose INVITE falls in this month (yyyy-mm, site time zone). */
  month?: string | undefined;
  /** Called for each changed call, in file order. */
  onChange?(change: ReplayChange): void;
}

export interface ReplaySummary {
  scan: ScanStats;
  /** Records replayed (in the month, when one is given). */
  replayed: number;
  changed: number;
  /** `old action/reason -> new action/reason` to count, most first. */
  byChange: [string, number][];
  /** New reason of the changed calls, to count. */
  byNewReason: [string, number][];
  limits: LimitReplay;
}

/** How the toll-fraud limits took part in a replay. */
export interface LimitReplay {
  /** Calls abroad decided against the usage they met, and without it (records from before it was kept). */
  withUsage: number;
  withoutUsage: number;
  /** Calls refused by a limit as recorded, and as replayed. */
  refusedBefore: number;
  refusedNow: number;
}

export const noLimitReplay = (): LimitReplay => ({ withUsage: 0, withoutUsage: 0, refusedBefore: 0, refusedNow: 0 });

const UNLOCKED: PhoneState = Object.freeze({ lock: 'unlocked', grants: Object.freeze([]) });
const UNKNOWN: PhoneState = Object.freeze({ lock: 'unknown', grants: Object.freeze([]) });

function lockOf(view: RecordView): PhoneState {
  if (view.is(F.lock, 'unlocked')) return UNLOCKED;
  if (view.is(F.lock, 'unknown')) return UNKNOWN;
  return LOCKED_PHONE;
}

const isAbroad = (view: RecordView) => view.is(F.class, 'international') || view.is(F.class, 'high-risk');

/** The phone as the decision saw it: the recorded lock and, for a call abroad, the usage the limits met. */
function phoneFor(view: RecordView, limits: LimitReplay): PhoneState {
  const lock = lockOf(view);
  if (!isAbroad(view)) return lock;
  const usage = view.has(F.use) ? usageFromText(view.text(F.use)!) : undefined;
  if (usage === undefined) {
    limits.withoutUsage++;
    return lock;
  }
  limits.withUsage++;
  return { ...lock, usage };
}

/** Replays the calls of the record files; `onFile` is told the bytes of each file once replayed. */
export function replayFiles(plan: Plan, files: readonly string[], options: ReplayOptions = {}, onFile?: (bytes: number) => void): ReplaySummary {
  const byChange = new Map<string, number>();
  const byNewReason = new Map<string, number>();
  const days = new DayOf();
  const zone = plan.site.timezone;
  const month = options.month;
  const call = { from: '', to: '' };
  let replayed = 0;
  let changed = 0;
  const limits = noLimitReplay();
  const scan = scanFiles(files, (view) => {
    const invite = view.time(F.invite);
    if (month !== undefined && !days.of(invite, zone).startsWith(month)) return;
    replayed++;
    call.from = view.intern(F.from) ?? '';
    call.to = view.text(F.to) ?? '';
    const decision = decide(plan, phoneFor(view, limits), call, options.at ?? invite);
    if (view.is(F.reason, 'fraud-limit')) limits.refusedBefore++;
    if (decision.reason === 'fraud-limit') limits.refusedNow++;
    // Same action for the same reason is the same decision (a rule that moved lines is not a change).
    if (view.is(F.action, decision.action) && view.is(F.reason, decision.reason)) return;
    changed++;
    const beforeAction = view.intern(F.action) ?? '';
    const beforeReason = view.intern(F.reason) ?? '';
    const key = `${beforeAction}/${beforeReason} -> ${decision.action}/${decision.reason}`;
    byChange.set(key, (byChange.get(key) ?? 0) + 1);
    byNewReason.set(decision.reason, (byNewReason.get(decision.reason) ?? 0) + 1);
    options.onChange?.({
      id: view.text(F.id) ?? '',
      invite: new Date(invite).toISOString(),
      from: call.from,
      to: call.to,
      before: { action: beforeAction as Decision['action'], reason: beforeReason, rule: view.intern(F.rule) ?? '', where: view.intern(F.where) },
      after: { action: decision.action, reason: decision.reason, rule: decision.rule.id, where: decision.rule.where, sipStatus: decision.action === 'reject' ? decision.sipStatus : undefined },
    });
  }, onFile);
  return { scan, replayed, changed, byChange: sortedCounts(byChange), byNewReason: sortedCounts(byNewReason), limits };
}

/** Counts, most first (ties by name). */
export const sortedCounts = (m: Map<string, number>): [string, number][] => [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));

/** One line of the human listing: when, who, what, old -> new with the new rule's file:line. */
export function changeLine(c: ReplayChange): string {
  const where = c.after.where ? ` (${c.after.rule} at ${c.after.where})` : ` (${c.after.rule})`;
  return `${c.invite}  ${c.from} -> ${c.to}  ${c.before.action}/${c.before.reason} -> ${c.after.action}/${c.after.reason}${where}`;
}
