import type { Plan } from '../policy/plan.js';
import type { SecurityAlert } from './securityAlert.js';

/**
 * A PIN-LOCKOUT alert about a phone's PIN lock (a lockout, a phone that could not be locked again): whose
 * phone, its callback number and location from the plan.
 */
export function phonePinAlert(plan: Plan, ext: string, at: number, note: string, about: { location?: string | undefined; dialled?: string; callId?: string } = {}): SecurityAlert {
  const extension = plan.extensions.get(ext);
  return {
    kind: 'pin-lockout',
    ext,
    name: extension?.name,
    dialled: about.dialled ?? '',
    callback: extension?.ddi ?? ext,
    location: about.location ?? extension?.location ?? '',
    at: new Date(at).toISOString(),
    callId: about.callId ?? '',
    note,
  };
}
