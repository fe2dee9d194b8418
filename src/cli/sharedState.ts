import type { Command } from 'commander';
import type { Plan } from '../policy/plan.js';
import type { RuntimeState } from '../state/index.js';
import { describeRedisTarget, redisTargetFromEnv, type RedisTarget } from '../state/redisTarget.js';
import { DIALPLAN_OPTION, REDIS_OPTION } from './options.js';

export interface StateOptions {
  redis?: string;
  dialplan?: string;
}

/** The shared Redis: --redis URL, else the environment's (REDIS_URL, or REDIS_SENTINELS and REDIS_SENTINEL_NAME). */
export function redisTarget(options: StateOptions): RedisTarget | undefined {
  const env = options.redis ? { REDIS_URL: options.redis, REDIS_TLS_CA: process.env.REDIS_TLS_CA } : process.env;
  const { target, problems } = redisTargetFromEnv(env);
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return target;
}

/**
 * Runs `work` against the shared runtime state. The embedded store lives inside one running server,
 * so without Redis there is nothing for a command to change: say so rather than change a private copy.
 */
export async function withSharedState<T>(options: StateOptions, work: (state: RuntimeState, plan: Plan) => Promise<T>, loaded?: Plan): Promise<T> {
  const redis = redisTarget(options);
  if (!redis) throw new Error('no shared state store: give --redis URL or set REDIS_URL (or REDIS_SENTINELS and REDIS_SENTINEL_NAME; without Redis, state lives only inside each running callguard server)');
  // The store, its Redis client and the logger are loaded only when a state command runs.
  const [{ openState }, { pino }, { planFrom }] = await Promise.all([import('../state/index.js'), import('pino'), import('./planOrThrow.js')]);
  const plan = loaded ?? (await planFrom(options.dialplan));
  // Warnings (an outage, a Security alert) go to stderr; info-level chatter does not.
  const state = await openState({ plan, redis, logger: pino({ level: 'warn' }, process.stderr) });
  try {
    if (!state.replica.isLoaded) throw new Error(`${describeRedisTarget(redis)} cannot be reached`);
    return await work(state, plan);
  } finally {
    await state.backend.close();
  }
}

export interface StateContext<O extends StateOptions> {
  state: RuntimeState;
  plan: Plan;
  options: O;
}

/** A subcommand that works on the shared runtime state: it takes --redis and --dialplan. */
export function stateCommand(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).option(...REDIS_OPTION).option(...DIALPLAN_OPTION);
}

/** Adapts a command body to commander's (args..., options, command) call, opening the store around it. */
export function onState<O extends StateOptions, A extends string[]>(work: (context: StateContext<O>, ...args: A) => Promise<void>) {
  return (...received: unknown[]) => {
    const options = received.at(-2) as O;
    return withSharedState(options, (state, plan) => work({ state, plan, options }, ...(received.slice(0, -2) as A)));
  };
}

/** The first line of stdin, without echoing it when stdin is a terminal. A PIN is never an argument. */
export async function readSecretLine(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    let text = '';
    for await (const chunk of stdin) {
      text += String(chunk);
      if (text.includes('\n')) break;
    }
    return text.split(/\r?\n/)[0]!.trim();
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  try {
    let typed = '';
    for await (const key of stdin as AsyncIterable<string>) {
      if (key === '\u0003') throw new Error('cancelled');
      if (key === '\r' || key === '\n') break;
      typed = key === '\u007f' ? typed.slice(0, -1) : typed + key;
    }
    return typed;
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}
