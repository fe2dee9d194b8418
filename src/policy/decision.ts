import type { Destination, DestinationClass } from '../numbering/destination.js';
import type { Breach } from './limits.js';
import type { CivicAddress } from './plan.js';
import type { CallbackHold } from './psapCallback.js';

/** The rule that produced a decision: a stable id and, for admin rules, the "file:line" it lives at. */
export interface RuleRef {
  id: string;
  where?: string | undefined;
}

/** Stable machine-readable reasons, for the audit log and the monthly usage review. */
export const REASONS = [
  'emergency-number',
  'emergency-line',
  'internal',
  'inbound',
  'unknown-extension',
  'unknown-caller',
  'invalid-number',
  'deny-list',
  'allow-list',
  'premium-barred',
  'chat-line-barred',
  'directory-barred',
  'international-not-granted',
  'high-risk-not-granted',
  'international-granted',
  'phone-locked',
  'pin-locked-out',
  'class-of-service',
  'class-not-permitted',
  'feature-code',
  'fraud-limit',
  'psap-callback',
] as const;

export type Reason = (typeof REASONS)[number];

interface Common {
  class: DestinationClass;
  reason: Reason;
  rule: RuleRef;
  destination?: Destination | undefined;
}

/** What the PSAP and Security Control are told: callback number, the caller's location and civic address. */
export interface EmergencyAlert {
  callback: string;
  /**
   * An extension without a DDI: its callback is taken from `site.emergency.callbackNumbers` when the call
   * is placed (`callback` is then the first of them, what a dry run shows).
   */
  pooled: boolean;
  location?: string | undefined;
  address: CivicAddress;
}

export type RejectStatus = 403 | 404 | 484;

export interface Recording {
  notice: string;
  record: true;
}

export type Decision =
  | (Common & { action: 'allow'; recording?: Recording | undefined })
  | (Common & { action: 'reject'; sipStatus: RejectStatus; breach?: Breach | undefined })
  | (Common & { action: 'emergency'; trunk: string; alert: EmergencyAlert })
  | (Common & { action: 'security'; target: string; failover: readonly string[]; answerTimeoutSeconds: number; location?: string | undefined })
  | (Common & { action: 'pin-required' })
  | (Common & { action: 'feature'; feature: Feature })
  /** The emergency service calling back a number held for `hold.ext`: ring it for `ringSeconds`, then Security Control. */
  | (Common & { action: 'psap-callback'; hold: CallbackHold; ringSeconds: number });

/** What a feature code asks of the caller's own phone. */
export type Feature = 'lock' | 'unlock' | 'change-pin';

export type Action = Decision['action'];
