import type { Destination, PublicClass } from '../numbering/destination.js';
import type { Decision, EmergencyAlert, Reason, RuleRef } from './decision.js';
import { grantIsActive, type Grant } from './grant.js';
import { ABROAD, limitBreach } from './limits.js';
import { NO_HIT } from './listIndex.js';
import type { PhoneState } from './phoneState.js';
import type { Extension, Plan } from './plan.js';

/** A call setup as the policy sees it: who is calling and what they dialled. */
export interface Call {
  from: string;
  to: string;
  /** Forwarded by the PBX for `from` (Diversion, History-Info): nobody is at the phone to give a PIN. */
  forwarded?: boolean;
}

/** Classes barred by policy 1 for everyone; only an allow-list entry opens one of these numbers. */
const BARRED: Partial<Record<PublicClass, Reason>> = {
  premium: 'premium-barred',
  'chat-line': 'chat-line-barred',
  directory: 'directory-barred',
};


/** Policy allows the call so far; the PIN lock may still intervene. */
type Permit = { action: 'permit'; reason: Reason; rule: RuleRef };

/**
 * The policy core: pure and synchronous. Emergency numbers are decided before the caller,
 * the lists or the lock are even looked at, so nothing downstream can block them.
 */
export function decide(plan: Plan, phone: PhoneState, call: Call, now: number): Decision {
  const destination = plan.classify(call.to);
  const caller = plan.extensions.get(call.from);
  if (destination.class === 'emergency') return emergencyCall(plan, destination, caller);
  if (caller?.role.kind === 'emergency-line') {
    const { target, failover, answerTimeoutSeconds } = plan.site.securityControl;
    const rule = { id: 'emergency-line', where: caller.where };
    return { action: 'security', class: destination.class, destination, reason: 'emergency-line', rule, target, failover, answerTimeoutSeconds, location: caller.role.location };
  }

  const feature = caller && plan.site.featureCodes.get(call.to);
  if (feature) return { action: 'feature', class: 'internal', reason: 'feature-code', rule: { id: `feature:${feature}`, where: caller.where }, feature };

  const callee = plan.extensions.get(call.to);
  if (callee) {
    const recorded = caller?.recordedNotice ?? callee.recordedNotice;
    const reason = caller ? 'internal' : 'inbound';
    return { action: 'allow', class: 'internal', reason, rule: { id: reason, where: callee.where }, recording: recorded ? { notice: recorded, record: true } : undefined };
  }
  if (!caller) {
    return destination.class === 'invalid'
      ? reject(destination, 404, 'unknown-extension', { id: 'extension-directory' })
      : reject(destination, 403, 'unknown-caller', { id: 'extension-directory' });
  }
  if (destination.class === 'invalid') return reject(destination, 484, 'invalid-number', sourceRule('numbering', destination));

  const listed = plan.lists.find(destination, caller, now);
  if (listed !== NO_HIT && plan.lists.denies(listed)) return reject(destination, 403, 'deny-list', { id: 'deny-list', where: plan.lists.whereOf(listed) });
  const permit: Permit | Decision =
    listed !== NO_HIT
      ? { action: 'permit', reason: 'allow-list', rule: { id: 'allow-list', where: plan.lists.whereOf(listed) } }
      : permitByPolicy(plan, phone, caller, destination, now);
  if (permit.action !== 'permit') return permit;

  // Over a limit, a PIN prompt would only delay the refusal.
  const breach = ABROAD.has(destination.class) && plan.limits && phone.usage ? limitBreach(plan.limits, caller, destination.class === 'high-risk', phone.usage) : undefined;
  if (breach) return { action: 'reject', class: destination.class, destination, sipStatus: 403, reason: 'fraud-limit', rule: { id: `limit:${breach.limit}`, where: breach.where }, breach };

  if (ABROAD.has(destination.class) && isLockManaged(plan, phone, caller)) {
    if (phone.lock !== 'unlocked') {
      // A PIN prompt is pointless while PIN entry is locked out after repeated failures.
      if (phone.pinLockoutUntil !== undefined && now < phone.pinLockoutUntil) {
        return reject(destination, 403, 'pin-locked-out', { id: 'pin-lockout' });
      }
      if (call.forwarded) return reject(destination, 403, 'phone-locked', { id: `phone-${phone.lock}` });
      return { action: 'pin-required', class: destination.class, destination, reason: 'phone-locked', rule: { id: `phone-${phone.lock}` } };
    }
  }
  const notice = caller.recordedNotice;
  return { action: 'allow', class: destination.class, destination, reason: permit.reason, rule: permit.rule, recording: notice ? { notice, record: true } : undefined };
}

