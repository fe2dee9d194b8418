import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.js';
import type { Grant } from '../../src/policy/grant.js';
import { ListIndex, type ListEntry } from '../../src/policy/listIndex.js';
import type { PhoneState } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import { samplePlan } from '../support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});

/** Deny entries an admin might (wrongly) write against emergency numbers; decide must ignore them. */
function hostileLists(): ListIndex {
  const deny = (digits: string, match: ListEntry['match']): ListEntry => ({ kind: 'deny', digits, space: 'short', match, appliesTo: { everyone: true }, reason: 'test', where: 'test' });
  return new ListIndex([deny('999', 'number'), deny('112', 'number'), deny('9', 'prefix'), deny('1', 'prefix')]);
}

const grant: fc.Arbitrary<Grant> = fc.record({
  id: fc.string(),
  user: fc.constantFrom('amoreno', 'dfischer', 'nobody'),
  worldwide: fc.boolean(),
  countries: fc.constantFrom(new Set<string>(), new Set(['FR']), new Set(['CU'])),
  prefixes: fc.constantFrom([], ['881']),
  from: fc.option(fc.integer(), { nil: undefined }),
  until: fc.option(fc.integer(), { nil: undefined }),
  reason: fc.string(),
  approver: fc.string(),
  where: fc.constant('runtime'),
});

const phoneState: fc.Arbitrary<PhoneState> = fc.record({
  lock: fc.constantFrom('locked', 'unlocked', 'unknown'),
  pinLockoutUntil: fc.option(fc.integer({ min: 0, max: 4e12 }), { nil: undefined }),
  grants: fc.array(grant, { maxLength: 3 }),
});

describe('emergency numbers are sacred', () => {
  it('yield `emergency` for every caller, phone state, time and list, with or without the outside prefix', () => {
    const callers = [...plan.extensions.keys(), 'unknown', '', '+447911123456'];
    const dialled = fc
      .tuple(fc.constantFrom('999', '112', '18000'), fc.boolean(), fc.constantFrom('', ' ', '-'))
      .map(([number, withPrefix, sep]) => `${withPrefix ? `9${sep}` : ''}${[...number].join(sep)}`);
    fc.assert(
      fc.property(fc.constantFrom(...callers), dialled, phoneState, fc.integer({ min: 0, max: 4e12 }), fc.boolean(), (from, to, phone, now, hostile) => {
        const p: Plan = hostile ? { ...plan, lists: hostileLists() } : plan;
        const d = decide(p, phone, { from, to }, now);
        expect(d.action).toBe('emergency');
        expect(d.class).toBe('emergency');
      }),
      { numRuns: 3000 },
    );
  });
});
