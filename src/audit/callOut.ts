import type { Logger } from 'pino';
import type { Plan } from '../policy/plan.js';
import type { SecurityAlert } from './securityAlert.js';

/** How one phone call to a responder ended. */
export type CallOutAttempt =
  /** The responder pressed 1; `at` is when (ms since the epoch). */
  | { kind: 'acknowledged'; at: number }
  /** Answered, heard the message, hung up without pressing 1. */
  | { kind: 'hung-up' }
  /** Answered, heard the message every time it was repeated, never pressed 1 (an answering machine, as a rule). */
  | { kind: 'unacknowledged' }
  /** Rang out, busy, refused: the responder's phone did not take the call. */
  | { kind: 'unanswered'; why: string }
  /** Our side: no media server, an endpoint it could not make, drachtio-server unreachable, shutting down. */
  | { kind: 'failed'; why: string };

/** What `callguard_callout_calls_total` counts per responder and emergency: the last attempt's kind. */
export type CallOutOutcome = CallOutAttempt['kind'];

/** The spoken message of one emergency, shared by its calls, removed when they are done. */
export interface CallOutMessage {
  /** What FreeSWITCH plays: the rendered WAV, or a tone when it could not be rendered. */
  file: string;
  release(): Promise<void>;
}

export interface PhoneCall {
  /** As listed in site.security.callOut: an extension, an E.164 number or a SIP URI. */
  responder: string;
  alert: SecurityAlert;
  /** Rendered while the phone rings; awaited only once it is answered. */
  message: Promise<CallOutMessage>;
  /** Aborted at shutdown: a ringing call is cancelled, an answered one hung up. */
  signal: AbortSignal;
}

/** Places one call to one responder and says how it ended; never rejects. */
export type PhoneResponder = (call: PhoneCall) => Promise<CallOutAttempt>;

export interface CallOutOptions {
  plan: () => Plan;
  phone: PhoneResponder;
  /** Renders the message for an alert; never rejects (a tone stands in for speech that could not be rendered). */
  message: (alert: SecurityAlert) => Promise<CallOutMessage>;
  /** Raises the follow-up alerts: an acknowledgement, or no responder acknowledging. */
  raise: (alert: SecurityAlert) => void;
  logger: Logger;
  outcome: (outcome: CallOutOutcome) => void;
  /** Pauses before the second and later attempts on a responder whose phone did not take the call. */
  retryDelaysMs?: readonly number[];
}

/** Three attempts per responder whose phone did not take the call: now, after 5 s, after another 20 s. */
const RETRY_DELAYS_MS = [5_000, 20_000];
/** Emergencies whose call-out has started, so that their follow-up alerts start none: about a day's worth at the busiest. */
const REMEMBERED = 1_000;

/**
 * site.security.callOut: on every emergency call, each listed responder is phoned at once, all in
 * parallel, and hears the spoken message repeated until they press 1 or hang up. A phone that does not
 * take the call (no answer, busy, no media server) is tried again a bounded number of times with back-off.
 * Each acknowledgement is raised as a follow-up alert (on the console's card, the MESSAGE, the stream,
 * the e-mail); so is a call-out that no responder acknowledged. It is a follower of the alert dispatcher:
 * started as the alert is raised, never awaited by the call.
 */
export class CallOut {
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly started = new Set<string>();
  private closed = false;

  constructor(private readonly options: CallOutOptions) {}

  /** The dispatcher's follower: an emergency alert starts the call-out, once per call. */
  readonly follow = (alert: SecurityAlert): void => {
    const responders = this.options.plan().site.security.callOut;
    if (this.closed || alert.kind !== 'emergency' || responders.length === 0) return;
    const key = alert.callId || `${alert.ext}|${alert.at}`;
    if (this.started.has(key)) return;
    this.started.add(key);
    if (this.started.size > REMEMBERED) this.started.delete(this.started.values().next().value!);
    const abort = new AbortController();
    const done = this.run(alert, responders, abort.signal).finally(() => this.running.delete(key));
    this.running.set(key, { abort, done });
  };

  /** Shutdown: ringing calls are cancelled, answered ones hung up, pending retries dropped. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { abort } of this.running.values()) abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
  }

  private async run(alert: SecurityAlert, responders: readonly string[], signal: AbortSignal): Promise<void> {
    const { logger } = this.options;
    const message = this.options.message(alert);
    logger.info({ callId: alert.callId, responders }, 'call-out: phoning the responders');
    try {
      const outcomes = await Promise.all(responders.map((responder) => this.callOne({ responder, alert, message, signal })));
      if (signal.aborted || outcomes.some((o) => o.kind === 'acknowledged')) return;
      const summary = responders.map((responder, i) => `${responder} ${said(outcomes[i]!)}`).join('; ');
      this.options.raise({ ...alert, callOutAck: undefined, note: `call-out failed: no responder acknowledged (${summary})` });
    } catch (error) {
      logger.error({ callId: alert.callId, err: (error as Error).message }, 'call-out stopped by an error');
    } finally {
      await (await message).release();
    }
  }

  /** One responder: attempts until one is answered or the bound is reached; the outcome counted and, for a 1, raised. */
  private async callOne(call: PhoneCall): Promise<CallOutAttempt> {
    const { logger } = this.options;
    const delays = this.options.retryDelaysMs ?? RETRY_DELAYS_MS;
    let attempt: CallOutAttempt;
    for (let tried = 0; ; tried++) {
      attempt = await this.options.phone(call);
      const fields = { callId: call.alert.callId, responder: call.responder, attempt: tried + 1, outcome: attempt.kind, why: 'why' in attempt ? attempt.why : undefined };
      const retryIn = delays[tried];
      const retry = (attempt.kind === 'unanswered' || attempt.kind === 'failed') && retryIn !== undefined && !call.signal.aborted;
      if (!retry) {
        logger[attempt.kind === 'acknowledged' ? 'info' : 'warn'](fields, `call-out: ${call.responder} ${said(attempt)}`);
        break;
      }
      logger.warn({ ...fields, retryInMs: retryIn }, `call-out: ${call.responder} ${said(attempt)}; trying again`);
      await pause(retryIn, call.signal);
      if (call.signal.aborted) break;
    }
    this.options.outcome(attempt.kind);
    if (attempt.kind === 'acknowledged') {
      this.options.raise({ ...call.alert, note: undefined, callOutAck: { by: call.responder, at: new Date(attempt.at).toISOString() } });
    }
    return attempt;
  }
}

function said(attempt: CallOutAttempt): string {
  switch (attempt.kind) {
    case 'acknowledged':
      return 'acknowledged';
    case 'hung-up':
      return 'hung up without acknowledging';
    case 'unacknowledged':
      return 'answered but never pressed 1';
    case 'unanswered':
      return `not answered (${attempt.why})`;
    case 'failed':
      return `could not be phoned (${attempt.why})`;
  }
}

/** Resolves after `ms`, or at once when `signal` aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done);
  });
}
