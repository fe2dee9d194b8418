import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Plan } from '../../src/policy/plan.js';
import type { StateBackend } from '../../src/state/backend.js';
import { MemoryBackend } from '../../src/state/memoryBackend.js';
import { RedisBackend } from '../../src/state/redisBackend.js';
import type { RedisTarget } from '../../src/state/redisTarget.js';
import { RuntimeState, type PinLockoutAlert } from '../../src/state/runtimeState.js';

/** A pino logger whose lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: () => string[] } {
  const chunks: string[] = [];
  const stream = new Writable({ write: (chunk, _enc, done) => (chunks.push(String(chunk)), done()) });
  return { logger: pino({ level: 'debug' }, stream), lines: () => chunks.join('').split('\n').filter(Boolean) };
}

export interface StateUnderTest {
  state: RuntimeState;
  alerts: PinLockoutAlert[];
  logs: () => string[];
  close(): Promise<void>;
}

export function wrap(backend: StateBackend, plan: Plan, logs: () => string[]): StateUnderTest {
  const state = new RuntimeState(backend, plan);
  const alerts: PinLockoutAlert[] = [];
  state.on('alert', (a) => alerts.push(a));
  return { state, alerts, logs, close: () => backend.close() };
}

export function memoryState(plan: Plan): StateUnderTest {
  const { lines } = capturedLogger();
  return wrap(new MemoryBackend(plan.site), plan, lines);
}

/** A Redis-backed state (a URL or a target) on its own key prefix, loaded before it is returned. */
export async function redisState(plan: Plan, redis: string | RedisTarget, prefix = `test-${randomUUID()}:`): Promise<StateUnderTest & { backend: RedisBackend; prefix: string }> {
  const { logger, lines } = capturedLogger();
  const backend = new RedisBackend({ redis: typeof redis === 'string' ? { url: redis } : redis, site: plan.site, logger, prefix });
  await backend.loaded();
  return { ...wrap(backend, plan, lines), backend, prefix };
}
