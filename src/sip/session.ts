import type Srf from 'drachtio-srf';
import { infoDigits } from './infoDigits.js';
import { hopsLeft } from './maxForwards.js';
import { placeOfferless } from './offerlessLeg.js';
import { createUac, outgoingInvite } from './outgoingInvite.js';
import { passInDialog } from './passInDialog.js';
import { CallerProgress, NO_PRACK, progressMode } from './reliableProgress.js';
import { answerCallerEarlyUpdate, answerEarlyUpdate, passReInvite, passUpdate, type EarlyUpdates } from './renegotiation.js';
import { sdpOf, sdpOfMessage } from './sdpOffer.js';
import { longerSessionExpires, offerHeaders, timerAnswerHeaders } from './sessionTimer.js';
import { neededHeaders, sendableStatus } from './sipStatus.js';
import { safely } from './teardown.js';
import { parsedNameAddr } from './uri.js';

type Dialog = Srf.Dialog;

/**
 * An answered outbound leg. `ackWith` is there when the leg was placed without an offer (the caller
 * made none): the far end offered in its 2xx, and its ACK waits for the caller's answer.
 */
export interface AnsweredLeg {
  dialog: Dialog;
  ackWith?: ((answer: string | undefined) => void) | undefined;
}

/** How one outbound leg ended. */
export type LegOutcome =
  | ({ kind: 'answered' } & AnsweredLeg)
  /** `contact`: the URI a 3xx redirects to; `headers`: those its status needs, as the far end sent them. */
  | { kind: 'failed'; status: number; contact?: string | undefined; headers?: Record<string, string> | undefined }
  /** `rang`: false when the far end never even rang within `progressTimeoutMs` (it may not have had the INVITE at all). */
  | { kind: 'no-answer'; rang: boolean }
  | { kind: 'caller-gone' };

export interface DialOptions {
  headers?: Record<string, string>;
  /** The B-leg's body; the caller's SDP when absent. */
  body?: string;
  callingNumber: string;
  callingName?: string | undefined;
  /** CANCEL when there is no answer by then. */
  answerTimeoutMs: number;
  /** CANCEL when the far end has not even rung by then (a dead trunk), well before Timer B. */
  progressTimeoutMs?: number;
  /**
   * What the caller is told while the leg rings: `early-media` passes 183 with its SDP, `ringing` a
   * bare 180, `none` nothing (the caller already hears our own media).
   */
  progress?: 'early-media' | 'ringing' | 'none';
  /** How the caller's later offers (re-INVITE, UPDATE) are put to this leg once connected; as they come when absent. */
  reoffer?: (offer: string) => string;
}

/** Which side of a bridged call a request came from: the caller's (A) or the callee's (B). */
export type Side = 'caller' | 'callee';

export interface BridgeOptions {
  onRefer?(side: Side, req: Srf.SrfRequest, res: Srf.SrfResponse, dialogs: { requester: Dialog; other: Dialog }): void;
  /** Answer the caller with this SDP instead of the callee's (the call runs through the media server). */
  answerSdp?: string;
  /** Further dialogs (media server legs) that live and die with the call. */
  alsoEnd?: Dialog[];
  /** Through the media server, each side renegotiates (hold, codec change) with its own media leg. */
  mediaLegs?: { caller: Dialog; callee: Dialog };
  /** How the caller's offers are put to the callee itself (not to a media leg); as they come when absent. */
  reoffer?: (offer: string) => string;
}

/**
 * A connected call's two dialogs, for moving its media elsewhere (Security joined to an emergency
 * call): while it runs through a media server, each side's own re-INVITEs go to its media leg there.
 */
export interface ConnectedCall {
  caller: Dialog;
  callee: Dialog;
  /** Where `side`'s re-INVITEs (hold, codec change) go from now on; undefined: the other side, as bridged. */
  renegotiateThrough(side: Side, dialog: Dialog | undefined): void;
}

export type Disposition = 'rejected' | 'answered' | 'cancelled' | 'failed' | 'no-answer';

export interface SessionEvents {
  finalResponse(session: CallSession, status: number): void;
  ended(session: CallSession, disposition: Disposition): void;
}

