/**
 * A FreeSWITCH stand-in at the drachtio-fsmrf level, for the CI-level media tests: a `MediaServer`-
 * shaped object whose endpoints record every command in one ordered journal, take scripted time, and
 * fail on request.
 *
 *   const fs = new FreeswitchStandIn();
 *   const edge = await Edge.start({ media: new FreeswitchGateway(new MediaPool([fs]), beginRecording) });
 *   fs.hold((file) => file.includes('/notices/'));   // the notice plays until released
 *   fs.type('538271');                                // what the caller keys at the next playCollect
 *   ...
 *   await fs.waitFor('the notice', (s) => s.op === 'play' && s.arg.includes('service-desk'));
 *   fs.release();                                     // the held plays end
 *   await fs.allReleased();                           // leak check: every endpoint is gone
 *
 * What it models of FreeSWITCH and drachtio-fsmrf 4.1.2:
 * - `createEndpoint()` answers with an endpoint whose `dialog` is the media leg (an EventEmitter with
 *   `destroy`, `modify`, `local`/`remote` SDP, `connected`), as session.bridge needs; `srf.createUAC()`
 *   (a bridge leg) makes the same channel and answers with its dialog alone, the Call-ID its UUID.
 *   A notice leg (`X-Callguard-Leg: notice`, src/media/noticeLeg.ts) is made against the caller's
 *   offer, answers 183, plays the notice (a `play` step, held like any) and then answers 200 with the
 *   playback's result; CANCEL ends it, and so does FreeSWITCH hanging it up (`hangUp`).
 * - The server's `api('<command> <uuid> <args>')` (the inbound event socket) is the endpoint's `api`
 *   with that UUID, except `uuid_broadcast` (a `play` of the file) and `uuid_bridge` (a `bridge`).
 * - `play(file)` ends after a short timer unless held, or never for an endless tone (`loops=-1`, the
 *   ringback) until `uuid_break`; `playCollect` ends with the next scripted digits, waiting for them.
 * - `api('uuid_break', uuid)` ends what the endpoint plays (drachtio-fsmrf's play promise resolves).
 * - `hangUp(endpoint)`: FreeSWITCH ends the channel; its dialog emits 'destroy' and every command
 *   still running on it, or sent to it later, rejects.
 * - `destroy()` (the app releasing the endpoint), or the app destroying its dialog, releases it;
 *   after `keepNoticeLegAfterBye()` the next notice leg's channel stays until `uuid_kill`
 *   (`uuid_exists` says whether a channel is still there).
 */
import { EventEmitter } from 'node:events';
import type Mrf from 'drachtio-fsmrf';
import type { MediaServerSource } from '../../src/media/mediaPool.js';
import * as sip from './sipText.js';

/** One command the app gave the media server, in the order given. */
export interface Step {
  /** 1-based endpoint number (order of creation); 0 for the server itself. */
  endpoint: number;
  op: 'create' | 'play' | 'playCollect' | 'execute' | 'api' | 'set' | 'bridge' | 'join' | 'modify' | 'destroy' | 'dialog-destroy' | 'hangup';
  /** The file, app, API command, variable or conference, as given. */
  arg: string;
  /** The rest: execute's argument, api's arguments, set's value, playCollect's and join's options. */
  detail?: unknown;
  /** When it ended: 'done', 'failed', 'broken' (uuid_break) or undefined while it runs. */
  outcome?: 'done' | 'failed' | 'broken';
}

/** What src/media/noticeLeg.ts gives drachtio-srf's createUAC. */
interface NoticeLegInvite {
  localSdp?: string;
  headers?: Record<string, string>;
}

interface UacCallbacks {
  cbRequest?: (error: unknown, req: { cancel(): void }) => void;
  cbProvisional?: (res: { status: number; body: string }) => void;
}

type Pending = { step: Step; held: boolean; finish(outcome: 'done' | 'broken', value?: unknown): void; fail(error: Error): void };

const PLAY_MS = 5;

class StandInDialog extends EventEmitter {
  connected = true;
  destroyed = false;
  readonly local: { sdp: string };
  readonly remote: { sdp: string };
  readonly sip: { callId: string; localTag: string; remoteTag: string };

