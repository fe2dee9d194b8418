import { createHash } from 'node:crypto';
import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import type { CallContext } from '../sip/context.js';
import { modifySession } from '../sip/renegotiation.js';
import { securityUri } from '../sip/routing.js';
import type { ConnectedCall, Side } from '../sip/session.js';
import type { CallMediaServer } from './mediaPool.js';
import { mediaStep } from './mediaStep.js';
import { ringSecurity, type SecurityRing } from './securityLeg.js';

export type JoinMode = 'listen' | 'talk';

/** Security on one emergency call, as the console shows it. */
export interface JoinState {
  callId: string;
  phase: 'calling' | 'joined' | 'left' | 'failed';
  mode: JoinMode;
  /** Why Security left or was not joined, in words. */
  note?: string | undefined;
  /** The officer who asked from the console; absent when the plan joins Security itself. */
  by?: string | undefined;
  at: string;
}

/** Where join states go: the console of every instance. */
export type ReportJoin = (state: JoinState) => void;

/**
 * Security Control joined to one emergency call through a FreeSWITCH conference. Security's phone is
 * rung with a FreeSWITCH endpoint's offer; once both it and the emergency call are answered, the
 * caller's and the trunk's media are moved into the conference with re-INVITEs (each towards an
 * endpoint of its own), Security muted in `listen` mode. When Security hangs up or FreeSWITCH fails,
 * re-INVITEs give the caller and the trunk each other's media again, directly. The emergency call never
 * waits for any of this: it is connected directly first, and a failure here only ends Security's part.
 */
export class SecurityJoin {
  private phase: JoinState['phase'] = 'calling';
  private ring: SecurityRing | undefined;
  private securityLeg: Srf.Dialog | undefined;
  private readonly endpoints: Mrf.Endpoint[] = [];
  /** Set once the first re-INVITE towards FreeSWITCH went out: leaving must then restore the direct media. */
  private moved: ConnectedCall | undefined;
  private readonly conference: string;

  constructor(
    private readonly ctx: CallContext,
    readonly mode: JoinMode,
    private readonly report: ReportJoin,
    private readonly by?: string,
  ) {
    this.conference = `emergency-${createHash('sha256').update(ctx.session.callId).digest('hex').slice(0, 16)}`;
  }

  /** Calling or joined: an officer asking again gets this one. */
  get active(): boolean {
    return this.phase === 'calling' || this.phase === 'joined';
  }

  get state(): JoinState {
    return this.stateOf(this.phase);
  }

  /** Runs the join to its end; never rejects. */
  async start(): Promise<void> {
    const { services, session } = this.ctx;
    if (!services.media.available) {
      services.logger.warn({ callId: session.callId, mode: this.mode }, 'Security not joined to the emergency call: no media server connected (FreeSWITCH down); Security has the alert only');
      this.finish('failed', 'FreeSWITCH down: alert only');
      return;
    }
    session.own(() => this.finish('left', 'the call ended'));
    this.report(this.state);
    services.logger.info({ callId: session.callId, mode: this.mode, by: this.by }, 'calling Security Control to join the emergency call');
    try {
      const server = services.media.serverFor(this.ctx);
      const security = await this.endpoint(server);
      if (!this.active) return;
      const leg = await this.callSecurity(security.local.sdp);
      if (!leg || !this.active) return;
      await mediaStep(security.modify(leg.remote.sdp), "Security's media");
      await mediaStep(security.join(this.conference, { profile: 'default', flags: { mute: this.mode === 'listen' } }), 'joining Security to the conference');
      if (this.active) session.whenConnected((call) => void this.moveIn(server, call));
    } catch (error) {
      this.fail(error);
    }
  }

  /** Rings Security Control, then each failover in turn, with the endpoint's offer. */
  private async callSecurity(sdp: string): Promise<Srf.Dialog | undefined> {
    const { plan, services, setup, session } = this.ctx;
    const { target, failover, answerTimeoutSeconds } = plan.site.securityControl;
    const location = plan.extensions.get(setup.call.from)?.location ?? '';
    const why: string[] = [];
    for (const each of [target, ...failover]) {
      this.ring = ringSecurity(services.srf, securityUri(plan, each), {
        sdp,
        callingNumber: setup.callerNumber,
        callingName: `EMERGENCY ${location}`.trim(),
        answerTimeoutMs: answerTimeoutSeconds * 1000,
      });
      const outcome = await this.ring.outcome;
      this.ring = undefined;
      if (outcome.kind === 'abandoned') return undefined;
      if (outcome.kind === 'answered') {
        this.securityLeg = outcome.dialog;
        outcome.dialog.on('destroy', () => this.leave('left', 'Security hung up'));
        services.logger.info({ callId: session.callId, target: each }, 'Security Control answered the call to join the emergency call');
        return outcome.dialog;
      }
      why.push(`${each} ${outcome.why}`);
    }
    services.logger.warn({ callId: session.callId, why }, 'Security Control did not answer the call to join the emergency call');
    this.finish('failed', `Security did not answer (${why.join('; ')})`);
    return undefined;
  }

