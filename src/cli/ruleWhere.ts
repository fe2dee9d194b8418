import type { Call } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import type { Plan } from '../policy/plan.js';

/**
 * The file:line an admin reads or edits for a decision, also for the rules that are no single line of
 * the plan: a call abroad without a grant or a locked phone points at the caller's grants (else the
 * caller's extension, whose user has none); a number that is not one, or a caller that is not an
 * extension, at the numbering table that classified the number (else the site's numbering plan).
 */
export function ruleWhere(plan: Plan, call: Call, decision: Decision): string | undefined {
  if (decision.rule.where) return decision.rule.where;
  const caller = plan.extensions.get(call.from);
  const destination = decision.destination;
  switch (decision.reason) {
    case 'international-not-granted':
    case 'high-risk-not-granted':
    case 'phone-locked':
    case 'pin-locked-out': {
      const grants = caller?.user === undefined ? undefined : plan.grants.get(caller.user);
      return grants?.[0]?.where ?? caller?.where;
    }
    default: {
      if (destination?.source.kind === 'table') return destination.source.rule;
      return plan.numbering.spec.plans.find((p) => p.sites.includes(plan.site.country))?.where;
    }
  }
}
