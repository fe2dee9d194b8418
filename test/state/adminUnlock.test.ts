import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { StateRefused } from '../../src/state/runtimeState.js';
import { RedisServer } from '../support/redisServer.js';
import { samplePlan } from '../support/plans.js';
import { memoryState, redisState, type StateUnderTest } from '../support/stateFixtures.js';

let plan: Plan;
let redis: RedisServer;
const open: StateUnderTest[] = [];

beforeAll(async () => {
  plan = await samplePlan();
  redis = await RedisServer.start();
});
afterEach(async () => Promise.all(open.splice(0).map((s) => s.close())));
afterAll(async () => redis.stop());

const MINUTE = 60_000;
const T = Date.parse('2026-11-23T14:00:00Z');
const ALICE = '4101';

describe.each([
  ['in-memory store', async () => memoryState(plan)],
  ['Redis store', async () => redisState(plan, redis.url)],
] as [string, () => Promise<StateUnderTest>][])('admin unlock, %s', (_name, make) => {
  it('unlocks without the PIN, clears failures and a lockout, and the idle re-lock still applies', async () => {
    const s = await make();
    open.push(s);
    await s.state.setPin(ALICE, '731946');
    for (let i = 0; i < 5; i++) await s.state.unlock(ALICE, '000000', T);
    expect(s.state.status(ALICE, T)).toMatchObject({ lock: 'locked', failures: 5, lockoutUntil: T + 15 * MINUTE });
    await s.state.unlockByAdmin(ALICE, T + MINUTE);
    expect(s.state.status(ALICE, T + MINUTE)).toMatchObject({ lock: 'unlocked', failures: 0, lockoutUntil: undefined, relocksAt: T + 31 * MINUTE });
    expect(s.state.replica.phoneState(plan, ALICE, T + 31 * MINUTE).lock).toBe('locked');
  });

  it('refuses an extension the dialplan does not have', async () => {
    const s = await make();
    open.push(s);
    await expect(s.state.unlockByAdmin('9999999', T)).rejects.toBeInstanceOf(StateRefused);
  });
});