type Phase =
  | { name: 'setup'; cancelLeg?: (() => void) | undefined }
  | { name: 'connected'; legs: Dialog[] }
  /** Carried on by a route that is not the session's (the direct emergency route): nothing more is sent from here. */
  | { name: 'handed-over'; hangUp: () => void }
  | { name: 'ended'; disposition: Disposition };

/** A call carried on outside its session: how it ends, and how to end it. */
export interface HandedOverCall {
  ended: Promise<Disposition>;
  hangUp(): void;
}

/**
 * One call's lifetime, the same for every action: the caller may CANCEL at any moment, every
 * outbound leg has a timeout, a BYE on either side of a bridge tears down the other, and nothing is
 * dialled or answered once the caller has gone. Actions ask `dial`, `bridge` and `respond`; they
 * never track the caller's state themselves.
 */
export class CallSession {
  private phase: Phase = { name: 'setup' };
  private readonly releases: (() => void)[] = [];
  private digitListener: ((digits: string) => void) | undefined;
  private connectedCall: ConnectedCall | undefined;
  private readonly connectListeners: ((call: ConnectedCall) => void)[] = [];
  /** performance.now() at the answer, for the minutes a call lasted. */
  private answeredAt: number | undefined;
  readonly callId: string;
  /** The caller's Max-Forwards: each leg we place carries one less. */
  private readonly hops: number;
  /** The 18x responses to the caller, reliable when it requires 100rel; made on the first (a barred call has none). */
  private callerProgress: CallerProgress | undefined;

  constructor(
    private readonly srf: Srf,
    readonly req: Srf.SrfRequest,
    private readonly res: Srf.SrfResponse,
    private readonly events: SessionEvents,
    /** Sources trusted as PBXs: the only callers requiring 100rel whose 18x go reliably (`progressMode`). */
    private readonly trusted: ReadonlySet<string>,
    /** RFC 4028 Session-Expires offered on this call's legs, in seconds; absent: no session timers. */
    private sessionExpires?: number,
  ) {
    this.callId = req.get('call-id') ?? '';
    this.hops = hopsLeft(req);
    req.on('cancel', () => this.callerLeft());
    (req as Srf.SrfRequest & EarlyUpdates).on('update', answerCallerEarlyUpdate);
    (res as unknown as NodeJS.EventEmitter).once('end', ({ status }: { status: number }) => events.finalResponse(this, status));
  }

  /** The caller's SDP offer, without any other part of a multipart body. */
  get offer(): string | undefined {
    return sdpOfMessage(this.req);
  }

  /**
   * Whether the caller made an SDP offer. One that did not (a delayed-offer PBX) can take ours only in
   * a reliable 1xx or the 2xx, and we make no offer in a 1xx: it hears no early media.
   */
  get madeOffer(): boolean {
    return this.offer !== undefined;
  }

  /**
   * Why the caller cannot hear early media (a prompt, a notice, a spoken refusal), if it cannot: it made
   * no offer (we make none in a 1xx), or it requires 100rel from an untrusted source and gets no 18x.
   */
  get earlyMediaUnheard(): { reason: string; why: string } | undefined {
    if (!this.madeOffer) return { reason: 'needs-offer', why: 'the caller made no offer, so it cannot hear early media before the answer' };
    if (this.progress.mode === 'silent') return { reason: 'needs-reliable-progress', why: 'the caller requires 100rel but is not a trusted source, so it gets no early media' };
    return undefined;
  }

  /**
   * No session timer on this call's legs from now on: an emergency call (also one a callee redirected
   * to 999 mid-setup) is ended by the emergency service, never by a refresh that went missing.
   */
  dropSessionTimer(): void {
    this.sessionExpires = undefined;
  }

  /** True while the caller still waits for an answer. */
  get wanted(): boolean {
    return this.phase.name === 'setup';
  }

  get ended(): boolean {
    return this.phase.name === 'ended';
  }

  /** Seconds since the answer; 0 for a call not answered. */
  answeredSeconds(): number {
    return this.answeredAt === undefined ? 0 : (performance.now() - this.answeredAt) / 1000;
  }

