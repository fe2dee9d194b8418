import { decide } from '../policy/decide.js';
import { callerState, countCall } from './callerState.js';
import type { Decision } from '../policy/decision.js';
import type { CallContext } from './context.js';
import type { Side } from './session.js';

/**
 * The party a transfer or redirect is decided for: the extension on the side that asked for it,
 * else our extension on the other side. A REFER or 3xx can never reach further than that party could
 * dial itself.
 */
export function partyOf(ctx: CallContext, side: Side): string {
  const { from, to } = ctx.setup.call;
  const [own, other] = side === 'caller' ? [from, to] : [to, from];
  return ctx.plan.extensions.has(own) || !ctx.plan.extensions.has(other) ? own : other;
}

/**
 * The policy's answer to `party` dialling `dialled`, with the lock state, grants and calls abroad as
 * they are now; a call abroad it allows is counted against the limits while this call lasts.
 */
export function decideFor(ctx: CallContext, party: string, dialled: string): Decision {
  const { plan, services } = ctx;
  const now = services.now();
  const decision = decide(plan, callerState(services, plan, party, now), { from: party, to: dialled }, now);
  countCall(services, plan, ctx.session, party, dialled, decision, now);
  return decision;
}
