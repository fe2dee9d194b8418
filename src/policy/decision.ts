import type { Destination, DestinationClass } from '../numbering/destination.js';

/** The rule that produced a decision: a stable id and, for admin rules, the "file:line" it lives at. */
export interface RuleRef {
  id: string;
  where?: string | undefined;
}

/** Stable machine-readable reasons, for the audit log and the monthly usage review. */
export type Reason =
  | 'emergency-number'
  | 'emergency-line'
  | 'internal'
  | 'inbound'
  | 'unknown-extension'
  | 'unknown-caller'
  | 'invalid-number'
  | 'deny-list'
  | 'allow-list'
  | 'premium-barred'
  | 'chat-line-barred'
  | 'directory-barred'
  | 'international-not-granted'
  | 'high-risk-not-granted'
  | 'international-granted'
  | 'phone-locked'
  | 'pin-locked-out'
  | 'class-of-service'
  | 'class-not-permitted';

interface Common {
  class: DestinationClass;
  reason: Reason;
  rule: RuleRef;
  destination?: Destination | undefined;
}

export type RejectStatus = 403 | 404 | 484;

export interface Recording {
  notice: string;
  record: true;
}

export type Decision =
  | (Common & { action: 'allow'; recording?: Recording | undefined })
  | (Common & { action: 'reject'; sipStatus: RejectStatus })
  | (Common & { action: 'emergency'; trunk: string; alert: { callback: string; location?: string | undefined } })
  | (Common & { action: 'security'; target: string; failover: readonly string[]; answerTimeoutSeconds: number; location?: string | undefined })
  | (Common & { action: 'pin-required' });

export type Action = Decision['action'];