  /** The app's dialog with the channel: `local` is what the app offered, `remote` FreeSWITCH's SDP. */
  constructor(
    private readonly endpoint: StandInEndpoint,
    offered: string,
    freeswitchSdp: string,
  ) {
    super();
    this.local = { sdp: offered };
    this.remote = { sdp: freeswitchSdp };
    // The channel's UUID is the Call-ID (freeswitch-conf's inbound-use-callid-as-uuid).
    this.sip = { callId: endpoint.uuid, localTag: 'app', remoteTag: 'fs' };
  }

  destroy(): Promise<void> {
    if (!this.destroyed) {
      this.destroyed = true;
      this.connected = false;
      this.endpoint.record('dialog-destroy', '');
      // the BYE reaches FreeSWITCH, which ends the channel (unless told to keep it: keepNoticeLegAfterBye)
      if (!this.endpoint.keptAfterBye) this.endpoint.gone(new Error('the media leg was hung up'), 'freeswitch');
    }
    return Promise.resolve();
  }

  modify(sdp: string): Promise<string> {
    this.endpoint.record('modify', 'dialog', sdp);
    return this.connected ? Promise.resolve(this.local.sdp) : Promise.reject(new Error('ENODIALOG'));
  }
}

export class StandInEndpoint extends EventEmitter {
  readonly uuid: string;
  readonly dialog: StandInDialog;
  readonly local: { sdp: string };
  connected = true;
  /** The app called destroy(). */
  destroyedByApp = false;
  /** FreeSWITCH answers its dialog's BYE and keeps the channel, until `uuid_kill`. */
  keptAfterBye = false;
  private readonly pending = new Set<Pending>();
  private keyed = '';

  constructor(
    private readonly server: FreeswitchStandIn,
    readonly index: number,
    /** The caller's SDP this endpoint was created against, if any. */
    readonly remoteSdp: string | undefined,
  ) {
    super();
    this.uuid = `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`;
    const sdp = sip.sdp({ ip: '198.51.100.7', port: 20000 + 2 * index, sessionId: 9000 + index });
    this.local = { sdp };
    this.dialog = new StandInDialog(this, remoteSdp ?? '', sdp);
  }

  /** Released: the app destroyed the endpoint or its media leg, or FreeSWITCH hung it up. */
  get released(): boolean {
    return this.destroyedByApp || !this.connected || (this.dialog.destroyed && !this.keptAfterBye);
  }

  /** The steps of this endpoint. */
  get steps(): Step[] {
    return this.server.journal.filter((s) => s.endpoint === this.index);
  }

  /** @internal */
  record(op: Step['op'], arg: string, detail?: unknown): Step {
    return this.server.record({ endpoint: this.index, op, arg, detail });
  }

  /**
   * @internal the channel is gone. drachtio-fsmrf emits 'destroy' when FreeSWITCH ends it (not when
   * the app destroys the endpoint); commands still running fail, or (`hang`) never finish, as a
   * modesl execute whose channel went away.
   */
  gone(error: Error, by: 'app' | 'freeswitch', pending: 'reject' | 'hang' = 'reject'): void {
    if (!this.connected) return;
    this.connected = false;
    this.dialog.connected = false;
    if (pending === 'reject') for (const p of [...this.pending]) p.fail(error);
    else this.pending.clear();
    if (by === 'freeswitch') setImmediate(() => this.emit('destroy', { reason: 'NORMAL_CLEARING' }));
  }

  /** @internal digits the caller keyed (uuid_recv_dtmf from SIP INFO), collected by a playCollect. */
  key(digits: string): void {
    this.keyed += digits;
    this.collectKeyed();
  }

  private collectKeyed(): void {
    for (const p of this.pending) {
      if (p.step.op !== 'playCollect' || p.held) continue;
      const max = (p.step.detail as Mrf.PlayCollectOptions).max ?? 128;
      const hash = this.keyed.indexOf('#');
      if (hash < 0 && this.keyed.length < max) return;
      const end = hash >= 0 && hash < max ? hash : max;
      const digits = this.keyed.slice(0, end);
      this.keyed = this.keyed.slice(end + (hash === end ? 1 : 0));
      // play_and_get_digits gives nothing for fewer than `min` digits
      const min = (p.step.detail as Mrf.PlayCollectOptions).min ?? 0;
      p.finish('done', { digits: digits.length >= min ? digits : '', terminatorUsed: hash === end ? '#' : '' });
      return;
    }
  }

