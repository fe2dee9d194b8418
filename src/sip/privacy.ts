import type { Plan } from '../policy/plan.js';

/** RFC 3323 §4.2 privacy values that hide who calls (`id` is RFC 3325's); `none`, `session` and `critical` do not. */
const HIDING = new Set(['id', 'user', 'header']);

/**
 * Whether the caller asked for its number to be withheld on this call: a `Privacy` header (a phone's
 * "anonymous call", a trunk delivering a withheld outside caller) or a withhold prefix dialled (UK 141,
 * NANP *67). Read only for calls that are placed: a barred call pays nothing for it. Emergency and
 * hotline calls never ask: their callers are always shown.
 */
export function callerIdWithheld(invite: { get(name: string): string | undefined }, plan: Plan, dialled: string): boolean {
  const privacy = invite.get('privacy');
  // priv-value *(";" priv-value); some send a comma list.
  if (privacy?.split(/[;,]/).some((value) => HIDING.has(value.trim().toLowerCase()))) return true;
  return plan.numbering.withholdsCallerId(plan.site, dialled);
}

/**
 * The B-leg identity of a withheld call (RFC 3323 §4.1.1.3): an anonymous From, and `Privacy: id` so
 * the trunk keeps the P-Asserted-Identity it needs (billing, 999 call-backs) from the called party.
 */
export const WITHHELD = { callingNumber: 'anonymous', callingName: 'Anonymous', headers: { From: '"Anonymous" <sip:anonymous@anonymous.invalid>', Privacy: 'id' } } as const;
