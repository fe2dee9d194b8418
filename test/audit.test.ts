import { Writable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { decisionLogger, logDecision } from '../src/audit/decisionLog.js';
import { decide } from '../src/policy/decide.js';
import { LOCKED_PHONE } from '../src/policy/phoneState.js';
import type { Plan } from '../src/policy/plan.js';
import { samplePlan } from './support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) });
  return { stream, lines: () => chunks.join('').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('decision log (policy 7)', () => {
  it('records who, what, class, decision, reason and rule', () => {
    const out = capture();
    const call = { from: '4101', to: '909011234567' };
    const now = Date.parse('2026-11-22T10:00:00Z');
    logDecision(decisionLogger(out.stream), call, decide(plan, LOCKED_PHONE, call, now), now);
    expect(out.lines()[0]).toMatchObject({
      at: '2026-11-22T10:00:00.000Z',
      from: '4101',
      to: '909011234567',
      class: 'premium',
      e164: '+449011234567',
      action: 'reject',
      reason: 'premium-barred',
      rule: 'barred:premium',
      where: expect.stringMatching(/GB\.yaml:\d+$/),
      sipStatus: 403,
    });
  });

  it('logs emergency calls at warn level', () => {
    const out = capture();
    const call = { from: '2900', to: '999' };
    logDecision(decisionLogger(out.stream), call, decide(plan, LOCKED_PHONE, call, 0), 0);
    expect(out.lines()[0]).toMatchObject({ level: 40, action: 'emergency', msg: 'emergency call' });
  });

  it('never writes a PIN, even one attached to the call by mistake', () => {
    const out = capture();
    const call = Object.assign({ from: '4101', to: '90033142685300' }, { pin: '731946' });
    logDecision(decisionLogger(out.stream), call, decide(plan, LOCKED_PHONE, call, 0), 0);
    decisionLogger(out.stream).info({ pin: '731946', user: { pin: '731946' } }, 'attached by mistake');
    expect(JSON.stringify(out.lines())).not.toContain('731946');
  });
});
