import type { Decision, Reason } from './decision.js';

const WHY: Record<Reason, string> = {
  'emergency-number': 'emergency numbers always connect, whatever the caller, lists or lock; Security Control is alerted',
  'emergency-line': 'calls from an emergency line (lift, refuge) always go to Security Control',
  internal: 'extension-to-extension call',
  inbound: 'call from outside to an extension',
  'unknown-extension': 'the dialled number is neither an extension nor a valid public number',
  'unknown-caller': 'the caller is not an extension of this site, so it may not break out',
  'invalid-number': 'the dialled string cannot be a real number',
  'deny-list': 'a deny-list entry blocks this number',
  'allow-list': 'an allow-list entry opens this number for the caller',
  'premium-barred': 'premium-rate numbers are barred (policy 1)',
  'chat-line-barred': 'chat and adult lines are barred (policy 1)',
  'directory-barred': 'paid directory enquiries are barred; use a free directory service (policy 1)',
  'international-not-granted': 'international calls need a grant for this user and country (policy 2)',
  'high-risk-not-granted': 'high-risk destinations need a grant naming the country or prefix (policy 2)',
  'international-granted': "the caller's grant covers this destination",
  'phone-locked': 'the desk phone is PIN-locked: enter the PIN, then the call is decided again',
  'pin-locked-out': 'PIN entry is locked out after too many wrong PINs; Security has been told',
  'class-of-service': "the caller's class of service includes this destination class",
  'class-not-permitted': "the caller's class of service does not include this destination class",
  'feature-code': "a feature code for the caller's own phone (lock, unlock, change PIN)",
  'fraud-limit': 'over a toll-fraud limit on calls abroad (calls an hour or a day, calls at once, minutes a day; lower out of hours)',
  'psap-callback': 'the emergency service calling back the number a phone without a DDI called it with: straight to that phone, then Security Control',
};

/** One plain sentence for people: the admin at `callguard check`, the monthly usage review. */
export function explain(decision: Decision): string {
  const where = decision.rule.where ? ` [${decision.rule.where}]` : '';
  return `${WHY[decision.reason]}${where}`;
}
