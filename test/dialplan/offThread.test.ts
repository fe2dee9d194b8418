import { describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { loadPlanOffThread } from '../../src/dialplan/offThread.js';
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