  /** Both answered: the caller's and the trunk's media into the conference, each with a re-INVITE. */
  private async moveIn(server: CallMediaServer, call: ConnectedCall): Promise<void> {
    try {
      const [caller, callee] = await Promise.all([this.endpoint(server), this.endpoint(server)]);
      await mediaStep(Promise.all([caller.join(this.conference, { profile: 'default' }), callee.join(this.conference, { profile: 'default' })]), 'joining the call to the conference');
      for (const [side, endpoint] of [['caller', caller], ['callee', callee]] as const) {
        if (!this.active) return;
        this.moved = call;
        const answer = await modifySession(call[side], endpoint.local.sdp);
        await mediaStep(endpoint.modify(answer), `the ${side}'s media`);
        if (!this.active) return;
        call.renegotiateThrough(side, endpoint.dialog);
      }
      this.phase = 'joined';
      this.report(this.state);
      this.ctx.services.logger.info({ callId: this.ctx.session.callId, mode: this.mode }, 'Security Control joined to the emergency call');
    } catch (error) {
      this.fail(error);
    }
  }

  /** An endpoint on the call's media server (FreeSWITCH makes the offer); its end by FreeSWITCH is a failure. */
  private async endpoint(server: CallMediaServer): Promise<Mrf.Endpoint> {
    const making = server.createEndpoint();
    let endpoint: Mrf.Endpoint;
    try {
      endpoint = await mediaStep(making, 'making an endpoint');
    } catch (error) {
      // FreeSWITCH may still hand it over once the join has given up: then it is nobody's.
      making.then(release, () => undefined);
      throw error;
    }
    this.endpoints.push(endpoint);
    if (!this.active) release(endpoint);
    // drachtio-fsmrf emits 'destroy' only when FreeSWITCH ends the channel (or its event socket goes), not on our destroy().
    endpoint.on('destroy', () => this.leave('failed', 'FreeSWITCH failed'));
    return endpoint;
  }

  private fail(error: unknown): void {
    if (!this.active) return;
    const message = error instanceof Error ? error.message : String(error);
    this.ctx.services.logger.error({ callId: this.ctx.session.callId, err: message }, 'Security could not be joined to the emergency call: the call goes on directly');
    this.leave('failed', `FreeSWITCH failed: ${message}`);
  }

  /**
   * Security's part ends while the call goes on: the caller and the trunk get each other's media back
   * (the caller offered the trunk's last SDP, the trunk the caller's answer), then Security's leg and
   * the endpoints go. drachtio-srf sends one re-INVITE at a time per dialog, so these follow any
   * re-INVITE of the join still on its way.
   */
  private leave(phase: 'left' | 'failed', note: string): void {
    if (!this.active) return;
    const call = this.moved;
    const { logger } = this.ctx.services;
    const callId = this.ctx.session.callId;
    if (call && !this.ctx.session.ended) {
      for (const side of ['caller', 'callee'] as const satisfies readonly Side[]) call.renegotiateThrough(side, undefined);
      modifySession(call.caller, call.callee.remote.sdp)
        .then((answer) => modifySession(call.callee, answer))
        .then(
          () => logger.info({ callId }, 'emergency call back on direct media'),
          (error: Error) => logger.error({ callId, err: error.message }, 'emergency call media could not be restored directly'),
        );
    }
    if (phase === 'failed') logger.warn({ callId, why: note }, 'Security left the emergency call');
    else logger.info({ callId, why: note }, 'Security left the emergency call');
    this.finish(phase, note);
  }

  /** The end of Security's part: whatever is still up of it goes, and the console is told once. */
  private finish(phase: 'left' | 'failed', note: string): void {
    if (!this.active) return;
    this.phase = phase;
    this.ring?.abandon();
    if (this.securityLeg && stillUp(this.securityLeg)) this.securityLeg.destroy(undefined, () => {});
    for (const endpoint of this.endpoints.splice(0)) release(endpoint);
    this.report(this.stateOf(phase, note));
  }

  private stateOf(phase: JoinState['phase'], note?: string): JoinState {
    return { callId: this.ctx.session.callId, phase, mode: this.mode, note, by: this.by, at: new Date(this.ctx.services.now()).toISOString() };
  }
}

/** drachtio-srf clears `connected` when either side ends the dialog (it is missing from its typings). */
function stillUp(dialog: Srf.Dialog): boolean {
  return (dialog as Srf.Dialog & { connected?: boolean }).connected !== false;
}

/**
 * Hangs an endpoint up. drachtio-fsmrf does it through the event socket and FreeSWITCH's BYE; when
 * FreeSWITCH is gone it only forgets the endpoint, so its SIP leg is ended here (the BYE times out).
 */
function release(endpoint: Mrf.Endpoint): void {
  const leg = endpoint.dialog;
  endpoint.destroy().then(
    () => {
      if (leg && stillUp(leg)) leg.destroy(undefined, () => {});
    },
    () => {},
  );
}
