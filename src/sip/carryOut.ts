import type { Decision } from '../policy/decision.js';
import { allowCall } from './actions/allow.js';
import { featureCall } from './actions/feature.js';
import { emergencyCall } from './actions/emergency.js';
import { pinRequiredCall } from './actions/pinRequired.js';
import { psapCallbackCall } from './actions/psapCallback.js';
import { rejectCall } from './actions/reject.js';
import { securityCall } from './actions/security.js';
import type { CallContext } from './context.js';

type CallStep = Omit<CallContext, 'divert'>;

/** The one place a decision becomes an action on the wire. */
export function carryOut(call: CallStep): Promise<void> {
  const { decision } = call;
  switch (decision.action) {
    case 'reject':
      return rejectCall(contextOf(call, decision));
    case 'allow':
      return allowCall(contextOf(call, decision));
    case 'emergency':
      return emergencyCall(contextOf(call, decision));
    case 'security':
      return securityCall(contextOf(call, decision));
    case 'pin-required':
      return pinRequiredCall(contextOf(call, decision));
    case 'feature':
      return featureCall(contextOf(call, decision));
    case 'psap-callback':
      return psapCallbackCall(contextOf(call, decision));
    default:
      return unreachable(decision);
  }
}

/**
 * The action's context, written out rather than spread: in Node 20 `{ ...fresh, more }` takes V8's
 * slow path, microseconds on every call.
 */
function contextOf<D extends Decision>(call: CallStep, decision: D): CallContext<D> {
  const { session, setup, plan, services } = call;
  return { session, setup, decision, plan, services, divert: (next, nextSetup) => carryOut({ session, setup: nextSetup, decision: next, plan, services }) };
}

function unreachable(decision: never): never {
  throw new Error(`no action for decision ${JSON.stringify(decision)}`);
}
