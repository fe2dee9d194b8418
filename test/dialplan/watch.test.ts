import { afterEach, describe, expect, it } from 'vitest';
import type { Problem } from '../../src/dialplan/problem.js';
import { PlanWatcher } from '../../src/dialplan/watch.js';
import type { Plan } from '../../src/policy/plan.js';
import { planCopy } from '../support/plans.js';

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

/** A watcher on a fresh copy of the sample plan, with its reloads and refusals queued for the test to await. */
async function watched() {
  const copy = planCopy();
  const reloads: Plan[] = [];
  const refusals: Problem[][] = [];
  const watcher = await PlanWatcher.start(copy.dir, { onReload: (p) => reloads.push(p), onRejected: (p) => refusals.push(p) });
  cleanup.push(() => watcher.close(), () => copy.remove());
  return { copy, watcher, reloads, refusals };
}

const until = (condition: () => boolean) => expect.poll(condition, { timeout: 5000, interval: 20 }).toBe(true);

describe('hot reload', () => {
  it('swaps in a valid edit without being asked', async () => {
    const { copy, watcher, reloads } = await watched();
    expect(watcher.current.extensions.has('5001')).toBe(false);
    copy.write('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: staff\n');
    await until(() => reloads.length > 0);
    expect(watcher.current.extensions.get('5001')?.name).toBe('New lab');
  });

  it('keeps the last good plan when an edit is bad, and says where the edit is wrong', async () => {
    const { copy, watcher, refusals } = await watched();
    const before = watcher.current;
    copy.write('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: missing-class\n');
    await until(() => refusals.length > 0);
    expect(watcher.current).toBe(before);
    expect(refusals[0]).toContainEqual({ where: `${copy.dir}/extra.yaml:4:12`, message: expect.stringContaining('unknown class of service "missing-class"') });
  });

  it('keeps deciding on a consistent snapshot while reloads happen', async () => {
    const { copy, watcher } = await watched();
    const snapshot = watcher.current;
    copy.write('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: staff\n');
    await watcher.reload();
    expect(snapshot.extensions.has('5001')).toBe(false);
    expect(watcher.current.extensions.has('5001')).toBe(true);
  });

  it('after close, neither applies nor reports a reload, even one under way', async () => {
    const { copy, watcher, reloads, refusals } = await watched();
    const before = watcher.current;
    copy.write('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: New lab\n    class: staff\n');
    const underWay = watcher.reload();
    await new Promise((resolve) => setImmediate(resolve));
    watcher.close();
    await underWay;
    await watcher.reload();
    expect({ reloads: reloads.length, refusals: refusals.length, current: watcher.current }).toEqual({ reloads: 0, refusals: 0, current: before });
  });

  it('refuses to start on an invalid plan', async () => {
    const copy = planCopy({ 'extra.yaml': 'bogus: true\n' });
    cleanup.push(() => copy.remove());
    await expect(PlanWatcher.start(copy.dir, { onReload: () => {}, onRejected: () => {} })).rejects.toThrow(/extra\.yaml:1:1: unknown key "bogus"/);
  });
});