  /** Releases `release` (a media endpoint, a timer) when the call ends, however it ends. */
  own(release: () => void): void {
    if (this.phase.name === 'ended') safely(release);
    else this.releases.push(release);
  }

  /** The connected call's two dialogs; undefined until the caller is answered. */
  get connected(): ConnectedCall | undefined {
    return this.connectedCall;
  }

  /** Calls `listener` once the caller is connected (now, if it is); never for a call that ends unanswered. */
  whenConnected(listener: (call: ConnectedCall) => void): void {
    if (this.connectedCall) listener(this.connectedCall);
    else if (this.phase.name === 'setup') this.connectListeners.push(listener);
  }

  /** Where digits the caller sends in SIP INFO go (the media server collecting a PIN). */
  onInfoDigits(listener: (digits: string) => void): void {
    this.digitListener = listener;
  }

  /** A SIP INFO from the caller, in the early dialog or after the answer. */
  receiveInfo(req: Srf.SrfRequest, res: Srf.SrfResponse): void {
    res.send(200);
    const digits = infoDigits(req.get('content-type'), req.body);
    if (digits) this.digitListener?.(digits);
  }

  /** 183 with our media server's SDP: the caller hears prompts before any answer. */
  earlyMedia(sdp: string): boolean {
    if (!this.wanted || this.res.finalResponseSent) return false;
    this.progress.send(183, sdp);
    return true;
  }

  /** A final non-2xx response to the caller, ending the call. */
  respond(status: number, headers: Record<string, string> = {}, disposition: Disposition = 'rejected'): void {
    if (this.phase.name !== 'setup') return;
    const { cancelLeg } = this.phase;
    // Set on the response itself: headers given to send() make drachtio-srf copy the whole response
    // into a new message first.
    for (const name in headers) this.res.set(name, headers[name]!);
    // A far end's failure passed on may be one drachtio-srf cannot send (608).
    this.res.send(sendableStatus(status));
    this.end(disposition);
    // A leg still ringing (the media server failed meanwhile) must not ring on once the caller is told.
    cancelLeg?.();
  }

  /**
   * Places one outbound leg; resolves with how it ended, never rejects. A far end whose Min-SE is above
   * the Session-Expires offered (422) is asked once more with its own (RFC 4028 §7.4).
   */
  async dial(uri: string, options: DialOptions): Promise<LegOutcome> {
    const outcome = await this.placeLeg(uri, options);
    const longer = outcome.kind === 'failed' && outcome.status === 422 && this.sessionExpires ? longerSessionExpires(outcome.headers?.['Min-SE'], this.sessionExpires) : undefined;
    if (longer === undefined || !this.wanted) return outcome;
    this.sessionExpires = longer;
    return this.placeLeg(uri, options);
  }

