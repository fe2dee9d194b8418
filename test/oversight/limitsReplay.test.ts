/**
 * The replay and the toll-fraud limits: a call abroad is recorded with the usage the limits met and
 * replayed against it, so a refusal by a limit is a change only when the limits changed.
 */
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { callRecord, type CallRecord } from '../../src/oversight/callRecord.js';
import { replayFiles } from '../../src/oversight/replay.js';
import { usageFromText, usageText } from '../../src/oversight/usageText.js';
import { decide } from '../../src/policy/decide.js';
import type { CallerUsage } from '../../src/policy/limits.js';
import type { Plan } from '../../src/policy/plan.js';
import { callguard } from '../support/cli.js';
import { Edge } from '../support/edgeFixture.js';
import { planCopy, samplePlan, SAMPLE_DIALPLAN } from '../support/plans.js';

const FRANCE = '90033142685300';
/** Thursday 12 November 2026, 10:00 in London: in hours, where the sample allows 40 calls abroad a day. */
const AT = Date.parse('2026-11-12T10:00:00Z');
const usage = (day: number): CallerUsage => ({ international: { hour: 0, day }, highRisk: { hour: 0, day: 0 }, concurrentAbroad: 0, minutesAbroadToday: 0, siteConcurrentAbroad: 0, local: { day: '2026-11-12', minuteOfDay: 600, weekday: 4 } });

function record(plan: Plan, id: string, used: CallerUsage): CallRecord {
  const call = { from: '4101', to: FRANCE };
  const decision = decide(plan, { lock: 'unlocked', grants: [], usage: used }, call, AT);
  return callRecord({ callId: id, call, decision, plan, lock: 'unlocked', usage: used, at: AT }, { finalStatus: decision.action === 'reject' ? 403 : 486, endedAt: AT + 1000, disposition: decision.action === 'reject' ? 'rejected' : 'failed' });
}

describe('replay against the usage the limits met', { timeout: 120_000 }, () => {
  let plan: Plan;
  let dir: string;
  let file: string;
  let raised: ReturnType<typeof planCopy>;

  beforeAll(async () => {
    plan = await samplePlan();
    dir = mkdtempSync(join(tmpdir(), 'callguard-limits-replay-'));
    const over = record(plan, 'over', usage(40));
    const under = record(plan, 'under', usage(3));
    // A record from before the usage was kept: refused by a limit, with nothing to replay it against.
    const { use: _use, ...old } = record(plan, 'old', usage(40));
    expect([over.reason, under.reason, old.reason]).toEqual(['fraud-limit', 'international-granted', 'fraud-limit']);
    file = join(dir, '2026-11-12.jsonl');
    writeFileSync(file, [over, under, old].map((r) => `${JSON.stringify(r)}\n`).join(''));
    raised = planCopy({ 'limits.yaml': readFileSync(join(SAMPLE_DIALPLAN, 'limits.yaml'), 'utf8').replace('international: { perHour: 10, perDay: 40 }', 'international: { perHour: 10, perDay: 100 }') });
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    raised?.remove();
  });

  it('keeps the usage in the record of a call abroad, as text that reads back the same', () => {
    expect(record(plan, 'x', usage(3)).use).toBe('i0/3 h0/0 c0 s0 m0 2026-11-12 600 4');
    expect(usageFromText(usageText(usage(7)))).toEqual(usage(7));
    expect(usageFromText('nonsense')).toBeUndefined();
  });

  it('with the same limits, a refusal by a limit is no change; an older record without its usage is, and is counted', () => {
    const changed: string[] = [];
    const summary = replayFiles(plan, [file], { onChange: (c) => changed.push(c.id) });
    expect(changed).toEqual(['old']);
    expect(summary.limits).toEqual({ withUsage: 2, withoutUsage: 1, refusedBefore: 2, refusedNow: 1 });
  });

  it('with raised limits, the refusal becomes a change', async () => {
    const loaded = await loadPlan(raised.dir);
    if (!loaded.ok) throw new Error('raised plan invalid');
    const changes: { id: string; before: { reason: string }; after: { reason: string } }[] = [];
    replayFiles(loaded.plan, [file], { onChange: (c) => changes.push(c) });
    expect(changes.map((c) => [c.id, c.before.reason, c.after.reason])).toEqual([
      ['over', 'fraud-limit', 'international-granted'],
      ['old', 'fraud-limit', 'international-granted'],
    ]);
  });

  it('callguard replay says how the limits took part', () => {
    const r = callguard(['replay', '--records', file, '--dialplan', SAMPLE_DIALPLAN]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('toll-fraud limits: 2 calls abroad decided against the usage recorded when made; refused by a limit: 2 as recorded, 1 as replayed\n');
    expect(r.stdout).toContain('toll-fraud limits: 1 call abroad recorded without the usage they met (older records), decided without limits\n');
  });
});

describe('the SIP edge records the usage a call abroad met', { timeout: 120_000 }, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'callguard-edge-usage-'));
  const before = process.env.CALLGUARD_DATA_DIR;
  afterAll(() => {
    if (before === undefined) delete process.env.CALLGUARD_DATA_DIR;
    else process.env.CALLGUARD_DATA_DIR = before;
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('in the call record', async () => {
    process.env.CALLGUARD_DATA_DIR = dataDir;
    mkdirSync(dataDir, { recursive: true });
    const edge = await Edge.start({ now: () => AT });
    try {
      // A locked phone (no Redis): the call asks for the PIN, which needs the media server this edge lacks.
      await edge.invite('4101', FRANCE).finalResponse();
    } finally {
      await edge.stop();
    }
    const lines = readdirSync(join(dataDir, 'calls')).flatMap((f) => readFileSync(join(dataDir, 'calls', f), 'utf8').trim().split('\n'));
    const rec = JSON.parse(lines.at(-1)!) as CallRecord;
    expect(rec).toMatchObject({ from: '4101', class: 'international', action: 'pin-required', use: expect.stringMatching(/^i\d+\/\d+ h0\/0 c\d+ s\d+ m\d+ 2026-11-12 600 4$/) });
  });
});
