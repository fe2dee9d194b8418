import type { CallContext } from './context.js';
import { decideFor, partyOf } from './onBehalf.js';
import { allowedTarget, reasonHeader } from './routing.js';
import type { DialOptions, LegOutcome } from './session.js';
import { handleRefer } from './transfer.js';
import { uriUser } from './uri.js';

/** Redirect hops followed for one call; a loop of 3xx answers ends there. */
const MAX_REDIRECTS = 3;

/** `refused`: a redirect the policy refused, `diverted`: one carried out as an emergency call. */
export type ConnectResult = { kind: 'connected' } | { kind: 'refused' } | { kind: 'diverted' } | Exclude<LegOutcome, { kind: 'answered' }>;

/**
 * Dials `uri` and, on answer, bridges the caller to it. A 3xx is not followed blindly: its Contact is
 * decided as a call from the redirecting party and, when allowed, placed through our own routes (never
 * to the host the redirect names); when refused the caller gets 403 with the reason. With `redirects`
 * 'fail' (an emergency trunk) a 3xx is that route failing, for the caller to try the next.
 */
export async function connectTo(ctx: CallContext, uri: string, options: DialOptions, redirects: 'follow' | 'fail' = 'follow'): Promise<ConnectResult> {
  let outcome = await ctx.session.dial(uri, options);
  const hops = redirects === 'follow' ? MAX_REDIRECTS : 0;
  for (let hop = 0; hop < hops && outcome.kind === 'failed' && outcome.status >= 300 && outcome.status < 400; hop++) {
    const next = outcome.contact ? uriUser(outcome.contact) : undefined;
    if (!next?.ok) break;
    const party = partyOf(ctx, 'callee');
    const decision = decideFor(ctx, party, next.user);
    ctx.services.logger.info({ callId: ctx.session.callId, party, redirectTo: next.user, action: decision.action, reason: decision.reason }, 'redirect decided');
    if (decision.action === 'emergency') {
      // Emergency numbers are never refused, whoever redirects to them.
      await ctx.divert(decision, { ...ctx.setup, call: { from: party, to: next.user } });
      return { kind: 'diverted' };
    }
    if (decision.action !== 'allow') {
      ctx.session.respond(403, reasonHeader(403, decision.reason));
      return { kind: 'refused' };
    }
    const target = allowedTarget(ctx.plan, decision, { ...ctx.setup, call: { from: party, to: next.user } });
    outcome = await ctx.session.dial(target.uri, { ...options, headers: { ...options.headers, ...target.headers } });
  }
  if (outcome.kind !== 'answered') return outcome;
  const bridged = await ctx.session.bridge(outcome, { onRefer: (side, req, res, dialogs) => handleRefer(ctx, side, req, res, dialogs), reoffer: options.reoffer });
  return bridged ? { kind: 'connected' } : { kind: 'caller-gone' };
}

/** Tells the caller how the last leg ended, when nothing else will be tried. */
export function answerFailure(ctx: CallContext, result: ConnectResult): void {
  if (result.kind === 'failed') ctx.session.respond(failureForCaller(result.status), result.headers, 'failed');
  else if (result.kind === 'no-answer') ctx.session.respond(480, {}, 'no-answer');
}

/**
 * A leg's failure as the caller gets it: a redirect not followed is 480; a challenge (401, 407) is
 * callguard's to answer, not the caller's, and callguard holds no credentials: 500; any other status
 * as it came.
 */
function failureForCaller(status: number): number {
  if (status >= 300 && status < 400) return 480;
  return status === 401 || status === 407 ? 500 : status;
}
