import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { UsageLedger, type Counts } from '../../src/limits/usageLedger.js';
import { decide } from '../../src/policy/decide.js';
import { limitBreach, type CallerUsage, type Limits } from '../../src/policy/limits.js';
import type { PhoneState } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import { planCopy, samplePlan } from '../support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});

/** Tuesday 10:00 and 22:00, Saturday 10:00 (London). */
const IN_HOURS = { day: '2026-11-24', minuteOfDay: 600, weekday: 2 };
const EVENING = { day: '2026-11-24', minuteOfDay: 1320, weekday: 2 };
const SATURDAY = { day: '2026-11-28', minuteOfDay: 600, weekday: 6 };
const NOW = Date.parse('2026-11-24T10:00:00Z');

function usage(over: Partial<CallerUsage> = {}): CallerUsage {
  return { international: { hour: 0, day: 0 }, highRisk: { hour: 0, day: 0 }, concurrentAbroad: 0, minutesAbroadToday: 0, siteConcurrentAbroad: 0, local: IN_HOURS, ...over };
}
const unlocked = (u: CallerUsage): PhoneState => ({ lock: 'unlocked', grants: [], usage: u });

describe('the sample plan limits (dialplan/limits.yaml)', () => {
  it('refuses a call abroad over the hourly limit with fraud-limit, citing the limits file', () => {
    const d = decide(plan, unlocked(usage({ international: { hour: 10, day: 10 } })), { from: '4101', to: '90041446681800' }, NOW);
    expect(d).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'fraud-limit', rule: { id: 'limit:international-per-hour', where: expect.stringMatching(/limits\.yaml:\d+$/) } });
    expect(d.action === 'reject' && d.breach).toMatchObject({ limit: 'international-per-hour', max: 10, scope: 'amoreno', outOfHours: false });
  });

  it('allows the same call under the limit, and asks a locked phone for its PIN only when under it', () => {
    expect(decide(plan, unlocked(usage({ international: { hour: 9, day: 9 } })), { from: '4101', to: '90041446681800' }, NOW).action).toBe('allow');
    expect(decide(plan, { lock: 'locked', grants: [], usage: usage() }, { from: '4101', to: '90041446681800' }, NOW).action).toBe('pin-required');
    expect(decide(plan, { lock: 'locked', grants: [], usage: usage({ concurrentAbroad: 2 }) }, { from: '4101', to: '90041446681800' }, NOW).reason).toBe('fraud-limit');
  });

  it('takes the lower limits out of hours: evenings and weekends', () => {
    const limits = plan.limits!;
    const amoreno = plan.extensions.get('4101')!;
    expect(limitBreach(limits, amoreno, false, usage({ international: { hour: 3, day: 3 } }))).toBeUndefined();
    expect(limitBreach(limits, amoreno, false, usage({ international: { hour: 3, day: 3 }, local: EVENING }))).toMatchObject({ limit: 'international-per-hour', max: 3, outOfHours: true });
    expect(limitBreach(limits, amoreno, false, usage({ concurrentAbroad: 1, local: SATURDAY }))).toMatchObject({ limit: 'concurrent-abroad', max: 1 });
    expect(limitBreach(limits, amoreno, false, usage({ siteConcurrentAbroad: 4, local: SATURDAY }))).toMatchObject({ limit: 'site-concurrent-abroad', scope: 'site' });
    expect(limitBreach(limits, amoreno, false, usage({ minutesAbroadToday: 240 }))).toMatchObject({ limit: 'minutes-abroad-per-day' });
  });

  it("puts a user's own limits before the default, falling back field by field", () => {
    const bokafor = plan.extensions.get('4102')!;
    expect(bokafor.user).toBe('bokafor');
    expect(limitBreach(plan.limits!, bokafor, true, usage({ highRisk: { hour: 3, day: 3 } }))).toBeUndefined();
    expect(limitBreach(plan.limits!, bokafor, true, usage({ highRisk: { hour: 4, day: 4 } }))).toMatchObject({ limit: 'high-risk-per-hour', max: 4 });
    // Not set for bokafor: the default's concurrent limit.
    expect(limitBreach(plan.limits!, bokafor, true, usage({ concurrentAbroad: 2 }))).toMatchObject({ limit: 'concurrent-abroad', max: 2 });
  });

  it('never limits an emergency call, whatever has been used', () => {
    const over = usage({ international: { hour: 99, day: 99 }, highRisk: { hour: 99, day: 99 }, concurrentAbroad: 99, minutesAbroadToday: 9999, siteConcurrentAbroad: 99, local: SATURDAY });
    for (const to of ['999', '9999', '112', '9112']) {
      expect(decide(plan, unlocked(over), { from: '4101', to }, NOW).action).toBe('emergency');
    }
  });
});

