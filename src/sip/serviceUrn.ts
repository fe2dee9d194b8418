import type { Plan } from '../policy/plan.js';
import { uriUser, type UserPart } from './uri.js';

/**
 * RFC 5031's emergency service URN and its sub-services (`urn:service:sos`, `urn:service:sos.police`,
 * `urn:service:sos.ambulance`, ...). A device that knows it is placing an emergency call puts one in the
 * Request-URI instead of digits (RFC 6881 §9.2); URNs compare case-insensitively.
 */
const EMERGENCY_SERVICE_URN = /^urn:service:sos(?:\.[a-z0-9-]+)*$/i;

/** What was dialled: the user part of a `sip:`, `sips:` or `tel:` Request-URI, or for an emergency service URN the site's own emergency number. */
export function dialledNumber(plan: Plan, requestUri: string): UserPart & { serviceUrn?: string } {
  if (!EMERGENCY_SERVICE_URN.test(requestUri)) return uriUser(requestUri);
  // The plan lists the site's emergency numbers with its main one (999, 911) first.
  const [number] = plan.numbering.emergencyNumbers(plan.site.country);
  return number === undefined ? { ok: false, problem: 'unsupported-scheme' } : { ok: true, user: number, serviceUrn: requestUri };
}
