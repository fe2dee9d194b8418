import type { Call } from '../policy/decide.js';
import type { Decision } from '../policy/decision.js';
import { ABROAD, type CallerUsage } from '../policy/limits.js';
import type { LockState } from '../policy/phoneState.js';
import type { Plan } from '../policy/plan.js';
import { usageText } from './usageText.js';

/** How a call ended, as the monthly review names it. */
export const DISPOSITIONS = ['rejected', 'answered', 'busy', 'no-answer', 'cancelled', 'failed'] as const;
export type RecordDisposition = (typeof DISPOSITIONS)[number];

/**
 * One line of the call records: what the reports and the what-if replay read. Keys are short and in a
 * fixed order (the readers rely on neither, but the files stay small: about 350 bytes a call). Times
 * are ISO 8601 UTC with milliseconds; `dur` is whole seconds from answer to end (0 when unanswered).
 * Never a PIN: built field by field from the call setup, the decision and the session's events.
 */
export interface CallRecord {
  v: 1;
  /** SIP Call-ID of the caller's leg. */
  id: string;
  invite: string;
  answer?: string | undefined;
  end: string;
  dur: number;
  disp: RecordDisposition;
  /** Final SIP status the caller got (200 when answered). */
  status?: number | undefined;
  action: Decision['action'];
  class: string;
  reason: string;
  rule: string;
  where?: string | undefined;
  /** The caller's extension (or an outside caller's number), user and department at the time. */
  from: string;
  user?: string | undefined;
  dept?: string | undefined;
  /** What was dialled, and the destination it was classified as. */
  to: string;
  e164?: string | undefined;
  country?: string | undefined;
  /** The caller's phone lock as the decision saw it (the replay decides with the same). */
  lock?: LockState | undefined;
  /** A call abroad where the plan sets toll-fraud limits: the usage they met (usageText.ts), for the replay. Absent in older records. */
  use?: string | undefined;
  /** Security Control failover taken: the hotline target that answered, or `public-trunk` for 999. */
  failover?: string | undefined;
  /** The hotline or emergency call was not answered on any route. */
  unanswered?: true | undefined;
  /** Wrong PINs entered during this call (never the digits), and whether they locked PIN entry out. */
  pinFail?: number | undefined;
  pinLock?: true | undefined;
}

/** What the edge knows at decision time, kept until the call ends. */
export interface CallStart {
  callId: string;
  call: Call;
  decision: Decision;
  plan: Plan;
  lock: LockState;
  /** The caller's calls abroad so far, as the toll-fraud limits read them (absent: the plan sets none). */
  usage?: CallerUsage | undefined;
  /** Epoch ms of the decision (the INVITE's arrival, as the policy saw it). */
  at: number;
}

/** What happened after the decision. */
export interface CallOutcome {
  finalStatus?: number | undefined;
  answeredAt?: number | undefined;
  endedAt: number;
  disposition: 'rejected' | 'answered' | 'cancelled' | 'failed' | 'no-answer';
  failover?: string | undefined;
  unanswered?: boolean | undefined;
  pinFailures?: number | undefined;
  pinLockedOut?: boolean | undefined;
}

const BUSY = new Set([486, 600]);

/** A failed call whose callee said busy (486 Busy Here, 600 Busy Everywhere) is reported as busy. */
function disposition(outcome: CallOutcome): RecordDisposition {
  if (outcome.disposition === 'answered' && outcome.answeredAt === undefined) return 'failed';
  if (outcome.disposition !== 'answered' && outcome.finalStatus !== undefined && BUSY.has(outcome.finalStatus)) return 'busy';
  return outcome.disposition;
}

export function callRecord(start: CallStart, outcome: CallOutcome): CallRecord {
  const { call, decision } = start;
  const d = decision.destination;
  const caller = start.plan.extensions.get(call.from);
  const answered = outcome.answeredAt;
  return {
    v: 1,
    id: start.callId,
    invite: new Date(start.at).toISOString(),
    answer: answered === undefined ? undefined : new Date(answered).toISOString(),
    end: new Date(outcome.endedAt).toISOString(),
    dur: answered === undefined ? 0 : Math.max(0, Math.round((outcome.endedAt - answered) / 1000)),
    disp: disposition(outcome),
    status: outcome.finalStatus,
    action: decision.action,
    class: decision.class,
    reason: decision.reason,
    rule: decision.rule.id,
    where: decision.rule.where,
    from: call.from,
    user: caller?.user,
    dept: caller?.department,
    to: call.to,
    e164: d && d.class !== 'invalid' ? d.e164 : undefined,
    country: d && d.class !== 'invalid' ? d.country : undefined,
    lock: start.lock,
    use: start.usage && ABROAD.has(decision.class) ? usageText(start.usage) : undefined,
    failover: outcome.failover,
    unanswered: outcome.unanswered ? true : undefined,
    pinFail: outcome.pinFailures || undefined,
    pinLock: outcome.pinLockedOut ? true : undefined,
  };
}
