/**
 * What-if replay: recorded calls decided again by an edited plan; the changed calls are listed with the
 * new rule's file:line, then counted per reason.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRecords } from '../../bench/oversightData.js';
import { loadPlan } from '../../src/dialplan/load.js';
import type { CallRecord } from '../../src/oversight/callRecord.js';
import { monthFiles } from '../../src/oversight/recordScan.js';
import { replayFiles, type ReplayChange } from '../../src/oversight/replay.js';
import type { Plan } from '../../src/policy/plan.js';
import { callguard } from '../support/cli.js';
import { planCopy, samplePlan, SAMPLE_DIALPLAN } from '../support/plans.js';

describe('what-if replay', () => {
  let plan: Plan;
  let dataDir: string;
  let edited: ReturnType<typeof planCopy>;
  let editedPlan: Plan;
  let records: CallRecord[];

  beforeAll(async () => {
    plan = await samplePlan();
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-replay-'));
    await generateRecords({ plan, dataDir, firstDay: '2026-11-01', days: 30, calls: 3000 });
    records = monthFiles(dataDir, '2026-11').flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallRecord));
    // The edit: staff may no longer call mobiles.
    const classes = readFileSync(join(SAMPLE_DIALPLAN, 'classes.yaml'), 'utf8').replace('allow: [public-service, freephone, geographic, national, mobile]', 'allow: [public-service, freephone, geographic, national]');
    edited = planCopy({ 'classes.yaml': classes });
    const loaded = await loadPlan(edited.dir);
    if (!loaded.ok) throw new Error('edited plan invalid');
    editedPlan = loaded.plan;
  });
  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
    edited?.remove();
  });

  it('the same plan changes nothing', () => {
    const summary = replayFiles(plan, monthFiles(dataDir, '2026-11'), { month: '2026-11' });
    expect(summary.replayed).toBe(records.length);
    expect(summary.changed).toBe(0);
  });

  it('an edit lists exactly the calls it changes, with the new rule at its file:line', () => {
    const changes: ReplayChange[] = [];
    const summary = replayFiles(editedPlan, monthFiles(dataDir, '2026-11'), { month: '2026-11', onChange: (c) => changes.push(c) });
    const staff = new Set([...plan.extensions.values()].filter((e) => e.classOfService.name === 'staff').map((e) => e.ext));
    const expected = records.filter((r) => r.class === 'mobile' && r.reason === 'class-of-service' && staff.has(r.from));
    expect(expected.length).toBeGreaterThan(50);
    expect(summary.changed).toBe(expected.length);
    expect(changes.map((c) => c.id).sort()).toEqual(expected.map((r) => r.id).sort());
    expect(changes[0]).toMatchObject({ before: { action: 'allow', reason: 'class-of-service', rule: 'class:staff' }, after: { action: 'reject', reason: 'class-not-permitted', rule: 'class:staff', sipStatus: 403 } });
    expect(changes[0]!.after.where).toBe(`${join(edited.dir, 'classes.yaml')}:4`);
    expect(summary.byChange).toEqual([['allow/class-of-service -> reject/class-not-permitted', expected.length]]);
  });

  it('callguard replay --month prints the changed calls and the summary per reason', () => {
    const r = callguard(['replay', '--month', '2026-11', '--data-dir', dataDir, '--dialplan', edited.dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^2026-11-\d\dT.* \d+ -> 9077\d+  allow\/class-of-service -> reject\/class-not-permitted \(class:staff at .*classes\.yaml:4\)$/);
    expect(r.stdout).toMatch(new RegExp(`${records.length.toLocaleString('en-GB')} calls replayed, [\\d,]+ would be decided differently`));
    expect(r.stdout).toMatch(/^\s+\d+ {2}allow\/class-of-service -> reject\/class-not-permitted$/m);
  });

  it('--records FILE --json --at: one object per change, then the summary', () => {
    const file = monthFiles(dataDir, '2026-11')[0]!;
    const r = callguard(['replay', '--records', file, '--dialplan', edited.dir, '--json', '--at', '2026-12-01T12:00:00Z']);
    expect(r.status).toBe(0);
    const objects = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const summary = objects.at(-1)!.summary as { changed: number; byNewReason: Record<string, number> };
    expect(objects.length - 1).toBe(summary.changed);
    expect(summary.byNewReason['class-not-permitted']).toBe(summary.changed);
  });

  it('refuses a month that is not yyyy-mm, and a missing source', () => {
    expect(callguard(['replay', '--month', '2026-13', '--dialplan', edited.dir]).stderr).toMatch(/--month "2026-13" is not a month/);
    expect(callguard(['replay', '--dialplan', edited.dir]).stderr).toMatch(/give --records FILES or --month/);
  });
});