  private async placeLeg(uri: string, options: DialOptions): Promise<LegOutcome> {
    if (this.phase.name !== 'setup') return { kind: 'caller-gone' };
    const setup = this.phase;
    const body = options.body ?? this.offer;
    const headers: Record<string, string> = { 'Max-Forwards': String(this.hops - 1), ...(this.sessionExpires ? offerHeaders(this.sessionExpires) : {}), ...options.headers };
    const offerless = sdpOf(headers['Content-Type'], body) === undefined;
    // SDP in a 1xx to an INVITE without an offer would be an offer the caller could answer only in a PRACK: it hears ringing.
    const progress = offerless && options.progress === 'early-media' ? 'ringing' : (options.progress ?? 'ringing');
    let progressTimer: NodeJS.Timeout | undefined;
    const onProvisional = (provisional: Srf.SrfResponse) => {
      if (provisional.status < 180) return;
      clearTimeout(progressTimer);
      this.passProgress(provisional, progress);
    };
    const invite = outgoingInvite<AnsweredLeg>((sent) =>
      offerless
        ? placeOfferless(this.srf, uri, { headers, body, callingNumber: options.callingNumber, callingName: options.callingName }, { sent, provisional: onProvisional })
        : createUac(
            this.srf,
            uri,
            { localSdp: body, headers, callingNumber: options.callingNumber, callingName: options.callingName },
            (req) => {
              sent(req);
              // Ahead of createUAC's own answer, which would carry the INVITE's body.
              (req as (Srf.SrfRequest & EarlyUpdates) | undefined)?.on('update', (update, res) => answerEarlyUpdate(update, res, 491));
            },
            onProvisional,
          ),
    );
    let cancelled: 'caller' | 'timeout' | 'silence' | undefined;
    const cancel = (why: 'caller' | 'timeout' | 'silence') => {
      if (cancelled) return;
      cancelled = why;
      invite.abandon();
    };
    setup.cancelLeg = () => cancel('caller');
    const answerTimer = setTimeout(() => cancel('timeout'), options.answerTimeoutMs);
    if (options.progressTimeoutMs !== undefined) progressTimer = setTimeout(() => cancel('silence'), options.progressTimeoutMs);
    const unanswered = (): LegOutcome | undefined => (cancelled === 'timeout' || cancelled === 'silence' ? { kind: 'no-answer', rang: cancelled === 'timeout' } : undefined);
    try {
      const leg = await invite.answer;
      if (leg === 'abandoned') return (this.wanted && unanswered()) || { kind: 'caller-gone' };
      if (!this.wanted) {
        // The caller left as the answer came: hang the leg up again.
        safely(() => leg.dialog.destroy());
        return { kind: 'caller-gone' };
      }
      return { kind: 'answered', dialog: leg.dialog, ackWith: leg.ackWith };
    } catch (error) {
      if (cancelled === 'caller' || !this.wanted) return { kind: 'caller-gone' };
      const timedOut = unanswered();
      if (timedOut) return timedOut;
      const failure = error as { status?: number; res?: Srf.SrfResponse };
      const status = failure.status ?? 500;
      return { kind: 'failed', status, contact: failure.res && parsedNameAddr(failure.res, 'contact')?.uri, headers: failure.res && neededHeaders(status, failure.res) };
    } finally {
      clearTimeout(answerTimer);
      clearTimeout(progressTimer);
      setup.cancelLeg = undefined;
    }
  }

