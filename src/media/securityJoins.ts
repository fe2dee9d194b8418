import type { CallContext } from '../sip/context.js';
import { SecurityJoin, type JoinMode, type JoinState, type ReportJoin } from './securityJoin.js';

interface LiveEmergency {
  ctx: CallContext;
  join: SecurityJoin | undefined;
}

/**
 * The emergency calls in progress on this instance and Security's part in each: joined when the plan
 * says `listen` or `talk`, or when an officer asks from the console.
 */
export class SecurityJoins {
  private readonly calls = new Map<string, LiveEmergency>();

  constructor(private readonly report: ReportJoin) {}

  /** An emergency call has gone out. Never throws and returns at once: the call does not wait for Security. */
  emergency(ctx: CallContext): void {
    try {
      const entry: LiveEmergency = { ctx, join: undefined };
      const { callId } = ctx.session;
      this.calls.set(callId, entry);
      ctx.session.own(() => {
        if (this.calls.get(callId) === entry) this.calls.delete(callId);
      });
      const mode = ctx.plan.site.security.joinEmergency;
      if (mode !== 'notify') this.begin(entry, mode);
    } catch (error) {
      ctx.services.logger.error({ callId: ctx.session.callId, err: (error as Error).message }, 'Security could not be joined to the emergency call');
    }
  }

  /**
   * An officer asks to be called into a live emergency call: Security Control's phone is rung and
   * joined (`mode`, else the plan's, else talk). Undefined when the call is not on this instance; the
   * current state when Security is already being called or on the call.
   */
  request(callId: string, by: string, mode?: JoinMode): JoinState | undefined {
    const entry = this.calls.get(callId);
    if (!entry || entry.ctx.session.ended) return undefined;
    if (entry.join?.active) return entry.join.state;
    const planned = entry.ctx.plan.site.security.joinEmergency;
    return this.begin(entry, mode ?? (planned === 'notify' ? 'talk' : planned), by).state;
  }

  private begin(entry: LiveEmergency, mode: JoinMode, by?: string): SecurityJoin {
    const join = new SecurityJoin(entry.ctx, mode, this.report, by);
    entry.join = join;
    void join.start();
    return join;
  }
}
