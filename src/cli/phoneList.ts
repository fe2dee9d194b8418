import type { Extension, Plan } from '../policy/plan.js';
import type { RuntimeState } from '../state/index.js';
import { zonedTime } from '../zonedTime.js';
import { planFrom } from './planOrThrow.js';
import { redisTarget, withSharedState, type StateOptions } from './sharedState.js';

export interface PhoneListOptions extends StateOptions {
  json?: boolean;
}

/** One phone as `phone list` shows it. */
interface PhoneRow {
  ext: string;
  name: string;
  user?: string | undefined;
  /** `locked`, `unlocked`, `unknown` (the store cannot tell), or `no PIN lock` (its user may not call abroad). */
  lock: string;
  /** When the lock last changed, when the store knows: the unlock, or the re-lock after it. */
  changed?: string | undefined;
  change?: 'unlocked' | 're-locked' | undefined;
}

/** A phone is PIN-locked when its user may call abroad (policy 2): a grant in the plan or, at run time, in Redis. */
function lockManaged(plan: Plan, e: Extension, runTimeGrants: number): boolean {
  return runTimeGrants > 0 || (e.user !== undefined && plan.grants.has(e.user));
}

/** Without Redis: what the plan says, every lock-managed phone locked until someone unlocks it. */
function planRow(plan: Plan, e: Extension): PhoneRow {
  return { ext: e.ext, name: e.name, user: e.user, lock: lockManaged(plan, e, 0) ? 'locked' : 'no PIN lock' };
}

function liveRow(plan: Plan, state: RuntimeState, e: Extension, now: number): PhoneRow {
  const phone = state.replica.phoneState(plan, e.ext, now);
  if (!lockManaged(plan, e, phone.grants.length)) return { ext: e.ext, name: e.name, user: e.user, lock: 'no PIN lock' };
  const unlockedSince = state.replica.phone(e.ext)?.unlockedSince;
  const relocksAt = state.replica.relocksAt(e.ext);
  const row: PhoneRow = { ext: e.ext, name: e.name, user: e.user, lock: phone.lock };
  // The store keeps when a phone was unlocked (and so when it re-locks); a lock by hand leaves no time.
  if (phone.lock === 'unlocked' && unlockedSince !== undefined) Object.assign(row, { change: 'unlocked', changed: new Date(unlockedSince).toISOString() });
  else if (phone.lock === 'locked' && relocksAt !== undefined && relocksAt <= now) Object.assign(row, { change: 're-locked', changed: new Date(relocksAt).toISOString() });
  return row;
}

/** `callguard phone list`: every extension of the plan, live from Redis when there is one, else as the plan has it. */
export async function runPhoneList(options: PhoneListOptions): Promise<void> {
  const now = Date.now();
  const live = redisTarget(options) !== undefined;
  const rows = live
    ? await withSharedState(options, async (state, plan) => ({ plan, rows: [...plan.extensions.values()].map((e) => liveRow(plan, state, e, now)) }))
    : await planFrom(options.dialplan).then((plan) => ({ plan, rows: [...plan.extensions.values()].map((e) => planRow(plan, e)) }));
  const zone = rows.plan.site.timezone;
  const out = rows.rows.map((r) =>
    options.json
      ? `${JSON.stringify(r)}\n`
      : `${[r.ext, r.name, r.user ?? '-', r.lock, r.changed ? `${r.change} ${zonedTime(Date.parse(r.changed), zone)}` : '-'].join('\t')}\n`,
  );
  process.stdout.write(out.join(''));
  if (!live) process.stderr.write('no Redis (--redis URL or REDIS_URL): lock states as the plan sets them; unlocks and run-time grants live in Redis\n');
}