  /**
   * Answers the caller (with the callee's SDP, or `answerSdp` when the call runs through the media
   * server) and ties the dialogs together: when any of them hangs up, all of them do. A callee that
   * offered in its 2xx gets the caller's answer in its ACK once the caller has ACKed ours.
   */
  async bridge(answered: AnsweredLeg, options: BridgeOptions = {}): Promise<boolean> {
    const callee = answered.dialog;
    const others = [callee, ...(options.alsoEnd ?? [])];
    const pracked = this.callerProgress ? await this.callerProgress.acknowledged(new Promise((resolve) => this.own(resolve))) : true;
    if (!this.wanted || !pracked) {
      for (const d of others) safely(() => d.destroy());
      if (this.wanted) this.respond(NO_PRACK.status, NO_PRACK.headers, 'failed');
      return false;
    }
    let caller: Dialog;
    const timerHeaders = this.sessionExpires ? timerAnswerHeaders(this.req, this.sessionExpires) : undefined;
    try {
      caller = await this.srf.createUAS(this.req, this.res, { localSdp: options.answerSdp ?? callee.remote.sdp, ...(timerHeaders ? { headers: timerHeaders } : {}) });
    } catch (error) {
      for (const d of others) safely(() => d.destroy());
      // The caller left while being answered: nothing failed. Otherwise the cause goes to the call's handler to log.
      if (!this.wanted) return false;
      this.end('failed');
      // drachtio-srf rejects with drachtio-server's reason, a bare string, when it will not send the answer.
      throw new Error(`the caller could not be answered: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (this.phase.name !== 'setup') {
      // The caller left, or the process is draining, while the answer was on its way.
      for (const d of [caller, ...others]) safely(() => d.destroy());
      return false;
    }
    const legs = [caller, ...others];
    if (legs.some(hungUp)) {
      // A BYE came in before the listeners below existed (the callee hung up while the caller was
      // being answered, or the caller at once): its 'destroy' has been and gone, so end the rest now.
      for (const d of legs) if (!hungUp(d)) safely(() => d.destroy());
      this.end('answered');
      return false;
    }
    this.phase = { name: 'connected', legs };
    this.answeredAt = performance.now();
    const { ackWith } = answered;
    if (ackWith) caller.once('ack', (ack: Srf.SrfRequest | Srf.SrfResponse) => ackWith(sdpOfMessage(ack)));
    for (const leg of legs) {
      leg.on('destroy', () => {
        for (const d of legs) if (d !== leg) safely(() => d.destroy());
        this.end('answered');
      });
    }
    const bridged = { caller: options.mediaLegs?.caller ?? callee, callee: options.mediaLegs?.callee ?? caller };
    const renegotiation = { ...bridged };
    const sides: [Dialog, Side, Dialog][] = [
      [caller, 'caller', callee],
      [callee, 'callee', caller],
    ];
    const shaped = (side: Side) => (side === 'caller' && renegotiation.caller === callee ? options.reoffer : undefined);
    for (const [dialog, side, other] of sides) {
      dialog.on('modify', (req, res) => passReInvite(dialog, renegotiation[side], req, res, shaped(side)));
      dialog.on('update', (req, res) => passUpdate(renegotiation[side], req, res, shaped(side), this.sessionExpires));
      dialog.on('refer', (req, res) => (options.onRefer ? options.onRefer(side, req, res, { requester: dialog, other }) : res.send(405)));
      // The caller's digits go to the media server collecting them, when one is (a PIN, a call through FreeSWITCH).
      dialog.on('info', (req, res) => (side === 'caller' && this.digitListener ? this.receiveInfo(req, res) : passInDialog(other, req, res)));
      dialog.on('message', (req, res) => passInDialog(other, req, res));
    }
    this.connectedCall = { caller, callee, renegotiateThrough: (side, dialog) => (renegotiation[side] = dialog ?? bridged[side]) };
    for (const listener of this.connectListeners.splice(0)) safely(() => listener(this.connectedCall!));
    return true;
  }

  /**
   * The call goes on outside this session (the direct emergency route, after its handling failed):
   * the session sends nothing more, and ends, for the registry, the metrics and the call record, when
   * that call does.
   */
  handOver(call: HandedOverCall): void {
    if (this.phase.name !== 'setup') return;
    this.phase = { name: 'handed-over', hangUp: () => call.hangUp() };
    // Off the call's path: a throw here would be an unhandled rejection, which ends the process.
    void call.ended.then((disposition) => safely(() => this.end(disposition)));
  }

  /** Ends the call from our side: CANCELs or BYEs whatever is up (drain, shutdown). */
  hangUp(): void {
    const phase = this.phase;
    if (phase.name === 'setup') this.respond(503, { 'Retry-After': '30' }, 'failed');
    else if (phase.name === 'connected') {
      for (const leg of phase.legs) safely(() => leg.destroy());
      this.end('answered');
    } else if (phase.name === 'handed-over') safely(phase.hangUp);
  }

  private callerLeft(): void {
    if (this.phase.name !== 'setup') return;
    const { cancelLeg } = this.phase;
    safely(() => this.res.send(487));
    this.end('cancelled');
    cancelLeg?.();
  }

  private get progress(): CallerProgress {
    return (this.callerProgress ??= new CallerProgress(this.res, progressMode(this.req, this.trusted)));
  }

  private passProgress(provisional: Srf.SrfResponse, progress: 'early-media' | 'ringing' | 'none'): void {
    if (progress === 'none' || !this.wanted || this.res.finalResponseSent) return;
    if (progress === 'early-media' && provisional.body) this.progress.send(provisional.status, provisional.body);
    else this.progress.ring(provisional.status);
  }

  private end(disposition: Disposition): void {
    if (this.phase.name === 'ended') return;
    this.phase = { name: 'ended', disposition };
    this.connectListeners.length = 0;
    for (const release of this.releases.splice(0)) safely(release);
    this.events.ended(this, disposition);
  }
}

/** drachtio-srf clears `connected` when either side ends the dialog (it is missing from its typings). */
function hungUp(dialog: Dialog): boolean {
  return (dialog as Dialog & { connected?: boolean }).connected === false;
}

