/**
 * The report and the replay spread over worker threads give exactly what one thread gives: the same
 * report, the same summary, the same changed calls in the same order.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRecords, writeScalePlan } from '../../bench/oversightData.js';
import { loadPlan } from '../../src/dialplan/load.js';
import { parallelReplay, parallelReport } from '../../src/oversight/parallelScan.js';
import { monthFiles } from '../../src/oversight/recordScan.js';
import { changeLine, replayFiles } from '../../src/oversight/replay.js';
import { buildReport } from '../../src/oversight/report.js';
import type { Plan } from '../../src/policy/plan.js';

async function collected(run: (out: PassThrough) => Promise<unknown>): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  await run(out);
  return text;
}

describe('oversight over worker threads', () => {
  let root: string;
  let plan: Plan;
  let edited: Plan;
  let files: string[];

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'callguard-parallel-'));
    writeScalePlan(join(root, 'plan'), 200);
    writeScalePlan(join(root, 'edited'), 200);
    const p = await loadPlan(join(root, 'plan'));
    if (!p.ok) throw new Error('plan');
    plan = p.plan;
    await generateRecords({ plan, dataDir: join(root, 'data'), firstDay: '2026-10-20', days: 30, calls: 6000 });
    // The edit to prove: nobody may call mobiles.
    const { readFileSync, writeFileSync } = await import('node:fs');
    const classes = join(root, 'edited', 'classes.yaml');
    writeFileSync(classes, readFileSync(classes, 'utf8').replaceAll(', mobile', ''));
    const e = await loadPlan(join(root, 'edited'));
    if (!e.ok) throw new Error('edited plan');
    edited = e.plan;
    files = monthFiles(join(root, 'data'), '2026-11');
    expect(files.length).toBeGreaterThan(3);
    process.env.CALLGUARD_SCAN_WORKERS = '3';
  }, 120_000);

  afterAll(() => {
    delete process.env.CALLGUARD_SCAN_WORKERS;
    rmSync(root, { recursive: true, force: true });
  });

  it('the report: the same as one thread', async () => {
    const options = { month: '2026-11' };
    expect(await parallelReport(plan, join(root, 'plan'), files, options)).toStrictEqual(buildReport(plan, files, options));
  });

  it('the replay: the same summary and the same changed calls, in order', async () => {
    const one: string[] = [];
    const single = replayFiles(edited, files, { month: '2026-11', onChange: (c) => one.push(`${changeLine(c)}\n`) });
    expect(single.changed).toBeGreaterThan(0);
    let summary;
    const text = await collected(async (out) => {
      summary = await parallelReplay(edited, join(root, 'edited'), files, { month: '2026-11' }, { json: false, out });
    });
    expect(summary).toStrictEqual(single);
    expect(text).toBe(one.join(''));
  });
});
