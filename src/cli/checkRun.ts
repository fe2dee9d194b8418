import { decisionRecord } from '../audit/decisionRecord.js';
import { decide, type Call } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import { explain } from '../policy/explain.js';
import { LOCKED_PHONE, type PhoneState } from '../policy/phoneState.js';
import type { Plan } from '../policy/plan.js';
import type { CheckOptions } from './check.js';
import { planFrom } from './planOrThrow.js';
import { ruleWhere } from './ruleWhere.js';
import { redisTarget, withSharedState } from './sharedState.js';
import { UsageError } from './usage.js';

function parseAt(at: string | undefined): number {
  if (at === undefined) return Date.now();
  const ms = Date.parse(at);
  if (Number.isNaN(ms)) throw new UsageError(`--at "${at}" is not an ISO-8601 date or time`);
  return ms;
}

/**
 * The caller's phone state: the live one from Redis when a store is given, with --locked/--unlocked
 * overriding the lock for what-if questions; without a store, a lock-managed phone counts as locked.
 */
async function phoneState(options: CheckOptions, plan: Plan, now: number): Promise<PhoneState> {
  if (options.locked && options.unlocked) throw new UsageError('give --locked or --unlocked, not both');
  const live = redisTarget(options) ? await withSharedState(options, async (state) => state.replica.phoneState(plan, options.from, now), plan) : LOCKED_PHONE;
  if (options.unlocked) return { ...live, lock: 'unlocked' };
  if (options.locked) return { ...live, lock: 'locked' };
  return live;
}

/** The audit record of the decision plus what an admin asking "what if" also wants to see. */
function summary(call: Call, decision: Decision, now: number): Record<string, unknown> {
  const { at: _at, from: _from, to: _to, ...record } = decisionRecord(call, decision, now);
  return {
    ...record,
    record: decision.action === 'allow' ? decision.recording !== undefined : undefined,
    trunk: decision.action === 'emergency' ? decision.trunk : undefined,
    alert: decision.action === 'emergency' ? decision.alert : undefined,
    target: decision.action === 'security' ? decision.target : undefined,
    failover: decision.action === 'security' ? decision.failover : undefined,
    answerTimeoutSeconds: decision.action === 'security' ? decision.answerTimeoutSeconds : undefined,
    explanation: explain(decision),
  };
}

function human(options: CheckOptions, fields: Record<string, unknown>): string {
  const lines = [`${String(fields.action).toUpperCase()}  ${options.from} -> ${options.to}`];
  for (const [key, value] of Object.entries(fields)) {
    if (key === 'action' || key === 'explanation' || value === undefined) continue;
    lines.push(`  ${`${key}:`.padEnd(12)}${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
  }
  lines.push(`  why:        ${String(fields.explanation)}`);
  return `${lines.join('\n')}\n`;
}

/** `callguard check`: loaded only when the command runs, so other commands start without the policy core. */
export async function runCheck(options: CheckOptions): Promise<void> {
  const plan = await planFrom(options.dialplan);
  const call: Call = { from: options.from, to: options.to };
  const now = parseAt(options.at);
  const decision = decide(plan, await phoneState(options, plan, now), call, now);
  // Every rule cited with the line to read, also the ones that are no single line of the plan.
  const fields = summary(call, { ...decision, rule: { ...decision.rule, where: ruleWhere(plan, call, decision) } }, now);
  process.stdout.write(options.json ? `${JSON.stringify(fields)}\n` : human(options, fields));
}