  /** @internal ends what is playing (uuid_break). */
  breakPlayback(): void {
    for (const p of [...this.pending]) p.finish('broken', p.step.op === 'playCollect' ? { digits: '' } : {});
  }

  /** @internal ends held plays. */
  releaseHeld(match: (file: string) => boolean): void {
    for (const p of [...this.pending]) {
      if (!p.held || !match(p.step.arg)) continue;
      p.held = false;
      if (p.step.op === 'play') p.finish('done', { playbackSeconds: '1' });
    }
  }

  /** @internal a pending playCollect takes digits. */
  offerDigits(): boolean {
    for (const p of this.pending) {
      if (p.step.op !== 'playCollect' || p.held) continue;
      const digits = this.server.takeDigits();
      if (digits === undefined) return false;
      p.finish('done', digits === null ? { digits: '' } : { digits, terminatorUsed: '#' });
      return true;
    }
    return false;
  }

  private run<T>(op: Step['op'], arg: string, detail: unknown, start: (p: Pending) => void): Promise<T> {
    const step = this.record(op, arg, detail);
    if (!this.connected) {
      step.outcome = 'failed';
      return Promise.reject(new Error(`-ERR no channel ${this.uuid}`));
    }
    const failure = this.server.failureFor(step);
    if (failure) {
      step.outcome = 'failed';
      return Promise.reject(failure);
    }
    return new Promise<T>((resolve, reject) => {
      const p: Pending = {
        step,
        held: false,
        finish: (outcome, value) => {
          if (!this.pending.delete(p)) return;
          step.outcome = outcome;
          this.server.changed();
          resolve(value as T);
        },
        fail: (error) => {
          if (!this.pending.delete(p)) return;
          step.outcome = 'failed';
          this.server.changed();
          reject(error);
        },
      };
      this.pending.add(p);
      start(p);
    });
  }

  private quick(p: Pending, value: unknown): void {
    setTimeout(() => p.finish('done', value), 0);
  }

  play(file: string | string[]): Promise<Mrf.PlayResult> {
    const name = Array.isArray(file) ? file.join(',') : file;
    return this.run('play', name, undefined, (p) => {
      if (name.includes('loops=-1')) return;
      if (this.server.isHeld(name)) {
        p.held = true;
        return;
      }
      setTimeout(() => p.finish('done', { playbackSeconds: '1', playbackMilliseconds: '1000' }), PLAY_MS);
    });
  }

  playCollect(opts: Mrf.PlayCollectOptions): Promise<Mrf.PlayCollectResult> {
    return this.run('playCollect', opts.file, opts, (p) => {
      if (this.server.isHeld(opts.file)) {
        p.held = true;
        return;
      }
      // the prompt plays, then the caller keys (now, or when the test types)
      setTimeout(() => {
        if (!this.pending.has(p)) return;
        if (this.keyed) this.collectKeyed();
        else this.offerDigits();
      }, PLAY_MS);
    });
  }

  execute(app: string, arg?: string): Promise<Mrf.EslEvent> {
    return this.run('execute', app, arg, (p) => this.quick(p, { getHeader: () => undefined, getBody: () => undefined }));
  }

  api(command: string, args?: string | string[]): Promise<unknown> {
    return this.run('api', command, args, (p) => {
      if (command === 'uuid_break') this.breakPlayback();
      if (command === 'uuid_recv_dtmf') {
        const [uuid, digits] = String(args).split(' ');
        this.server.endpoints.find((e) => e.uuid === uuid)?.key(digits ?? '');
      }
      // drachtio-fsmrf resolves with the ESL event of the answer
      this.quick(p, { getHeader: () => undefined, getBody: () => '+OK' });
    });
  }

