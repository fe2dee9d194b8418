import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { openState, type RuntimeState } from '../../src/state/index.js';
import { samplePlan } from '../support/plans.js';
import { capturedLogger } from '../support/stateFixtures.js';

let plan: Plan;
const open: RuntimeState[] = [];
beforeAll(async () => {
  plan = await samplePlan();
});
afterEach(async () => Promise.all(open.splice(0).map((s) => s.backend.close())));

describe('openState without REDIS_URL', () => {
  it('runs on the embedded store and warns at start that it is one instance and lost on restart', async () => {
    const { logger, lines } = capturedLogger();
    const state = await openState({ plan, logger });
    open.push(state);
    const warnings = lines().filter((l) => JSON.parse(l).level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/REDIS_URL is not set.*embedded in this process only and is lost on restart/);
    expect(state.backend.description).toMatch(/one instance/);
    expect(state.replica.phoneState(plan, '4101', Date.now()).lock).toBe('locked');
  });

  it('logs a PIN lockout as a Security alert, without the digits tried', async () => {
    const { logger, lines } = capturedLogger();
    const state = await openState({ plan, logger });
    open.push(state);
    await state.setPin('4101', '731946');
    for (let i = 0; i < plan.site.pin.maxAttempts; i++) await state.unlock('4101', '582946', Date.now());
    const alerts = lines().filter((l) => l.includes('security alert'));
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toContain('"ext":"4101"');
    expect(lines().join('\n')).not.toMatch(/731946|582946/);
  });
});
