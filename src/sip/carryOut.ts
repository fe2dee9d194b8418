import type { Decision } from '../policy/decision.js';
import { allowCall } from './actions/allow.js';
import { featureCall } from './actions/feature.js';
import { emergencyCall } from './actions/emergency.js';
import { pinRequiredCall } from './actions/pinRequired.js';
import { psapCallbackCall } from './actions/psapCallback.js';
import { rejectCall } from './actions/reject.js';
import { securityCall } from './actions/security.js';
import type { CallContext } from './context.js';

/** The one place a decision becomes an action on the wire. */
export async function carryOut(call: Omit<CallContext, 'divert'>): Promise<void> {
  const ctx: CallContext = { ...call, divert: (decision, setup) => carryOut({ ...call, decision, setup }) };
  const decision: Decision = ctx.decision;
  switch (decision.action) {
    case 'reject':
      return rejectCall({ ...ctx, decision });
    case 'allow':
      return allowCall({ ...ctx, decision });
    case 'emergency':
      return emergencyCall({ ...ctx, decision });
    case 'security':
      return securityCall({ ...ctx, decision });
    case 'pin-required':
      return pinRequiredCall({ ...ctx, decision });
    case 'feature':
      return featureCall({ ...ctx, decision });
    case 'psap-callback':
      return psapCallbackCall({ ...ctx, decision });
    default:
      return unreachable(decision);
  }
}

function unreachable(decision: never): never {
  throw new Error(`no action for decision ${JSON.stringify(decision)}`);
}