  set(name: string | Record<string, string | number | boolean>, value?: string): Promise<unknown> {
    const key = typeof name === 'string' ? name : Object.keys(name).join(',');
    return this.run('set', key, typeof name === 'string' ? value : name, (p) => this.quick(p, '+OK'));
  }

  bridge(other: Mrf.Endpoint | string): Promise<unknown> {
    const target = typeof other === 'string' ? other : other.uuid;
    return this.run('bridge', target, undefined, (p) => this.quick(p, undefined));
  }

  /** The endpoint becomes a member of the conference (drachtio-fsmrf resolves on its add-member event). */
  join(conference: string, opts?: { profile?: string; flags?: Record<string, boolean> }): Promise<{ memberId: number; confUuid: string }> {
    return this.run('join', conference, opts, (p) => this.quick(p, { memberId: this.index, confUuid: `conference-${conference}` }));
  }

  modify(sdp: string): Promise<unknown> {
    return this.run('modify', 'endpoint', sdp, (p) => this.quick(p, this.local.sdp));
  }

  destroy(): Promise<void> {
    this.record('destroy', '');
    this.destroyedByApp = true;
    this.gone(new Error('endpoint destroyed'), 'app');
    this.dialog.destroyed = true;
    return Promise.resolve();
  }
}

/**
 * The stand-in media server and the `MediaServerSource` the gateway reads. Set `up = false` for a
 * FreeSWITCH that cannot be reached; `up = true` again is a new event-socket session, as after a reconnection.
 */
export class FreeswitchStandIn implements MediaServerSource {
  /** Every command, in the order the app gave them. */
  readonly journal: Step[] = [];
  readonly endpoints: StandInEndpoint[] = [];
  private readonly digits: (string | null)[] = [];
  private holds: ((file: string) => boolean)[] = [];
  private failures: { match: (step: Step) => boolean; error: Error; times: number }[] = [];
  private createFailures: number[] = [];
  private creations = 0;
  private keepNextNoticeLeg = false;
  /** The inbound event socket answers no command (a stalled host, a network dropping packets). */
  private silent = false;
  /** The next createEndpoint hands its endpoint over this late (FreeSWITCH under load). */
  private nextCreateDelayMs = 0;
  private readonly waiters = new Set<() => void>();
  private reachable = true;
  private server = this.session();

  /** `address`: how the pool names it (/health, /metrics, logs); give each stand-in of a pool its own. */
  constructor(readonly address = 'freeswitch-stand-in:8021') {}

  get up(): boolean {
    return this.reachable;
  }

  set up(value: boolean) {
    if (value && !this.reachable) this.server = this.session();
    this.reachable = value;
  }

  /** A MediaServer-shaped event-socket session, connected until FreeSWITCH goes or a new session replaces it. */
  private session(): Mrf.MediaServer {
    const session: Mrf.MediaServer = Object.assign(new EventEmitter(), {
      address: this.address,
      createEndpoint: (opts?: { remoteSdp?: string }) => this.createEndpoint(opts),
      srf: {
        createUAC: async (_uri: string, opts: NoticeLegInvite, callbacks?: UacCallbacks) =>
          opts.headers?.['X-Callguard-Leg'] === 'notice'
            ? this.noticeLeg(opts, callbacks)
            : // A bridge leg (src/media/bridgeLeg.ts) is a 3pcc INVITE to the profile: a channel like an endpoint's, its dialog alone.
              ((await this.createEndpoint()) as unknown as StandInEndpoint).dialog,
      },
      api: (command: string) => (this.silent ? new Promise<string>(() => {}) : this.api(command)),
      sip: { ipv4: { udp: { address: '127.0.0.1:5080' } } },
      connectCaller: () => Promise.reject(new Error('connectCaller is not used by callguard')),
      connected: () => this.reachable && this.server === session,
      disconnect: () => undefined,
    }) as unknown as Mrf.MediaServer;
    return session;
  }

  get mediaServer(): Mrf.MediaServer | undefined {
    return this.up ? this.server : undefined;
  }

  /** Endpoints not yet released (the app's leak). */
  get live(): StandInEndpoint[] {
    return this.endpoints.filter((e) => !e.released);
  }

