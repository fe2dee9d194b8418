import type { Decision } from '../policy/decision.js';
import type { Plan } from '../policy/plan.js';
import type { CallSetup } from './callSetup.js';
import { WITHHELD } from './privacy.js';
import type { DialOptions } from './session.js';
import { routeTo } from './uri.js';

/** Where an allowed call goes: extensions through the PBX, public numbers through the trunk. */
export function allowedTarget(plan: Plan, decision: Extract<Decision, { action: 'allow' }>, setup: CallSetup): { uri: string; headers: Record<string, string> } {
  const { routes } = plan.site;
  if (decision.class === 'internal') return { uri: routeTo(routes.internal, setup.call.to), headers: {} };
  const d = decision.destination;
  const number = (d && d.class !== 'invalid' && (d.e164 ?? d.shortCode)) || setup.call.to;
  return { uri: routeTo(routes.external, number), headers: { 'P-Asserted-Identity': `<tel:${callbackNumber(plan, setup.call.from)}>` } };
}

/** Longest a permitted call may ring before we give up on it (the PBX usually ends it sooner). */
const RING_TIMEOUT_MS = 180_000;
/** A next hop that has not even rung by then is treated as down (RFC 3261 Timer B). */
const PROGRESS_TIMEOUT_MS = 32_000;

/**
 * The outbound leg of an allowed call: where it goes, with the caller's identity (anonymous when
 * `withheld`, the P-Asserted-Identity still there for the trunk) and the leg's timeouts.
 */
export function allowedLeg(plan: Plan, decision: Extract<Decision, { action: 'allow' }>, setup: CallSetup, withheld: boolean): { uri: string; options: Omit<DialOptions, 'body' | 'progress'> } {
  const target = allowedTarget(plan, decision, setup);
  const headers = setup.replaces ? { ...target.headers, Replaces: setup.replaces.header, ...(setup.replaces.required ? { Require: 'replaces' } : {}) } : target.headers;
  const identity = withheld
    ? { headers: { ...headers, ...WITHHELD.headers }, callingNumber: WITHHELD.callingNumber, callingName: WITHHELD.callingName }
    : { headers, callingNumber: setup.callerNumber, callingName: setup.callerName };
  return { uri: target.uri, options: { ...identity, answerTimeoutMs: RING_TIMEOUT_MS, progressTimeoutMs: PROGRESS_TIMEOUT_MS } };
}

/** The number the public network sees and calls back: the extension's DDI, else the main number. */
export function callbackNumber(plan: Plan, ext: string): string {
  return plan.extensions.get(ext)?.ddi ?? plan.site.mainNumber;
}

/** Security Control and its failovers: an extension via the PBX, an E.164 number via the trunk, a SIP URI as written. */
export function securityUri(plan: Plan, target: string): string {
  if (/^sips?:/.test(target)) return target;
  return routeTo(target.startsWith('+') ? plan.site.routes.external : plan.site.routes.internal, target);
}

/** RFC 3326 Reason with the Q.850 cause that matches the SIP status (RFC 3398 mapping). */
const Q850_CAUSE: Record<number, number> = { 403: 21, 404: 1, 484: 28, 488: 65, 503: 41 };

export function reasonHeader(status: number, reason: string): Record<string, string> {
  return { Reason: `Q.850;cause=${Q850_CAUSE[status] ?? 31};text="${reason}"` };
}