describe('limits in the dialplan: refused with file:line', () => {
  it.each([
    ['an unknown user', 'limits:\n  users:\n    nobody: { concurrentAbroad: 1 }\n', /limits\.yaml:3:\d+$/, 'unknown user "nobody"'],
    ['an unknown class', 'limits:\n  classes:\n    directors: { concurrentAbroad: 1 }\n', /limits\.yaml:3:\d+$/, 'unknown class of service "directors"'],
    ['out-of-hours limits without a window', 'limits:\n  default:\n    outOfHours: { concurrentAbroad: 1 }\n', /limits\.yaml:1:\d+$/, 'out-of-hours limits need an outOfHours window'],
    ['a negative count', 'limits:\n  default:\n    concurrentAbroad: -1\n', /limits\.yaml:3:\d+$/, 'concurrentAbroad'],
    ['a bad clock', 'limits:\n  outOfHours: { from: "7pm", to: "07:00" }\n', /limits\.yaml:2:\d+$/, '"7pm"'],
  ])('%s', async (_what, text, where, message) => {
    const copy = planCopy({ 'limits.yaml': text });
    try {
      const result = await loadPlan(copy.dir);
      expect(result.ok).toBe(false);
      const problems = result.ok ? [] : result.problems;
      expect(problems).toContainEqual({ where: expect.stringMatching(where), message: expect.stringContaining(message) });
    } finally {
      copy.remove();
    }
  });
});

describe('the usage ledger shared by N instances', () => {
  const LIMIT = 10;
  const limits: Limits = { classes: new Map(), users: new Map(), default: { inHours: { international: { perHour: LIMIT } }, outOfHours: {}, where: 'limits.yaml:1' }, site: { inHours: {}, outOfHours: {}, where: 'limits.yaml:1' } };

  it("overshoots by another instance's unshared share at most: a stale instance and a fresh one", () => {
    const caller = { ...plan.extensions.get('4101')! };
    const a = new UsageLedger(() => 'Europe/London');
    const b = new UsageLedger(() => 'Europe/London');
    const both = { othersLive: new Map(), othersSiteLive: 0, instances: 2 };
    for (const l of [a, b]) l.synced(l.syncRound(NOW), { hourTotals: new Map(), dayTotals: new Map(), ...both });
    const admit = (l: UsageLedger) => {
      let n = 0;
      while (!limitBreach(limits, caller, false, l.usage('amoreno', NOW))) (l.admit('amoreno', false, NOW), n++);
      return n;
    };
    expect(admit(a)).toBe(5); // its half of 10
    // a shares its 5; b has not synced since: it still takes its half of 10.
    const round = a.syncRound(NOW);
    a.synced(round, { hourTotals: new Map([['amoreno', { international: 5, highRisk: 0, seconds: 0 }]]), dayTotals: new Map(), ...both });
    expect(admit(a)).toBe(3); // its half of the 5 left, rounded up
    expect(admit(b)).toBe(5);
    expect(5 + 3 + 5).toBeLessThanOrEqual(LIMIT + (2 - 1) * Math.ceil(LIMIT / 2));
  });

  it('admits at most the limit plus (N - 1) x ceil(limit / N) calls however calls and syncs interleave', () => {
    const caller = { ...plan.extensions.get('4101')! };
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(fc.tuple(fc.boolean(), fc.nat()), { minLength: 1, maxLength: 200 }), (n, events) => {
        const ledgers = Array.from({ length: n }, () => new UsageLedger(() => 'Europe/London'));
        // The shared store: what every round has written.
        const store = new Map<string, Counts>();
        const sync = (ledger: UsageLedger) => {
          const round = ledger.syncRound(NOW);
          for (const [key, c] of round.pendingHour) {
            const t = store.get(key) ?? { international: 0, highRisk: 0, seconds: 0 };
            store.set(key, { international: t.international + c.international, highRisk: t.highRisk + c.highRisk, seconds: t.seconds + c.seconds });
          }
          const totals = new Map([...store].map(([k, c]) => [k, { ...c }]));
          ledger.synced(round, { hourTotals: totals, dayTotals: new Map([...totals]), othersLive: new Map(), othersSiteLive: 0, instances: n });
        };
        ledgers.forEach(sync); // every instance has seen the others
        let admitted = 0;
        for (const [isCall, i] of events) {
          const ledger = ledgers[i % n]!;
          if (!isCall) sync(ledger);
          else if (!limitBreach(limits, caller, false, ledger.usage('amoreno', NOW))) {
            ledger.admit('amoreno', false, NOW);
            admitted++;
          }
        }
        expect(admitted).toBeLessThanOrEqual(LIMIT + (n - 1) * Math.ceil(LIMIT / n));
        // Once everything is shared (two rounds: the first instance to sync has not yet seen the last one's calls), nobody admits another call over the limit.
        ledgers.forEach(sync);
        ledgers.forEach(sync);
        if (admitted >= LIMIT) for (const l of ledgers) expect(limitBreach(limits, caller, false, l.usage('amoreno', NOW))).toBeDefined();
      }),
      { numRuns: 1000 },
    );
  });

  it('counts running calls and answered minutes, and forgets a call once it ends', () => {
    const ledger = new UsageLedger(() => 'Europe/London');
    const a = ledger.admit('amoreno', false, NOW);
    const b = ledger.admit('amoreno', true, NOW);
    expect(ledger.usage('amoreno', NOW)).toMatchObject({ international: { hour: 1, day: 1 }, highRisk: { hour: 1, day: 1 }, concurrentAbroad: 2, siteConcurrentAbroad: 2 });
    ledger.ended(a, 600);
    ledger.ended(a, 600); // a second end changes nothing
    ledger.ended(b, 0);
    expect(ledger.usage('amoreno', NOW)).toMatchObject({ concurrentAbroad: 0, siteConcurrentAbroad: 0, minutesAbroadToday: 10 });
    // A new hour starts its own count; the day's stays.
    expect(ledger.usage('amoreno', NOW + 3_600_000)).toMatchObject({ international: { hour: 0, day: 1 } });
  });
});
