/**
 * The monthly report, read as a person reads it: the figures match the records (computed here
 * independently with JSON.parse), the CSV files re-read to the same figures, and the HTML page rendered
 * in headless Chromium: self-contained, nothing overflowing the page, the key figures on it.
 */
import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

const CHROMIUM = '/usr/bin/chromium';
const FRANCE = '90033142685300';
const OVER_LIMIT = { international: { hour: 10, day: 10 }, highRisk: { hour: 0, day: 0 }, concurrentAbroad: 0, minutesAbroadToday: 0, siteConcurrentAbroad: 0, local: { day: '2026-11-12', minuteOfDay: 600, weekday: 4 } };

/** RFC 4180 rows (quoted fields with commas, doubled quotes). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') row.push(field), (field = '');
    else if (c === '\r') continue;
    else if (c === '\n') row.push(field), rows.push(row), (row = []), (field = '');
    else field += c;
  }
  return rows;
}

describe('callguard report', () => {
  let plan: Plan;
  let dataDir: string;
  let records: CallRecord[];
  let report: Report;

  beforeAll(async () => {
    plan = await samplePlan();
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-report-'));
    await generateRecords({ plan, dataDir, firstDay: '2026-11-01', days: 30, calls: 4000 });
    // One emergency call and one hotline call answered by Security's first failover, by hand.
    const at = Date.parse('2026-11-12T14:03:00Z');
    const hand = [
      callRecord({ callId: 'e1', call: { from: '4202', to: '999' }, decision: decide(plan, { lock: 'unlocked', grants: [] }, { from: '4202', to: '999' }, at), plan, lock: 'unlocked', at }, { finalStatus: 200, answeredAt: at + 2000, endedAt: at + 182_000, disposition: 'answered', failover: 'public-trunk' }),
      callRecord({ callId: 'h1', call: { from: '2900', to: '0' }, decision: decide(plan, { lock: 'unlocked', grants: [] }, { from: '2900', to: '0' }, at + 60_000), plan, lock: 'unlocked', at: at + 60_000 }, { finalStatus: 200, answeredAt: at + 80_000, endedAt: at + 140_000, disposition: 'answered', failover: '2223' }),
      // amoreno: two wrong PINs before the right one, then a call over the hourly toll-fraud limit.
      callRecord({ callId: 'p1', call: { from: '4101', to: FRANCE }, decision: decide(plan, { lock: 'locked', grants: [] }, { from: '4101', to: FRANCE }, at), plan, lock: 'locked', at }, { finalStatus: 200, answeredAt: at + 30_000, endedAt: at + 90_000, disposition: 'answered', pinFailures: 2 }),
      callRecord({ callId: 'f1', call: { from: '4101', to: FRANCE }, decision: decide(plan, { lock: 'unlocked', grants: [], usage: OVER_LIMIT }, { from: '4101', to: FRANCE }, at), plan, lock: 'unlocked', at }, { finalStatus: 403, endedAt: at + 10, disposition: 'rejected' }),
      // and a later call whose two wrong PINs locked PIN entry out
      callRecord({ callId: 'p2', call: { from: '4101', to: FRANCE }, decision: decide(plan, { lock: 'locked', grants: [] }, { from: '4101', to: FRANCE }, at + 600_000), plan, lock: 'locked', at: at + 600_000 }, { finalStatus: 403, endedAt: at + 640_000, disposition: 'rejected', pinFailures: 2, pinLockedOut: true }),
    ];
    expect(hand[3]!.reason).toBe('fraud-limit');
    appendFileSync(dayFile(dataDir, '2026-11-12'), hand.map((r) => `${JSON.stringify(r)}\n`).join(''));
    records = monthFiles(dataDir, '2026-11').flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as CallRecord)).filter((r) => r.invite.startsWith('2026-11'));
    const r = callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--format', 'json']);
    expect(r.stderr).toBe('');
    report = JSON.parse(r.stdout) as Report;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('totals, per-user minutes and cost, and barred attempts match the records', () => {
    const outgoing = records.filter((r) => r.reason !== 'inbound');
    expect(report.totals.calls).toBe(outgoing.length);
    const answered = outgoing.filter((r) => r.disp === 'answered' && r.action !== 'reject');
    expect(report.totals.answered).toBe(answered.length);
    const barredReasons = ['premium-barred', 'chat-line-barred', 'directory-barred', 'international-not-granted', 'high-risk-not-granted', 'class-not-permitted', 'deny-list', 'fraud-limit'];
    expect(report.totals.barredAttempts).toBe(outgoing.filter((r) => barredReasons.includes(r.reason)).length);
    expect(report.totals.barredAttempts).toBeGreaterThan(0);
    // One user, by hand: minutes by class and the estimated cost from tariffs.yaml.
    const tariffs = plan.tariffs!;
    const mine = answered.filter((r) => r.from === '4101');
    const minutes = Math.round(mine.reduce((t, r) => t + r.dur, 0) / 6) / 10;
    let pence = 0;
    for (const r of mine) {
      if (r.class === 'internal' || r.action === 'emergency') continue;
      const rate = ((r.class === 'international' || r.class === 'high-risk') && r.country ? tariffs.countries.get(r.country) : undefined) ?? tariffs.classes.get(r.class);
      if (rate) pence += rate.perCall + rate.perMinute * Math.ceil(r.dur / 60);
    }
    const row = report.users.find((u) => u.ext === '4101')!;
    expect(row.minutes).toBeCloseTo(minutes, 0);
    expect(row.cost).toBeCloseTo(pence / 100, 1);
    expect(row.department).toBe('Physics, Astronomy and Mathematics');
    // Toll-fraud refusals have their own row; PIN failures are counted from the records, never the digits.
    const fraud = report.barred.find((b) => b.ext === '4101' && b.class === 'fraud-limit');
    expect(fraud?.attempts).toBe(outgoing.filter((r) => r.from === '4101' && r.reason === 'fraud-limit').length);
    expect(fraud?.numbers).toEqual(['+33142685300']);
    const pinFailures = outgoing.filter((r) => r.from === '4101').reduce((n, r) => n + (r.pinFail ?? 0), 0);
    expect(pinFailures).toBeGreaterThanOrEqual(2);
    expect(report.users.find((u) => u.ext === '4101')?.pinFailures).toBe(pinFailures);
    // Lockouts: calls whose wrong PINs locked entry out, and calls refused while it was.
    const lockouts = outgoing.filter((r) => r.from === '4101' && (r.pinLock === true || r.reason === 'pin-locked-out')).length;
    expect(lockouts).toBeGreaterThanOrEqual(1);
    expect(report.pin.find((p) => p.ext === '4101')).toMatchObject({ failures: pinFailures, lockouts });
    const first = outgoing.find((r) => r.reason === 'chat-line-barred')!;
    const chat = report.barred.find((b) => b.ext === first.from && b.class === 'chat-line');
    expect(chat?.attempts).toBe(outgoing.filter((r) => r.from === first.from && r.reason === 'chat-line-barred').length);
    expect(chat?.numbers).toContain(first.e164);
  });

  it('emergency and hotline calls with times and failover; cost flag; grants used and unused; idle extensions', () => {
    expect(report.safety.find((s) => s.at === '2026-11-12T14:03:00.000Z')).toMatchObject({ kind: 'emergency', ext: '4202', dialled: '999', answered: true, failover: 'public-trunk' });
    expect(report.safety.find((s) => s.kind === 'hotline')).toMatchObject({ ext: '2900', location: 'Main Building, lift 1 car', answered: true, failover: '2223' });
    expect(report.costFlag).toBe(5);
    for (const u of report.costFlagged) expect(u.cost).toBeGreaterThan(5);
    expect(report.costFlagged.length).toBe(report.users.filter((u) => u.cost > 5).length);
    const granted = records.filter((r) => r.rule.startsWith('grant:'));
    expect(report.grants.reduce((t, g) => t + g.calls, 0)).toBe(granted.length);
    const usedIds = new Set(granted.map((r) => r.rule.slice(6)));
    for (const g of report.unusedGrants) expect(usedIds.has(g.id)).toBe(false);
    const callers = new Set(records.map((r) => r.from));
    const idle = [...plan.extensions.values()].filter((e) => e.role.kind === 'desk' && !callers.has(e.ext)).map((e) => e.ext).sort();
    expect(report.idle.map((i) => i.ext).sort()).toEqual(idle);
  });

  it('--department keeps one department', () => {
    const r = callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--format', 'json', '--department', 'Computer Science']);
    const one = JSON.parse(r.stdout) as Report;
    expect(one.departments.map((d) => d.department)).toEqual(['Computer Science']);
    expect(one.totals.calls).toBe(records.filter((x) => x.dept === 'Computer Science' && x.reason !== 'inbound').length);
    expect(callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--department', 'Nope']).stderr).toMatch(/no department "Nope"/);
  });

  it('CSV: one file per table, re-read to the same figures', () => {
    const out = join(dataDir, 'csv');
    const r = callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--format', 'csv', '--out', out]);
    expect(r.status).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['barred-attempts.csv', 'cost-flagged.csv', 'departments.csv', 'emergency-and-hotline.csv', 'idle-extensions.csv', 'international-by-grant.csv', 'pin.csv', 'unused-grants.csv', 'users.csv']);
    const [header, ...rows] = parseCsv(readFileSync(join(out, 'users.csv'), 'utf8'));
    expect(header!.slice(0, 8)).toEqual(['extension', 'user', 'name', 'department', 'calls', 'answered', 'minutes', 'cost GBP']);
    expect(rows).toHaveLength(report.users.length);
    for (const row of rows) {
      const u = report.users.find((x) => x.ext === row[0])!;
      expect([row[3], Number(row[4]), Number(row[6]), Number(row[7])]).toEqual([u.department, u.calls, u.minutes, u.cost]);
    }
    const depts = parseCsv(readFileSync(join(out, 'departments.csv'), 'utf8')).slice(1);
    expect(depts.reduce((t, d) => t + Number(d[4]), 0)).toBe(report.totals.calls);
  });

  it.skipIf(!existsSync(CHROMIUM))('HTML in headless Chromium: self-contained, printable, nothing overflows, figures as in the records', async () => {
    const file = join(dataDir, 'report.html');
    expect(callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--out', file]).status).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|url\(/i);
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      // A4 at 96 dpi, as printed.
      const page = await browser.newPage({ viewport: { width: 794, height: 1123 } });
      const requests: string[] = [];
      page.on('request', (req) => requests.push(req.url()));
      await page.goto(`file://${file}`);
      const layout = await page.evaluate(() => {
        const vw = document.documentElement.clientWidth;
        const over = [...document.querySelectorAll('body *')].filter((el) => el.getBoundingClientRect().right > vw + 0.5).map((el) => el.tagName + (el.textContent ?? '').slice(0, 30));
        const figures = Object.fromEntries([...document.querySelectorAll('.figures div')].map((d) => [d.firstChild!.textContent!.trim(), d.querySelector('b')!.textContent!]));
        return { scroll: document.documentElement.scrollWidth, vw, over, figures, charts: document.querySelectorAll('svg.chart').length, bars: document.querySelectorAll('svg.chart rect').length };
      });
      expect(requests.filter((u) => !u.startsWith('file://'))).toEqual([]);
      expect(layout.over).toEqual([]);
      expect(layout.scroll).toBeLessThanOrEqual(layout.vw);
      expect(layout.charts).toBe(2);
      expect(layout.bars).toBeGreaterThan(10);
      expect(layout.figures.calls).toBe(report.totals.calls.toLocaleString('en-GB'));
      expect(layout.figures['estimated cost']).toBe(`GBP ${report.totals.cost.toLocaleString('en-GB', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`);
      expect(layout.figures['emergency calls']).toBe(String(report.totals.emergency));
      await page.screenshot({ path: join(tmpdir(), 'callguard-report-test.png'), fullPage: true });
      const pdf = await page.pdf({ format: 'A4' });
      expect(pdf.length).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
    }
  });
});
