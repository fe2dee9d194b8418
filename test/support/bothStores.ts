import { afterAll, afterEach, beforeAll } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { samplePlan } from './plans.js';
import { RedisServer } from './redisServer.js';
import { memoryState, redisState, type StateUnderTest } from './stateFixtures.js';

export interface BothStores {
  /** The sample plan (loaded before the file's first test). */
  readonly plan: Plan;
  /** For describe.each: the store's name, and how to open a fresh state on it (closed after the test). */
  readonly cases: [string, () => Promise<StateUnderTest>][];
}

/**
 * The two stores a runtime-state test must hold on: in-memory, and Redis on a real redis-server started
 * for the test file. Call it at the file's top level: it registers the file's hooks.
 */
export function bothStores(): BothStores {
  let plan: Plan | undefined;
  let redis: RedisServer | undefined;
  const open: StateUnderTest[] = [];
  const opened = (s: StateUnderTest) => (open.push(s), s);

  beforeAll(async () => {
    plan = await samplePlan();
    redis = await RedisServer.start();
  });
  afterEach(async () => Promise.all(open.splice(0).map((s) => s.close())));
  afterAll(async () => redis?.stop());

  const loaded = () => {
    if (!plan) throw new Error('bothStores: the sample plan is loaded in beforeAll; use it inside a test');
    return plan;
  };
  return {
    get plan() {
      return loaded();
    },
    cases: [
      ['in-memory store', async () => opened(memoryState(loaded()))],
      ['Redis store', async () => opened(await redisState(loaded(), redis!.url))],
    ],
  };
}
