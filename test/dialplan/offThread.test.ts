import { afterAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { PlanLoaderThread } from '../../src/dialplan/offThread.js';
import { decide } from '../../src/policy/decide.js';
import type { PhoneState } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import { readCorpus } from '../support/corpus.js';
import { planCopy, SAMPLE_DIALPLAN } from '../support/plans.js';

async function loaded(load: (dir: string) => ReturnType<typeof loadPlan>, dir = SAMPLE_DIALPLAN): Promise<Plan> {
  const result = await load(dir);
  if (!result.ok) throw new Error(result.problems.map((p) => `${p.where}: ${p.message}`).join('\n'));
  return result.plan;
}

const loader = new PlanLoaderThread();
afterAll(() => loader.close());
const loadPlanOffThread = (dir: string) => loader.load(dir);

describe('loading a plan in a worker thread', () => {
  it('gives a plan that decides every call as one loaded in place', async () => {
    const [here, there] = await Promise.all([loaded(loadPlan), loaded(loadPlanOffThread)]);
    expect([...there.extensions.keys()]).toEqual([...here.extensions.keys()]);
    expect(there.site).toEqual(here.site);
    expect(there.lists.size).toBe(here.lists.size);
    const phones: PhoneState[] = [{ lock: 'unlocked', grants: [] }, { lock: 'locked', grants: [] }];
    const now = Date.parse('2026-11-22T12:00:00Z');
    const callers = [...here.extensions.keys(), '01707284000'];
    const dialled = [...readCorpus().map((r) => r.dialled), ...here.extensions.keys(), '9118118', '900441707284678'];
    for (const from of callers) {
      for (const to of dialled) {
        for (const phone of phones) expect(decide(there, phone, { from, to }, now)).toEqual(decide(here, phone, { from, to }, now));
      }
    }
  });

  it('loads again in the same thread: an edited file is read anew, the others as they were', async () => {
    const copy = planCopy();
    try {
      const first = await loaded(loadPlanOffThread, copy.dir);
      expect(first.extensions.has('5001')).toBe(false);
      copy.write('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: staff\n');
      copy.write('lists-extra.yaml', 'allow:\n  - number: "+442079460123"\n    for: everyone\n    reason: Project line\n    approver: Head of Telecoms\n');
      const edited = await loaded(loadPlanOffThread, copy.dir);
      expect(edited.extensions.get('5001')?.name).toBe('New lab');
      expect(edited.lists.size).toBe(first.lists.size + 1);
      // A bad edit is refused where it is wrong; put right, the plan is whole again.
      copy.write('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: missing-class\n');
      const bad = await loadPlanOffThread(copy.dir);
      expect(bad.ok ? [] : bad.problems).toContainEqual({ where: `${copy.dir}/extra.yaml:4:12`, message: expect.stringContaining('unknown class of service') });
      copy.write('extra.yaml', 'extensions:\n  - ext: "5002"\n    name: Other lab\n    class: staff\n');
      const fixed = await loaded(loadPlanOffThread, copy.dir);
      expect([fixed.extensions.has('5001'), fixed.extensions.has('5002'), fixed.lists.size]).toEqual([false, true, edited.lists.size]);
      // After an edit to a list file alone, only the new list index crosses: the rest is the plan this thread holds.
      copy.write('lists-extra.yaml', 'allow:\n  - number: "+442079460123"\n    for: everyone\n    reason: Project line\n    approver: Head of Telecoms\n  - number: "+442079460124"\n    for: { users: [amoreno] }\n    reason: Second line\n    approver: Head of Telecoms\n');
      const listEdited = await loaded(loadPlanOffThread, copy.dir);
      expect(listEdited.extensions).toBe(fixed.extensions);
      expect(listEdited.lists.size).toBe(fixed.lists.size + 1);
      // Reloading what did not change decides every call as a load in place.
      const here = await loaded(loadPlan, copy.dir);
      const now = Date.parse('2026-11-22T12:00:00Z');
      for (const from of here.extensions.keys()) {
        for (const to of [...readCorpus().map((r) => r.dialled), '902079460123', '902079460124']) {
          expect(decide(listEdited, { lock: 'unlocked', grants: [] }, { from, to }, now)).toEqual(decide(here, { lock: 'unlocked', grants: [] }, { from, to }, now));
        }
      }
    } finally {
      copy.remove();
    }
  });

  it('reports a bad date in a list file at its line on every load, once', async () => {
    const copy = planCopy({ 'lists-extra.yaml': 'allow:\n  - number: "+442079460123"\n    for: everyone\n    reason: Project line\n    approver: Head of Telecoms\n    until: 2026-02-30\n' });
    try {
      const here = await loadPlan(copy.dir);
      expect(here.ok ? [] : here.problems).toEqual([{ where: `${copy.dir}/lists-extra.yaml:6:12`, message: expect.stringContaining('2026-02-30') }]);
      for (let i = 0; i < 2; i++) expect(await loadPlanOffThread(copy.dir)).toEqual(here);
    } finally {
      copy.remove();
    }
  });

  it('starts another thread for the next load once closed, and a load its thread stopped under fails clearly', async () => {
    const other = new PlanLoaderThread();
    try {
      await loaded((dir) => other.load(dir));
      await other.close();
      expect((await loaded((dir) => other.load(dir))).extensions.size).toBeGreaterThan(0);
      // Closed once the load has been handed to the thread (a turn later), long before a thread can finish one.
      const cut = other.load(SAMPLE_DIALPLAN);
      await new Promise(setImmediate);
      await other.close();
      await expect(cut).rejects.toThrow(/loader thread stopped/);
      expect((await loaded((dir) => other.load(dir))).extensions.size).toBeGreaterThan(0);
    } finally {
      await other.close();
    }
  });

  it('reports a bad plan with file:line:column, as a load in place does', async () => {
    const copy = planCopy({ 'extra.yaml': 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: missing-class\n' });
    try {
      const [here, there] = await Promise.all([loadPlan(copy.dir), loadPlanOffThread(copy.dir)]);
      expect(here.ok).toBe(false);
      expect(there).toEqual(here);
      expect(there.ok ? [] : there.problems).toContainEqual({ where: `${copy.dir}/extra.yaml:4:12`, message: expect.stringContaining('unknown class of service') });
    } finally {
      copy.remove();
    }
  });
});
