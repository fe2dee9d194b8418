import { pino, type Logger } from 'pino';
import type { Plan } from '../policy/plan.js';
import type { StateBackend } from './backend.js';
import { MemoryBackend } from './memoryBackend.js';
import { RedisBackend } from './redisBackend.js';
import type { RedisTarget } from './redisTarget.js';
import { RuntimeState } from './runtimeState.js';

export { StateUnavailable } from './backend.js';
export type { RedisTarget } from './redisTarget.js';
export { RuntimeState, StateRefused, type PhoneStatus, type PinLockoutAlert, type UnlockResult } from './runtimeState.js';

export interface OpenStateOptions {
  plan: Plan;
  /** The shared Redis (from the environment: its secrets travel with it); without it the embedded in-memory store is used. */
  redis?: RedisTarget | undefined;
  logger?: Logger;
  /** How long to wait for the first load from Redis before carrying on with an unknown state (ms). */
  waitMs?: number;
}

/**
 * Opens the runtime state the app and the CLI share. With Redis it returns at once if Redis is away:
 * decisions then see `unknown` locks (the PIN is asked for) until the first load succeeds.
 */
export async function openState({ plan, redis, logger = pino({ name: 'callguard-state' }), waitMs = 2_000 }: OpenStateOptions): Promise<RuntimeState> {
  let backend: StateBackend;
  if (redis) {
    const shared = new RedisBackend({ redis, site: plan.site, logger });
    await Promise.race([shared.loaded(), new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    backend = shared;
  } else {
    backend = new MemoryBackend(plan.site);
    logger.warn({ store: backend.description }, 'REDIS_URL is not set (nor REDIS_SENTINELS): runtime state is embedded in this process only and is lost on restart');
  }
  const state = new RuntimeState(backend, plan);
  // Every lockout reaches the log at once; the SIP edge adds its own listener to page Security Control.
  state.on('alert', (alert) => logger.warn({ alert }, 'security alert: unlocking suspended after repeated wrong codes'));
  return state;
}
