import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Destination } from '../../src/numbering/destination.js';
import { ListIndex, NO_HIT, packLists, type ListEntry } from '../../src/policy/listIndex.js';
import { ListPartBuilder } from '../../src/policy/listPart.js';
import type { ClassOfService, Extension } from '../../src/policy/plan.js';

/** The rule the index implements, written plainly: most specific applicable entry, deny first at equal specificity. */
function reference(entries: ListEntry[], destination: Destination, caller: Extension, now: number): ListEntry | undefined {
  if (destination.class === 'invalid') return undefined;
  const [space, dialled] = destination.e164 !== undefined ? ['e164', destination.e164.slice(1)] : ['short', destination.shortCode ?? ''];
  const applies = (e: ListEntry) =>
    (e.from === undefined || now >= e.from) &&
    (e.until === undefined || now < e.until) &&
    (e.appliesTo.everyone ||
      (e.appliesTo.extensions as string[]).includes(caller.ext) ||
      (caller.user !== undefined && (e.appliesTo.users as string[]).includes(caller.user)) ||
      (e.appliesTo.classes as string[]).includes(caller.classOfService.name));
  const candidates = entries
    .map((e, order) => ({ e, order }))
    .filter(({ e }) => e.space === space && (e.match === 'number' ? e.digits === dialled : dialled.startsWith(e.digits)) && applies(e));
  const rank = (e: ListEntry) => e.digits.length * 2 + (e.match === 'number' ? 1 : 0);
  candidates.sort((a, b) => rank(b.e) - rank(a.e) || (a.e.kind === b.e.kind ? a.order - b.order : a.e.kind === 'deny' ? -1 : 1));
  return candidates[0]?.e;
}

const cos = (name: string): ClassOfService => ({ name, allow: new Set(), where: 'x' });
const someNames = (pool: string[]) => fc.subarray(pool, { maxLength: 2 });
const entry: fc.Arbitrary<ListEntry> = fc.record({
  kind: fc.constantFrom('allow' as const, 'deny' as const),
  digits: fc.stringMatching(/^[0-9]{0,4}$/).map((d) => `44${d}`),
  space: fc.constantFrom('e164' as const, 'short' as const),
  match: fc.constantFrom('number' as const, 'prefix' as const),
  appliesTo: fc.oneof(
    fc.constant({ everyone: true as const }),
    fc.record({ everyone: fc.constant(false as const), users: someNames(['ann', 'bob']), extensions: someNames(['2001', '2002']), classes: someNames(['staff', 'guest']) }),
  ),
  reason: fc.string({ maxLength: 5 }),
  approver: fc.option(fc.constantFrom('Head of Telecoms', 'é-approver'), { nil: undefined }),
  from: fc.option(fc.integer({ min: 0, max: 100 }), { nil: undefined }),
  until: fc.option(fc.integer({ min: 50, max: 200 }), { nil: undefined }),
  where: fc.integer({ min: 1, max: 999 }).map((l) => `lists.yaml:${l}`),
});

describe('the list index', () => {
  it('finds the entry the plain rule finds, and gives it back whole', () => {
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 25 }),
        fc.stringMatching(/^[0-9]{0,5}$/).map((d) => `44${d}`),
        fc.boolean(),
        fc.constantFrom('ann', 'bob', undefined),
        fc.constantFrom('2001', '2003'),
        fc.constantFrom('staff', 'guest'),
        fc.integer({ min: 0, max: 250 }),
        fc.array(fc.nat(), { maxLength: 3 }),
        (entries, dialled, short, user, ext, className, now, cuts) => {
          const destination: Destination = short
            ? { class: 'directory', shortCode: dialled, source: { kind: 'syntax' } }
            : { class: 'geographic', e164: `+${dialled}`, source: { kind: 'syntax' } };
          const caller: Extension = { ext, name: 'x', user, classOfService: cos(className), role: { kind: 'desk' }, where: 'x' };
          const expected = reference(entries, destination, caller, now);
          const index = new ListIndex(entries);
          const found = index.lookup(destination, caller, now);
          expect(found?.where).toBe(expected?.where);
          // What a decision reads of the entry, without making it.
          const hit = index.find(destination, caller, now);
          expect(hit === NO_HIT ? undefined : { kind: index.denies(hit) ? 'deny' : 'allow', where: index.whereOf(hit) }).toEqual(
            found && { kind: found.kind, where: found.where },
          );
          // The same entries in several parts (as list files are compiled, each with its own strings) make the same index.
          const bounds = [0, ...cuts.map((c) => c % (entries.length + 1)).sort((a, b) => a - b), entries.length];
          const parts = bounds.slice(1).map((end, i) => {
            const part = new ListPartBuilder();
            entries.slice(bounds[i], end).forEach((e) => part.addEntry(e));
            return part.build();
          });
          expect(new ListIndex(packLists(parts)).lookup(destination, caller, now)).toStrictEqual(found);
          if (expected && found) {
            expect(found).toEqual({ ...expected, approver: expected.approver, appliesTo: expected.appliesTo.everyone ? { everyone: true } : { ...expected.appliesTo } });
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});