function permitByPolicy(plan: Plan, phone: PhoneState, caller: Extension, destination: Destination, now: number): Permit | Decision {
  const cls = destination.class as PublicClass;
  const barred = BARRED[cls];
  if (barred) return reject(destination, 403, barred, sourceRule(`barred:${cls}`, destination));
  if (ABROAD.has(cls)) {
    const grant = findGrant(plan, phone, caller, destination, now);
    const highRisk = cls === 'high-risk';
    if (!grant) return reject(destination, 403, highRisk ? 'high-risk-not-granted' : 'international-not-granted', sourceRule(highRisk ? 'high-risk' : 'international', destination));
    return { action: 'permit', reason: 'international-granted', rule: { id: `grant:${grant.id}`, where: grant.where } };
  }
  const cos = caller.classOfService;
  if (!cos.allow.has(cls)) return reject(destination, 403, 'class-not-permitted', { id: `class:${cos.name}`, where: cos.where });
  return { action: 'permit', reason: 'class-of-service', rule: { id: `class:${cos.name}`, where: cos.where } };
}

/** High-risk destinations need the country or prefix named; worldwide covers only the rest. */
function grantCovers(grant: Grant, destination: Destination): boolean {
  if (destination.class === 'invalid') return false;
  const named = (destination.country !== undefined && grant.countries.has(destination.country)) ||
    (destination.e164 !== undefined && grant.prefixes.some((p) => destination.e164!.startsWith(p, 1)));
  return named || (grant.worldwide && destination.class === 'international');
}

function findGrant(plan: Plan, phone: PhoneState, caller: Extension, destination: Destination, now: number): Grant | undefined {
  const fromPlan = caller.user === undefined ? undefined : plan.grants.get(caller.user);
  for (const grants of [fromPlan ?? [], phone.grants]) {
    for (const grant of grants) if (grantIsActive(grant, now) && grantCovers(grant, destination)) return grant;
  }
  return undefined;
}

/** Desk phones of users who may call abroad are PIN-locked (policy 2). */
function isLockManaged(plan: Plan, phone: PhoneState, caller: Extension): boolean {
  return phone.grants.length > 0 || (caller.user !== undefined && plan.grants.has(caller.user));
}

function emergencyCall(plan: Plan, destination: Destination, caller: Extension | undefined): Decision {
  return {
    action: 'emergency',
    class: 'emergency',
    destination,
    reason: 'emergency-number',
    rule: sourceRule('emergency', destination),
    trunk: plan.site.emergencyTrunk,
    alert: emergencyAlert(plan, caller),
  };
}

/** Who the emergency service and Security are told of: the caller's callback number and location. */
export function emergencyAlert(plan: Plan, caller: Extension | undefined): EmergencyAlert {
  return {
    // The PSAP calls back the DDI, else a callback number of the site's (leading back to this phone for a
    // while), else for an unknown caller the switchboard: always a number of ours, never what a From says.
    callback: caller?.ddi ?? (caller ? plan.site.emergency.callbackNumbers[0]! : plan.site.mainNumber),
    pooled: caller !== undefined && caller.ddi === undefined,
    location: caller?.role.kind === 'emergency-line' ? caller.role.location : caller?.location,
    address: caller?.address ?? plan.site.address,
  };
}

function sourceRule(id: string, destination: Destination): RuleRef {
  return { id, where: destination.source.kind === 'table' ? destination.source.rule : undefined };
}

function reject(destination: Destination, sipStatus: 403 | 404 | 484, reason: Reason, rule: RuleRef): Decision {
  return { action: 'reject', class: destination.class, destination, sipStatus, reason, rule };
}