  /** The journal without creations and teardown: what the caller heard and what was set up. */
  get commands(): Step[] {
    return this.journal.filter((s) => !['create', 'destroy', 'dialog-destroy', 'hangup'].includes(s.op));
  }

  /** Files played or prompted, in order. */
  get played(): string[] {
    return this.journal.filter((s) => s.op === 'play' || s.op === 'playCollect').map((s) => s.arg);
  }

  /** Digits the caller keys, one entry per playCollect in order; `null` keys nothing (a timeout). */
  type(...entries: (string | null)[]): void {
    this.digits.push(...entries);
    for (const e of this.endpoints) while (this.digits.length > 0 && e.offerDigits());
  }

  /** Plays (and prompts) of matching files last until `release()`. */
  hold(match: (file: string) => boolean = () => true): void {
    this.holds.push(match);
  }

  /** Ends held plays: all of them, and holds nothing from now on; or only the matching ones now. */
  release(match?: (file: string) => boolean): void {
    if (!match) this.holds = [];
    for (const e of this.endpoints) e.releaseHeld(match ?? (() => true));
    for (const e of this.endpoints) while (this.digits.length > 0 && e.offerDigits());
  }

  /** The next notice leg's channel outlives the BYE of its dialog (FreeSWITCH seen stuck in uuid_bridge), until `uuid_kill`. */
  keepNoticeLegAfterBye(): void {
    this.keepNextNoticeLeg = true;
  }

  /** From now on the inbound event socket answers no API command: the TCP connection looks open, nothing comes back. */
  silenceEventSocket(): void {
    this.silent = true;
  }

  /** The next createEndpoint hands its endpoint over only after `ms`. */
  slowCreate(ms: number): void {
    this.nextCreateDelayMs = ms;
  }

  /** The `n`th createEndpoint from now on (1 = the next one) rejects. */
  failCreate(n = 1): void {
    this.createFailures.push(this.creations + n);
  }

  /** Matching commands reject (`times` times). */
  fail(match: (step: Step) => boolean, error = new Error('-ERR stand-in failure'), times = 1): void {
    this.failures.push({ match, error, times });
  }

  /**
   * FreeSWITCH hangs the endpoint's channel up (a crash, a kill, `uuid_kill`): its media leg gets a
   * BYE and the endpoint emits 'destroy'. Commands running on it reject, or with `pending: 'hang'`
   * never finish (what a modesl execute does when its channel goes).
   */
  hangUp(endpoint: StandInEndpoint, opts: { pending?: 'reject' | 'hang' } = {}): void {
    this.record({ endpoint: endpoint.index, op: 'hangup', arg: '' });
    endpoint.dialog.connected = false;
    endpoint.gone(new Error('-ERR channel hung up'), 'freeswitch', opts.pending);
    setImmediate(() => endpoint.dialog.emit('destroy', { reason: 'BYE from FreeSWITCH' }));
  }

  /** Resolves with the first journal step matching `match`, waiting for it. */
  waitFor(what: string, match: (step: Step) => boolean, timeoutMs = 10_000): Promise<Step> {
    return this.until(what, () => this.journal.find(match), timeoutMs);
  }

  /** Waits until every endpoint created has been released. */
  allReleased(timeoutMs = 10_000): Promise<true> {
    return this.until(`every endpoint released (live: ${this.live.map((e) => e.index).join(', ')})`, () => this.live.length === 0 || undefined, timeoutMs);
  }

