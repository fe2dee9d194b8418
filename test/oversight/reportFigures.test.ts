/**
 * The report's figures agree with each other and with the records: the key figures are the tables'
 * totals (minutes from the seconds, not sums of rounded rows), counts are plural only when they are,
 * and a call from outside that reached no extension is nobody's.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRecords } from '../../bench/oversightData.js';
import { callRecord, type CallRecord } from '../../src/oversight/callRecord.js';
import { dayFile } from '../../src/oversight/callRecords.js';
import { monthFiles } from '../../src/oversight/recordScan.js';
import type { Report } from '../../src/oversight/report.js';
import { decide } from '../../src/policy/decide.js';
import type { Plan } from '../../src/policy/plan.js';
import { callguard } from '../support/cli.js';
import { samplePlan } from '../support/plans.js';

const NUMBER = new Intl.NumberFormat('en-GB');

describe('report figures', { timeout: 120_000 }, () => {
  let plan: Plan;
  let dataDir: string;
  let records: CallRecord[];
  let report: Report;
  let html: string;

  beforeAll(async () => {
    plan = await samplePlan();
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-report-figures-'));
    await generateRecords({ plan, dataDir, firstDay: '2026-11-01', days: 30, calls: 900 });
    // Calls from outside that reached no extension: a number that is no extension, and a public number.
    const at = Date.parse('2026-11-12T14:03:00Z');
    const outside = [['+441632960001', '777'], ['+441632960001', '901707284678']].map(([from, to], i) => {
      const decision = decide(plan, { lock: 'unlocked', grants: [] }, { from: from!, to: to! }, at);
      return callRecord({ callId: `o${i}`, call: { from: from!, to: to! }, decision, plan, lock: 'unlocked', at }, { finalStatus: 403, endedAt: at + 10, disposition: 'rejected' });
    });
    expect(outside.map((r) => r.reason).sort()).toEqual(['unknown-caller', 'unknown-extension']);
    appendFileSync(dayFile(dataDir, '2026-11-12'), outside.map((r) => `${JSON.stringify(r)}\n`).join(''));
    records = monthFiles(dataDir, '2026-11').flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallRecord)).filter((r) => r.invite.startsWith('2026-11'));
    report = JSON.parse(callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--format', 'json']).stdout) as Report;
    html = callguard(['report', '--month', '2026-11', '--data-dir', dataDir]).stdout;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('counts a call from outside that reached no extension as nobody\'s', () => {
    expect(report.users.map((u) => u.ext)).not.toContain('+441632960001');
    expect(report.totals.outsideRefused).toBe(2);
    expect(report.totals.calls).toBe(records.filter((r) => plan.extensions.has(r.from)).length);
  });

  it('shows the answered minutes in the key figures as the tables add them up, from the seconds of the records', () => {
    const seconds = records.filter((r) => plan.extensions.has(r.from) && r.action !== 'reject' && r.disp === 'answered').reduce((s, r) => s + r.dur, 0);
    expect(report.totals.minutes).toBe(Math.round((seconds / 60) * 10) / 10);
    const tile = /minutes \(answered\)<b>([^<]+)<\/b>/.exec(html)![1];
    expect(tile).toBe(NUMBER.format(report.totals.minutes));
    const totalRow = /<tr><td>total<\/td>(.*?)<\/tr>/.exec(html)![1]!.match(/<td[^>]*>([^<]*)<\/td>/g)!.map((c) => c.replace(/<[^>]+>/g, ''));
    // extensions, no calls, calls, minutes, cost, barred
    expect(totalRow[2]).toBe(NUMBER.format(report.totals.calls));
    expect(totalRow[3]).toBe(tile);
    const departmentMinutes = report.departments.reduce((s, d) => s + d.minutes, 0);
    expect(Math.abs(departmentMinutes - report.totals.minutes)).toBeLessThanOrEqual(0.05 * report.departments.length);
  });

  it('says "1 file", not "1 files"', () => {
    const one = callguard(['report', '--month', '2026-11', '--records', dayFile(dataDir, '2026-11-12')]).stdout;
    expect(one).toMatch(/ records? read from 1 file[.,]/);
    expect(html).toMatch(/ records read from \d+ files[.,]/);
  });
});
