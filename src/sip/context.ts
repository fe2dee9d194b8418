import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { AlertDispatcher } from '../audit/alertDispatcher.js';
import type { Metrics } from '../audit/metrics.js';
import type { FraudAlerts } from '../limits/fraudAlerts.js';
import type { UsageLedger } from '../limits/usageLedger.js';
import type { MediaGateway } from '../media/gateway.js';
import type { SecurityJoins } from '../media/securityJoins.js';
import type { CallRecorder } from '../oversight/callRecords.js';
import type { Decision } from '../policy/decision.js';
import type { Plan } from '../policy/plan.js';
import type { RuntimeState } from '../state/index.js';
import type { CallSetup, TrustedSources } from './callSetup.js';
import type { CallSession } from './session.js';

/** What the SIP edge works with; built once by the server. */
export interface EdgeServices {
  srf: Srf;
  /** The plan in force; each call keeps the snapshot it started with. */
  plan(): Plan;
  state: RuntimeState;
  alerts: AlertDispatcher;
  media: MediaGateway;
  logger: Logger;
  metrics: Metrics;
  trusted: TrustedSources;
  draining(): boolean;
  now(): number;
  /** One call record per call, written off the call's path (absent: none kept). */
  callRecords?: CallRecorder | undefined;
  /** Calls abroad per user for the toll-fraud limits, and the FRAUD alerts (absent: no limits applied). */
  usage?: UsageLedger | undefined;
  fraudAlerts?: FraudAlerts | undefined;
  /** RFC 4028 Session-Expires offered on every leg, in seconds (absent: no session timers). */
  sessionTimerSeconds?: number | undefined;
  /** Security Control joined to emergency calls (absent: alerted only). */
  securityJoins?: SecurityJoins | undefined;
}

/** One call as an action sees it: the decision, narrowed to its action, and everything to carry it out. */
export interface CallContext<D extends Decision = Decision> {
  session: CallSession;
  setup: CallSetup;
  decision: D;
  plan: Plan;
  services: EdgeServices;
  /**
   * Carries out another decision on this same call: a redirect to an emergency number becomes an
   * emergency call in full (trunk, location, alert) rather than a refusal.
   */
  divert(decision: Decision, setup: CallSetup): Promise<void>;
}

export type DecisionOf<A extends Decision['action']> = Extract<Decision, { action: A }>;