  until<T>(what: string, check: () => T | undefined, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const test = (): boolean => {
        const value = check();
        if (value === undefined) return false;
        cleanup();
        resolve(value);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`stand-in: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      const waiter = () => void test();
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      if (!test()) this.waiters.add(waiter);
    });
  }

  /** @internal */
  record(step: Step): Step {
    this.journal.push(step);
    this.changed();
    return step;
  }

  /** @internal */
  changed(): void {
    for (const w of [...this.waiters]) w();
  }

  /** @internal */
  isHeld(file: string): boolean {
    return this.holds.some((h) => h(file));
  }

  /** @internal */
  takeDigits(): string | null | undefined {
    return this.digits.length === 0 ? undefined : this.digits.shift();
  }

  /** @internal */
  failureFor(step: Step): Error | undefined {
    const failure = this.failures.find((f) => f.times > 0 && f.match(step));
    if (!failure) return undefined;
    failure.times--;
    return failure.error;
  }

  /** A notice leg's INVITE: 183, the notice, then 200 (see the header comment). */
  private async noticeLeg(opts: NoticeLegInvite, callbacks: UacCallbacks = {}): Promise<StandInDialog> {
    const endpoint = (await this.createEndpoint({ remoteSdp: opts.localSdp })) as unknown as StandInEndpoint;
    endpoint.keptAfterBye = this.keepNextNoticeLeg;
    this.keepNextNoticeLeg = false;
    let cancelled = false;
    callbacks.cbRequest?.(null, {
      cancel: () => {
        cancelled = true;
        endpoint.gone(new Error('CANCEL'), 'app');
      },
    });
    callbacks.cbProvisional?.({ status: 183, body: endpoint.local.sdp });
    const notice = opts.headers?.['X-Callguard-Notice'];
    let result: string | undefined;
    if (notice) {
      const played = endpoint.play(notice).then(
        () => 'FILE PLAYED',
        () => 'PLAYBACK ERROR',
      );
      // FreeSWITCH hanging the channel up answers the INVITE with an error at once.
      const hungUp = new Promise<undefined>((resolve) => endpoint.once('destroy', () => resolve(undefined)));
      result = await Promise.race([played, hungUp]);
    }
    if (cancelled) throw Object.assign(new Error('487 Request Terminated'), { status: 487 });
    if (!endpoint.connected) throw Object.assign(new Error('500 channel hung up'), { status: 500 });
    return Object.assign(endpoint.dialog, { res: { get: (name: string) => (name === 'X-Callguard-Notice-Result' ? result : undefined) } });
  }

  /** The inbound event socket's API commands, addressed to a channel by UUID. */
  private async api(command: string): Promise<string> {
    const [name = '', uuid = '', ...rest] = command.split(' ');
    const endpoint = this.endpoints.find((e) => e.uuid === uuid);
    if (name === 'uuid_exists') {
      endpoint?.record('api', name, uuid);
      return endpoint && !endpoint.released ? 'true' : 'false';
    }
    if (!endpoint || (name === 'uuid_kill' && endpoint.released)) return '-ERR No such channel!';
    if (name === 'uuid_kill') {
      endpoint.record('api', name, uuid);
      this.hangUp(endpoint);
      return '+OK';
    }
    if (name === 'uuid_broadcast') {
      // the file plays on and the API answers at once, -ERR when the play could not start
      endpoint.play(rest[0] ?? '').catch(() => undefined);
      return endpoint.steps.at(-1)?.outcome === 'failed' ? '-ERR stand-in failure' : '+OK Message queued';
    }
    if (name === 'uuid_bridge') return endpoint.bridge(rest[0] ?? '').then(() => '+OK');
    const answer = (await endpoint.api(name, [uuid, ...rest].join(' '))) as Mrf.EslEvent;
    return answer.getBody() ?? '';
  }

  private createEndpoint(opts: { remoteSdp?: string } = {}): Promise<Mrf.Endpoint> {
    this.creations++;
    this.record({ endpoint: 0, op: 'create', arg: opts.remoteSdp ? 'with caller SDP' : 'without SDP' });
    if (!this.up) return Promise.reject(new Error('FreeSWITCH is not connected'));
    const failing = this.createFailures.indexOf(this.creations);
    if (failing >= 0) {
      this.createFailures.splice(failing, 1);
      return Promise.reject(new Error('-ERR stand-in: could not create the endpoint'));
    }
    const endpoint = new StandInEndpoint(this, this.endpoints.length + 1, opts.remoteSdp);
    this.endpoints.push(endpoint);
    this.journal[this.journal.length - 1]!.endpoint = endpoint.index;
    const delayMs = this.nextCreateDelayMs;
    this.nextCreateDelayMs = 0;
    return new Promise((resolve) => setTimeout(() => resolve(endpoint as unknown as Mrf.Endpoint), delayMs));
  }
}
