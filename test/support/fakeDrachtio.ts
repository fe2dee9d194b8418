/**
 * A fake drachtio-server for CI tests.
 *
 * It listens on a free loopback TCP port and speaks drachtio-server's control protocol
 * (`<byte-length>#<message>` framing, `authenticate`, `route`, `ping`, `sip`, `response`, `cdr:*`),
 * so a real drachtio-srf `srf.connect({host, port, secret})` talks to it exactly as it would to
 * drachtio-server. It plays two roles at once:
 *
 *  - the SIP stack drachtio-server wraps (transaction and dialog ids, To tags, Via/CSeq/Call-ID
 *    completion of what the app sends, 487/200 on CANCEL, ACK of non-2xx, 481/503 when nothing
 *    can take a request), and
 *  - the network: tests inject requests as raw SIP text (`sendRequest`) and answer the requests
 *    the app sends (`nextOutboundRequest(...).respond(...)`).
 *
 * The protocol was written from drachtio-server's client.cpp / sip-dialog-controller.cpp /
 * client-controller.cpp / cdr.cpp and drachtio-srf's drachtio-agent.js; no code is shared.
 *
 * Usage:
 *
 *   const fake = await FakeDrachtio.start({ secret: 's' });
 *   const srf = new Srf();
 *   srf.invite(handler);                       // the app under test
 *   srf.connect({ host: fake.host, port: fake.port, secret: fake.secret });
 *   await fake.waitForRoutes(['invite']);
 *
 *   const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:bob@pbx' }));
 *   const b = await fake.nextOutboundRequest({ method: 'INVITE' });   // app's B leg
 *   b.respond(180);
 *   b.respond(200, { body: sip.sdp() });
 *   expect((await a.finalResponse()).status).toBe(200);               // A leg answered
 *   a.bye();                                                          // caller hangs up
 *   (await fake.nextOutboundRequest({ method: 'BYE' })).respond(200);
 *
 *   srf.disconnect(); await fake.close();
 *
 * Reliable provisionals (RFC 3262) in part: a 1xx the app sends with `Require: 100rel` gets an RSeq,
 * and `prack()` on the INVITE passes a PRACK for it up in the early dialog; nothing is retransmitted.
 * `update()` passes a caller's UPDATE up in the early dialog likewise.
 *
 * Not emulated: proxy (`req.proxy` / `srf.proxyRequest` get NO), reliable provisionals the remote side
 * sends, UPDATE in the early dialog of a request the app sent, session timers, 2xx retransmission and the
 * ACK-timeout BYE, outbound-connection mode
 * (`srf.listen`), tag-based routing, Via received/rport rewriting, the automatic 100 Trying.
 */
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { ParsedSip, SipParseError, canonicalHeaderName, parseSip, serialiseSip } from './sipMessage.js';
import * as sipText from './sipText.js';
import { newBranch, newTag, tagOf, uriOf, userOf } from './sipText.js';

const CRLF = '\r\n';
const DEFAULT_TIMEOUT_MS = 5000;
const SERVER_VERSION = 'v0.9.3-fake';

export type HeaderInput = Record<string, string | string[] | undefined>;

export interface RecordedResponse {
  status: number;
  reason: string;
  /** The complete response as it went on the wire. */
  message: ParsedSip;
  headers: Record<string, string[]>;
  body: string;
  raw: string;
  /**
   * 'app': the application sent it; 'server': the (fake) SIP stack generated it (487 on CANCEL,
   * 481/503/400 refusals, 200 to a CANCEL); 'far-end': the test answered a request the app sent.
   */
  generatedBy: 'app' | 'server' | 'far-end';
  /** Convenience: first value of a header (case-insensitive). */
  get(name: string): string | undefined;
}

export interface WireEntry {
  direction: 'to-app' | 'from-app';
  connection: number;
  text: string;
}

export interface SendRequestOptions {
  source_address?: string;
  source_port?: number;
  protocol?: string;
  /** ACK a 2xx the app sends to this INVITE, as the calling UA would (default true). */
  autoAck?: boolean;
  /**
   * Forward the text to the app verbatim even when it is not a valid SIP request
   * (a real stack would reject it with 400 / drop it before drachtio-srf sees it).
   */
  raw?: boolean;
}

export interface RespondOptions {
  reason?: string;
  headers?: HeaderInput;
  body?: string;
  /** To tag for this response; defaults to one stable tag per request. */
  toTag?: string;
}

export interface FakeDrachtioOptions {
  secret?: string;
  /** The SIP address the fake stack claims to listen on (Contact / Via of what it sends). */
  sipAddress?: string;
  sipPort?: number;
  /**
   * When the app CANCELs an outbound INVITE that has no final response, the far end answers
   * the INVITE with 487 (as any UA would). Default true; set false to answer by hand.
   */
  autoRespond487OnCancel?: boolean;
  /** Default timeout for the wait helpers. */
  timeoutMs?: number;
}

interface Conn {
  id: number;
  socket: net.Socket;
  buf: Buffer;
  authenticated: boolean;
  routes: Set<string>;
  tags: string[];
  closed: boolean;
}

/** A dialog as the fake stack tracks it. "app" is the drachtio-srf side, "far" the test's side. */
interface FakeDialog {
  id: string;
  callId: string;
  /** true: the app answered an INVITE from the network (UAS); false: the app sent the INVITE (UAC). */
  appIsUas: boolean;
  conn: Conn | null;
  appNameAddr: string;
  appContactUri: string;
  farNameAddr: string;
  farTargetUri: string;
  appCseq: number;
  farCseq: number;
  inviteCseq: number;
  farAddress: string;
  farPort: number;
  protocol: string;
  /** the UAC INVITE was answered with a failure: an ACK from the app gets NOK (stack ACKs non-2xx). */
  failed?: boolean;
}

/** Promise-based waiting on mutable state, without timing assumptions. */
class Signal {
  private waiters = new Set<() => void>();
  private timers = new Set<NodeJS.Timeout>();
  private disposed = false;

  /** Forget pending waits (their promises stay pending rather than rejecting after close()). */
  dispose(): void {
    this.disposed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    this.waiters.clear();
  }

  notify(): void {
    for (const w of [...this.waiters]) w();
  }

  wait<T>(check: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const first = check();
    if (first !== undefined) return Promise.resolve(first);
    if (this.disposed) return Promise.reject(new Error(`fakeDrachtio: closed; cannot wait for ${what}`));
    return new Promise<T>((resolve, reject) => {
      const waiter = (): void => {
        const v = check();
        if (v !== undefined) {
          clearTimeout(timer);
          this.timers.delete(timer);
          this.waiters.delete(waiter);
          resolve(v);
        }
      };
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.waiters.delete(waiter);
        reject(new Error(`fakeDrachtio: timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.timers.add(timer);
      this.waiters.add(waiter);
    });
  }
}

function headerEntries(h: HeaderInput | undefined): Array<{ name: string; value: string }> {
  const out: Array<{ name: string; value: string }> = [];
  if (!h) return out;
  for (const [name, v] of Object.entries(h)) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out.push({ name, value: one });
  }
  return out;
}

function hostPortOf(uri: string): { host: string; port: number } {
  const m = /^sips?:(?:[^@]*@)?(\[[^\]]+\]|[^:;>?]+)(?::(\d+))?/i.exec(uri);
  return { host: m?.[1] ?? '127.0.0.1', port: m?.[2] ? Number(m[2]) : 5060 };
}

function stackTime(): string {
  const d = new Date();
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  return `${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}.${p(d.getUTCMilliseconds() * 1000, 6)}`;
}

function makeRecordedResponse(message: ParsedSip, generatedBy: RecordedResponse['generatedBy']): RecordedResponse {
  return {
    status: message.status!,
    reason: message.reason ?? '',
    message,
    headers: message.headers,
    body: message.body,
    raw: message.raw,
    generatedBy,
    get: (name: string) => message.get(name),
  };
}

const STATUS_REASONS: Record<number, string> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 500: 'Server Internal Error', 503: 'Service Unavailable',
  603: 'Decline',
};

/** One request the network sent to the app (via `FakeDrachtio.sendRequest`), and what came back. */
export class InboundTransaction {
  readonly raw: string;
  /** Parsed request; undefined when the text was not valid SIP. */
  readonly request: ParsedSip | undefined;
  readonly transactionId: string;
  /** The dialog id drachtio-server attached ('' for a request outside any dialog). */
  dialogId = '';
  /** Whether the request reached the app. */
  delivered = false;
  /** Why the fake stack did not deliver it, if it did not. */
  notDeliveredBecause: string | undefined;
  readonly responses: RecordedResponse[] = [];
  /** Set when a CANCEL for this INVITE arrived (the stack answered 487 itself). */
  canceled = false;
  /** Requests sent so far in this INVITE's early dialog (PRACK, UPDATE), for their CSeq. */
  private earlyRequests = 0;

  /** @internal */ conn: Conn | null = null;
  /** @internal */ toTag: string | undefined;
  /** @internal */ readonly sourceAddress: string;
  /** @internal */ readonly sourcePort: number;
  /** @internal */ readonly protocol: string;
  /** @internal */ autoAck: boolean;
  /** @internal */ dialog: FakeDialog | undefined;
  private cursor = 0;

  constructor(
    private readonly fake: FakeDrachtio,
    raw: string,
    request: ParsedSip | undefined,
    opts: Required<Pick<SendRequestOptions, 'source_address' | 'source_port' | 'protocol' | 'autoAck'>>,
  ) {
    this.raw = raw;
    this.request = request;
    this.transactionId = randomUUID();
    this.sourceAddress = opts.source_address;
    this.sourcePort = opts.source_port;
    this.protocol = opts.protocol;
    this.autoAck = opts.autoAck;
  }

  get method(): string | undefined {
    return this.request?.method;
  }

  get finalSent(): boolean {
    return this.responses.some((r) => r.status >= 200);
  }

  /** The next response not yet returned by nextResponse(), in order (provisional and final). */
  nextResponse(opts: { timeoutMs?: number } = {}): Promise<RecordedResponse> {
    return this.fake.signal.wait(
      () => {
        const r = this.responses[this.cursor];
        if (r) this.cursor++;
        return r;
      },
      opts.timeoutMs ?? this.fake.timeoutMs,
      `a response to ${this.method ?? 'request'} ${this.request?.callId ?? ''}`,
    );
  }

  /** The final (>= 200) response. */
  finalResponse(opts: { timeoutMs?: number } = {}): Promise<RecordedResponse> {
    return this.fake.signal.wait(
      () => this.responses.find((r) => r.status >= 200),
      opts.timeoutMs ?? this.fake.timeoutMs,
      `a final response to ${this.method ?? 'request'} ${this.request?.callId ?? ''}`,
    );
  }

  /** Waits until the request reached the app or was refused by the stack. */
  settled(opts: { timeoutMs?: number } = {}): Promise<this> {
    return this.fake.signal.wait(
      () => (this.delivered || this.notDeliveredBecause !== undefined ? this : undefined),
      opts.timeoutMs ?? this.fake.timeoutMs,
      'delivery of the request',
    );
  }

  /** Sends a CANCEL for this (INVITE) transaction, built from the INVITE's text. */
  cancel(opts: { headers?: HeaderInput } = {}): InboundTransaction {
    const rq = this.mustBe('INVITE');
    const text = sipText.cancel(
      {
        ruri: rq.uri!,
        from: rq.get('from')!,
        to: rq.get('to')!,
        callId: rq.callId!,
        cseq: rq.cseq!.seq,
        via: rq.get('via')!,
      },
      { headers: opts.headers },
    );
    return this.fake.sendRequest(text, this.sourceOpts());
  }

  /**
   * PRACKs the last reliable provisional the app sent (RFC 3262: one with `Require: 100rel`, given an
   * RSeq by the stack); the stack passes the PRACK up in the early dialog.
   */
  prack(): InboundTransaction {
    const reliable = this.responses.filter((r) => r.status > 100 && r.status < 200 && r.get('rseq') !== undefined).at(-1);
    if (!reliable) throw new Error('prack(): the app sent no reliable provisional response');
    return this.inEarlyDialog('PRACK', { headers: { RAck: `${reliable.get('rseq')} ${this.mustBe('INVITE').cseq!.seq} INVITE` } });
  }

  /** The calling side sends an UPDATE in the early dialog (RFC 3311: a refresh without a body, or a new offer). */
  update(opts: { body?: string } = {}): InboundTransaction {
    return this.inEarlyDialog('UPDATE', opts);
  }

  /** A request in the early dialog the app's last provisional response made, to the Contact it carried. */
  private inEarlyDialog(method: string, opts: { headers?: HeaderInput; body?: string }): InboundTransaction {
    const rq = this.mustBe('INVITE');
    const provisional = this.responses.filter((r) => r.status > 100 && r.status < 200 && r.generatedBy === 'app').at(-1);
    if (!provisional) throw new Error(`${method} in the early dialog: the app sent no provisional response`);
    const ref = { ruri: uriOf(provisional.get('contact')!), from: rq.get('from')!, to: provisional.get('to')!, callId: rq.callId!, cseq: rq.cseq!.seq + ++this.earlyRequests, via: `${this.sourceAddress}:${this.sourcePort}` };
    return this.fake.sendRequest(sipText.inDialog(method, ref, opts), this.sourceOpts());
  }

  /** ACKs the 2xx the app sent (only needed with autoAck: false). */
  ack(opts: { body?: string } = {}): InboundTransaction {
    const d = this.mustHaveDialog();
    const seq = this.mustBe('INVITE').cseq!.seq;
    return this.fake.sendRequest(sipText.ack(this.fake.farDialogRef(d, seq), opts), this.sourceOpts());
  }

  /**
   * The calling side sends a request inside the dialog this INVITE established (BYE, REFER, INFO, a
   * re-INVITE: `autoAck` false to ACK its 2xx yourself, with `ack()` on the transaction returned).
   */
  sendInDialog(method: string, opts: { headers?: HeaderInput; body?: string; contentType?: string; autoAck?: boolean } = {}): InboundTransaction {
    return this.fake.sendFarInDialog(this.mustHaveDialog(), method, opts, { ...this.sourceOpts(), autoAck: opts.autoAck });
  }

  bye(opts: { headers?: HeaderInput } = {}): InboundTransaction {
    return this.sendInDialog('BYE', opts);
  }

  refer(referTo: string, opts: { headers?: HeaderInput } = {}): InboundTransaction {
    return this.sendInDialog('REFER', { headers: { 'Refer-To': sipText.nameAddr(referTo), ...opts.headers } });
  }

  /** @internal */
  push(r: RecordedResponse): void {
    this.responses.push(r);
    this.fake.signal.notify();
  }

  private sourceOpts(): SendRequestOptions {
    return { source_address: this.sourceAddress, source_port: this.sourcePort, protocol: this.protocol };
  }

  private mustBe(method: string): ParsedSip {
    if (!this.request || this.request.method !== method) {
      throw new Error(`fakeDrachtio: this transaction is not a ${method}`);
    }
    return this.request;
  }

  private mustHaveDialog(): FakeDialog {
    if (!this.dialog) throw new Error('fakeDrachtio: no dialog was established by this INVITE (no 2xx sent yet?)');
    return this.dialog;
  }
}

/** One request the app sent to the network; the test plays the far end through it. */
export class OutboundRequest {
  readonly message: ParsedSip;
  readonly transactionId: string;
  /** Dialog id drachtio-server would report with responses (INVITE) or the dialog the request was sent in. */
  readonly dialogId: string;
  /** Outbound proxy the app asked for (srf `proxy` option), if any. */
  readonly proxy: string | undefined;
  /** Responses the test sent for it. */
  readonly responses: RecordedResponse[] = [];
  /** The CANCEL the app sent for this INVITE, once it did. */
  cancelRequest: OutboundRequest | undefined;
  /** For a CANCEL: the INVITE it cancels. */
  cancels: OutboundRequest | undefined;

  /** @internal */ toTag = newTag();
  /** @internal */ dialog: FakeDialog | undefined;
  /** @internal */ readonly farAddress: string;
  /** @internal */ readonly farPort: number;

  constructor(
    private readonly fake: FakeDrachtio,
    /** @internal */ readonly conn: Conn,
    message: ParsedSip,
    transactionId: string,
    dialogId: string,
    proxy: string | undefined,
  ) {
    this.message = message;
    this.transactionId = transactionId;
    this.dialogId = dialogId;
    this.proxy = proxy;
    const { host, port } = hostPortOf(proxy ?? message.uri!);
    this.farAddress = host;
    this.farPort = port;
  }

  get method(): string {
    return this.message.method!;
  }
  get uri(): string {
    return this.message.uri!;
  }
  get headers(): Record<string, string[]> {
    return this.message.headers;
  }
  get body(): string {
    return this.message.body;
  }
  get raw(): string {
    return this.message.raw;
  }
  get(name: string): string | undefined {
    return this.message.get(name);
  }
  get finalStatus(): number | undefined {
    return this.responses.find((r) => r.status >= 200)?.status;
  }

  /**
   * Answers as the far end: any status, provisional or final. A 2xx to an INVITE establishes a
   * dialog (the app will ACK it, and can BYE it later); a non-2xx final is ACKed by the stack.
   */
  respond(status: number, opts: RespondOptions = {}): RecordedResponse {
    return this.fake.respondToOutbound(this, status, opts);
  }

  /** Waits for the app to CANCEL this INVITE. */
  waitForCancel(opts: { timeoutMs?: number } = {}): Promise<OutboundRequest> {
    return this.fake.signal.wait(() => this.cancelRequest, opts.timeoutMs ?? this.fake.timeoutMs, `CANCEL of ${this.uri}`);
  }

  /** The called side sends a request inside the dialog established by this INVITE. */
  sendInDialog(method: string, opts: { headers?: HeaderInput; body?: string; contentType?: string } = {}): InboundTransaction {
    if (!this.dialog) throw new Error('fakeDrachtio: no dialog established by this request (respond 2xx first)');
    return this.fake.sendFarInDialog(this.dialog, method, opts, {
      source_address: this.farAddress,
      source_port: this.farPort,
      protocol: this.dialog.protocol,
    });
  }

  bye(opts: { headers?: HeaderInput } = {}): InboundTransaction {
    return this.sendInDialog('BYE', opts);
  }
}

export class FakeDrachtio {
  readonly host = '127.0.0.1';
  readonly secret: string;
  readonly sipAddress: string;
  readonly sipPort: number;
  readonly timeoutMs: number;
  readonly autoRespond487OnCancel: boolean;
  /** Every control-protocol message in both directions, for debugging. */
  readonly wire: WireEntry[] = [];
  /** Every request the app sent, in order. */
  readonly outboundRequests: OutboundRequest[] = [];
  /** Every request the test injected, in order. */
  readonly inboundTransactions: InboundTransaction[] = [];
  /** The last RSeq given to a reliable provisional response. */
  private rseq = 0;
  /** Things the fake SIP stack did on its own (auto-ACK of non-2xx, 487 on CANCEL, ...). */
  readonly stackEvents: string[] = [];
  /** @internal */ readonly signal = new Signal();

  private server: net.Server;
  private _port = 0;
  private conns = new Set<Conn>();
  private nextConnId = 1;
  private _totalConnections = 0;
  private dialogs = new Map<string, FakeDialog>();
  private inboundByTxn = new Map<string, InboundTransaction>();
  private outboundByTxn = new Map<string, OutboundRequest>();
  private taken = new Set<OutboundRequest>();
  /** dialog ids of app INVITEs answered with a failure (the stack ACKs those itself) */
  private failedUacInvites = new Set<string>();
  private roundRobin = new Map<string, number>();

  private constructor(opts: FakeDrachtioOptions) {
    this.secret = opts.secret ?? 'cymru';
    this.sipAddress = opts.sipAddress ?? '127.0.0.1';
    this.sipPort = opts.sipPort ?? 5060;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.autoRespond487OnCancel = opts.autoRespond487OnCancel ?? true;
    this.server = net.createServer((socket) => this.onConnection(socket));
  }

  static async start(opts: FakeDrachtioOptions = {}): Promise<FakeDrachtio> {
    const fake = new FakeDrachtio(opts);
    await new Promise<void>((resolve, reject) => {
      fake.server.once('error', reject);
      fake.server.listen(0, fake.host, () => {
        fake.server.off('error', reject);
        resolve();
      });
    });
    fake._port = (fake.server.address() as net.AddressInfo).port;
    return fake;
  }

  get port(): number {
    return this._port;
  }

  /** Open app connections right now. */
  get connections(): number {
    return [...this.conns].filter((c) => !c.closed).length;
  }

  /** App connections accepted since start. */
  get totalConnections(): number {
    return this._totalConnections;
  }

  /** Call-IDs of the dialogs the stack still holds (confirmed and not yet ended by a BYE), for orphan checks. */
  get openDialogs(): string[] {
    return [...this.dialogs.values()].map((d) => d.callId);
  }

  /** SIP methods (lower case) some authenticated connection has asked to be routed. */
  get routes(): string[] {
    const s = new Set<string>();
    for (const c of this.conns) if (!c.closed && c.authenticated) for (const r of c.routes) s.add(r);
    return [...s];
  }

  /** Waits until an authenticated app connection has registered all of the given routes. */
  waitForRoutes(routes: string[] = ['invite'], opts: { timeoutMs?: number } = {}): Promise<void> {
    const want = routes.map((r) => r.toLowerCase());
    return this.signal.wait(
      () => ([...this.conns].some((c) => !c.closed && c.authenticated && want.every((r) => c.routes.has(r))) ? true : undefined),
      opts.timeoutMs ?? this.timeoutMs,
      `app connection with routes ${want.join(',')}`,
    ).then(() => undefined);
  }

  /** Waits until `n` connections have been accepted in total (e.g. after a reconnect). */
  waitForTotalConnections(n: number, opts: { timeoutMs?: number } = {}): Promise<void> {
    return this.signal.wait(
      () => (this._totalConnections >= n ? true : undefined),
      opts.timeoutMs ?? this.timeoutMs,
      `${n} connections`,
    ).then(() => undefined);
  }

  /** Drops every app connection (as a crashing or restarting drachtio-server would). Returns how many. */
  dropConnection(): number {
    let n = 0;
    for (const c of this.conns) {
      if (!c.closed) {
        c.socket.destroy();
        n++;
      }
    }
    return n;
  }

  /**
   * Stops listening and drops the app connections. Disconnect the Srf first (`srf.disconnect()`),
   * or drachtio-srf keeps trying to reconnect to the closed port.
   */
  async close(): Promise<void> {
    this.signal.dispose();
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** The next request the app sent (optionally of one method) not yet returned by this call. */
  nextOutboundRequest(opts: { method?: string; timeoutMs?: number } = {}): Promise<OutboundRequest> {
    const method = opts.method?.toUpperCase();
    return this.signal.wait(
      () => {
        const r = this.outboundRequests.find((o) => !this.taken.has(o) && (!method || o.method === method));
        if (r) this.taken.add(r);
        return r;
      },
      opts.timeoutMs ?? this.timeoutMs,
      `an outbound ${method ?? ''} request from the app`.replace('  ', ' '),
    );
  }

  // ------------------------------------------------------------------------------------------
  // network → app
  // ------------------------------------------------------------------------------------------

  /**
   * Injects a SIP request from the network, as drachtio-server would pass it to the app.
   * New requests go to a connection that routed the method (503 from the stack if none);
   * requests with a To tag go to the dialog's connection (481 if no such dialog); a CANCEL for
   * a pending INVITE is answered 200 by the stack, the INVITE 487, and the app is told.
   */
  sendRequest(text: string, opts: SendRequestOptions = {}): InboundTransaction {
    const o = {
      source_address: opts.source_address ?? '192.0.2.10',
      source_port: opts.source_port ?? 5060,
      protocol: opts.protocol ?? 'udp',
      autoAck: opts.autoAck ?? true,
    };
    let parsed: ParsedSip | undefined;
    let parseError: string | undefined;
    try {
      parsed = parseSip(text, { requireMandatory: true });
      if (parsed.kind !== 'request') throw new SipParseError('not a request');
    } catch (err) {
      parsed = undefined;
      parseError = err instanceof Error ? err.message : String(err);
    }
    const txn = new InboundTransaction(this, text, parsed, o);
    this.inboundTransactions.push(txn);

    if (!parsed) {
      if (opts.raw) {
        const conn = this.firstConn();
        if (!conn) return this.refuse(txn, undefined, `no app connection (${parseError})`);
        this.deliver(conn, txn, '', text, true);
        return txn;
      }
      // A stack answers 400 when it can find enough to address a response; otherwise it drops.
      let loose: ParsedSip | undefined;
      try {
        loose = parseSip(text);
      } catch {
        loose = undefined;
      }
      if (loose && loose.kind === 'request' && loose.has('via') && loose.has('call-id') && loose.has('cseq') && loose.has('from') && loose.has('to')) {
        return this.refuse(txn, loose, `malformed: ${parseError}`, 400);
      }
      return this.refuse(txn, undefined, `malformed, dropped: ${parseError}`);
    }

    const method = parsed.method!;
    const callId = parsed.callId!;
    if (this.isRetransmission(parsed)) return this.refuse(txn, undefined, 'retransmission (absorbed by the stack)');
    if (method === 'CANCEL') return this.inboundCancel(txn, parsed);

    const toTag = tagOf(parsed.get('to'));
    if (toTag) {
      const d = this.findDialog(callId, tagOf(parsed.get('from')), toTag);
      if (method === 'ACK') {
        if (!d || !d.conn) return this.refuse(txn, undefined, 'ACK outside any dialog (absorbed by the stack)');
        txn.dialog = d;
        txn.dialogId = d.id;
        this.deliver(d.conn, txn, d.id, text, false);
        return txn;
      }
      if (!d && (method === 'PRACK' || method === 'UPDATE')) return this.inEarlyDialog(txn, parsed, text);
      if (!d) return this.refuse(txn, parsed, 'no such dialog', 481);
      if (!d.conn || d.conn.closed) return this.refuse(txn, parsed, 'the app owning the dialog is gone', 481);
      txn.dialog = d;
      txn.dialogId = d.id;
      d.farCseq = Math.max(d.farCseq, parsed.cseq!.seq);
      if (method === 'BYE') this.cdr('stop', 'network', parsed, 'normal-release');
      this.deliver(d.conn, txn, d.id, text, false);
      return txn;
    }

    if (method === 'ACK') return this.refuse(txn, undefined, 'ACK without To tag (absorbed by the stack)');

    const conn = this.connFor(method);
    if (!conn) return this.refuse(txn, parsed, `no app connection routed ${method.toLowerCase()}`, 503);
    if (method === 'INVITE') this.cdr('attempt', 'network', parsed);
    this.deliver(conn, txn, '', text, true);
    return txn;
  }

  /** A PRACK or UPDATE in the early dialog of an INVITE the app has sent a provisional response to: passed up with that dialog's id. */
  private inEarlyDialog(txn: InboundTransaction, req: ParsedSip, text: string): InboundTransaction {
    const fromTag = tagOf(req.get('from'));
    const invite = [...this.inboundByTxn.values()].find(
      (t) => t.request?.method === 'INVITE' && t.request.callId === req.callId && tagOf(t.request.get('from')) === fromTag && t.toTag === tagOf(req.get('to')) && !t.finalSent,
    );
    if (!invite?.conn || invite.conn.closed) return this.refuse(txn, req, `no early dialog for the ${req.method}`, 481);
    this.deliver(invite.conn, txn, `${req.callId};from-tag=${fromTag ?? ''}`, text, false);
    return txn;
  }

  /** @internal Far side of a dialog sends an in-dialog request. */
  sendFarInDialog(
    d: FakeDialog,
    method: string,
    opts: { headers?: HeaderInput; body?: string; contentType?: string },
    source: SendRequestOptions,
  ): InboundTransaction {
    const m = method.toUpperCase();
    const cseq = m === 'ACK' ? d.inviteCseq : ++d.farCseq;
    return this.sendRequest(
      sipText.inDialog(m, this.farDialogRef(d, cseq), { headers: opts.headers, body: opts.body, contentType: opts.contentType }),
      source,
    );
  }

  /** @internal */
  farDialogRef(d: FakeDialog, cseq: number): sipText.DialogRef {
    return {
      ruri: d.appContactUri,
      from: d.farNameAddr,
      to: d.appNameAddr,
      callId: d.callId,
      cseq,
      via: `${d.farAddress}:${d.farPort}`,
      contact: d.farTargetUri,
    };
  }

  private inboundCancel(txn: InboundTransaction, cancel: ParsedSip): InboundTransaction {
    const callId = cancel.callId!;
    const seq = cancel.cseq!.seq;
    const invite = [...this.inboundByTxn.values()].find(
      (t) => t.request?.method === 'INVITE' && t.request.callId === callId && t.request.cseq?.seq === seq && !tagOf(t.request.get('to')),
    );
    if (!invite || invite.finalSent || invite.canceled) {
      return this.refuse(txn, cancel, 'no pending INVITE to cancel', 481);
    }
    // The stack answers both on its own, then tells the app (with the INVITE's transaction id).
    this.stackRespond(txn, cancel, 200);
    invite.canceled = true;
    invite.toTag ??= newTag();
    this.stackRespond(invite, invite.request!, 487);
    this.stackEvents.push(`200 to CANCEL and 487 to INVITE ${callId}`);
    this.cdr('stop', 'network', cancel, 'call-canceled');
    const conn = invite.conn;
    txn.dialogId = `${callId};from-tag=${tagOf(invite.request!.get('from')) ?? ''}`;
    if (conn && !conn.closed) {
      this.sendToApp(conn, this.sipMeta(txn, invite.transactionId, txn.dialogId, cancel.raw, false));
      txn.delivered = true;
      txn.conn = conn;
    }
    this.signal.notify();
    return txn;
  }

  private refuse(txn: InboundTransaction, req: ParsedSip | undefined, why: string, status?: number): InboundTransaction {
    txn.notDeliveredBecause = why;
    this.stackEvents.push(`not delivered: ${why}`);
    if (req && status) this.stackRespond(txn, req, status);
    this.signal.notify();
    return txn;
  }

  /** A response generated by the fake SIP stack itself. */
  private stackRespond(txn: InboundTransaction, req: ParsedSip, status: number): void {
    const headers: Array<{ name: string; value: string }> = [];
    for (const v of req.getAll('via')) headers.push({ name: 'Via', value: v });
    headers.push({ name: 'From', value: req.get('from')! });
    let to = req.get('to')!;
    if (status > 100 && !tagOf(to)) to = sipText.nameAddr(to, txn.toTag ?? (txn.toTag = newTag()));
    headers.push({ name: 'To', value: to });
    headers.push({ name: 'Call-ID', value: req.callId! });
    headers.push({ name: 'CSeq', value: req.get('cseq')! });
    const text = serialiseSip(`SIP/2.0 ${status} ${STATUS_REASONS[status] ?? 'Unknown'}`, headers, '');
    txn.push(makeRecordedResponse(parseSip(text), 'server'));
  }

  private deliver(conn: Conn, txn: InboundTransaction, dialogId: string, text: string, newRequest: boolean): void {
    txn.conn = conn;
    txn.delivered = true;
    this.inboundByTxn.set(txn.transactionId, txn);
    this.sendToApp(conn, this.sipMeta(txn, txn.transactionId, dialogId, text, newRequest));
    this.signal.notify();
  }

  /** `sip|network|bytes|proto|addr|port|time|txnId|dialogId|[dest|port|]` + CRLF + text */
  private sipMeta(txn: InboundTransaction, txnId: string, dialogId: string, text: string, newRequest: boolean): string {
    let s =
      `sip|network|${Buffer.byteLength(text, 'utf8')}|${txn.protocol}|${txn.sourceAddress}|${txn.sourcePort}|` +
      `${stackTime()}|${txnId}|${dialogId}|`;
    if (newRequest) s += `${this.sipAddress}|${this.sipPort}|`;
    return s + CRLF + text;
  }

  private findDialog(callId: string, fromTag: string | undefined, toTag: string | undefined): FakeDialog | undefined {
    // drachtio dialog ids are "<call-id>;from-tag=<tag of the side that sent the INVITE>".
    const byFrom = fromTag ? this.dialogs.get(`${callId};from-tag=${fromTag}`) : undefined;
    if (byFrom && byFrom.appIsUas) return byFrom;
    const byTo = toTag ? this.dialogs.get(`${callId};from-tag=${toTag}`) : undefined;
    if (byTo && !byTo.appIsUas) return byTo;
    return undefined;
  }

  /** Same method, Call-ID, CSeq and top Via branch as a request already passed up. */
  private isRetransmission(m: ParsedSip): boolean {
    const branch = (v: string | undefined): string | undefined => (v ? /;\s*branch=([^;,\s]+)/i.exec(v)?.[1] : undefined);
    const b = branch(m.get('via'));
    if (!b) return false;
    return this.inboundTransactions.some(
      (t) =>
        t.delivered &&
        t.request !== undefined &&
        t.request.method === m.method &&
        t.request.callId === m.callId &&
        t.request.cseq?.seq === m.cseq?.seq &&
        branch(t.request.get('via')) === b,
    );
  }

  /** Round-robin over the connections that routed the method, as drachtio-server does. */
  private connFor(method: string): Conn | undefined {
    const verb = method.toLowerCase();
    const candidates = [...this.conns].filter((c) => !c.closed && c.authenticated && c.routes.has(verb));
    if (candidates.length === 0) return undefined;
    const n = this.roundRobin.get(verb) ?? 0;
    this.roundRobin.set(verb, n + 1);
    return candidates[n % candidates.length];
  }

  private firstConn(): Conn | undefined {
    return [...this.conns].find((c) => !c.closed && c.authenticated);
  }

  // ------------------------------------------------------------------------------------------
  // test (far end) → app: responses to the app's requests
  // ------------------------------------------------------------------------------------------

  /** @internal */
  respondToOutbound(req: OutboundRequest, status: number, opts: RespondOptions): RecordedResponse {
    if (req.method === 'ACK') throw new Error('fakeDrachtio: ACK has no response');
    if (req.finalStatus !== undefined && !(req.method === 'INVITE' && status >= 200 && status < 300 && req.finalStatus < 300)) {
      throw new Error(`fakeDrachtio: ${req.method} already has a final response (${req.finalStatus})`);
    }
    const m = req.message;
    const headers: Array<{ name: string; value: string }> = [];
    for (const v of m.getAll('via')) headers.push({ name: 'Via', value: v });
    headers.push({ name: 'From', value: m.get('from')! });
    let to = m.get('to')!;
    if (status > 100 && !tagOf(to)) to = sipText.nameAddr(to, opts.toTag ?? req.toTag);
    headers.push({ name: 'To', value: to });
    headers.push({ name: 'Call-ID', value: m.callId! });
    headers.push({ name: 'CSeq', value: m.get('cseq')! });
    const extra = headerEntries(opts.headers);
    const has = (n: string): boolean => extra.some((h) => canonicalHeaderName(h.name) === canonicalHeaderName(n));
    if (req.method === 'INVITE' && status > 100 && status < 300 && !has('contact')) {
      headers.push({ name: 'Contact', value: `<sip:${userOf(req.uri) || 'far'}@${req.farAddress}:${req.farPort}>` });
    }
    for (const h of extra) {
      if (['via', 'from', 'to', 'call-id', 'cseq', 'content-length'].includes(canonicalHeaderName(h.name))) continue;
      headers.push(h);
    }
    const body = opts.body ?? '';
    if (body && !has('content-type')) headers.push({ name: 'Content-Type', value: body.startsWith('v=0') ? 'application/sdp' : 'text/plain' });
    const text = serialiseSip(`SIP/2.0 ${status} ${opts.reason ?? STATUS_REASONS[status] ?? 'Unknown'}`, headers, body);
    const parsed = parseSip(text);
    const rec = makeRecordedResponse(parsed, 'far-end');
    req.responses.push(rec);

    const callId = m.callId!;
    let dialogId = req.dialogId;
    if (req.method === 'INVITE' && !dialogId) dialogId = `${callId};from-tag=${tagOf(m.get('from')) ?? ''}`;

    if (req.method === 'INVITE' && status >= 200 && !req.dialog?.appIsUas && !this.dialogs.has(dialogId)) {
      // initial INVITE from the app (a re-INVITE has req.dialogId of an existing dialog)
      if (status < 300) {
        const d: FakeDialog = {
          id: dialogId,
          callId,
          appIsUas: false,
          conn: req.conn,
          appNameAddr: m.get('from')!,
          appContactUri: uriOf(m.get('contact') ?? `<sip:${this.sipAddress}:${this.sipPort}>`),
          farNameAddr: to,
          farTargetUri: uriOf(parsed.get('contact') ?? `<${req.uri}>`),
          appCseq: m.cseq!.seq,
          farCseq: 100,
          inviteCseq: m.cseq!.seq,
          farAddress: req.farAddress,
          farPort: req.farPort,
          protocol: 'udp',
        };
        this.dialogs.set(dialogId, d);
        req.dialog = d;
        this.cdr('start', 'network', parsed, 'uac');
      } else {
        this.stackEvents.push(`stack ACKed ${status} to INVITE ${callId}`);
        this.failedUacInvites.add(dialogId);
        this.cdr('stop', 'network', parsed, status === 487 ? 'call-canceled' : 'call-rejected');
      }
    }
    if (req.method === 'BYE' && status >= 200 && req.dialogId) this.dialogs.delete(req.dialogId);

    if (!req.conn.closed) {
      const meta =
        `sip|network|${Buffer.byteLength(text, 'utf8')}|udp|${req.farAddress}|${req.farPort}|${stackTime()}|` +
        `${req.transactionId}|${dialogId}|`;
      this.sendToApp(req.conn, meta + CRLF + text);
    }
    this.signal.notify();
    return rec;
  }

  // ------------------------------------------------------------------------------------------
  // control protocol
  // ------------------------------------------------------------------------------------------

  private onConnection(socket: net.Socket): void {
    const conn: Conn = {
      id: this.nextConnId++,
      socket,
      buf: Buffer.alloc(0),
      authenticated: false,
      routes: new Set(),
      tags: [],
      closed: false,
    };
    this.conns.add(conn);
    this._totalConnections++;
    socket.setNoDelay(true);
    socket.on('data', (chunk) => this.onData(conn, chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      conn.closed = true;
      this.conns.delete(conn);
      for (const d of this.dialogs.values()) if (d.conn === conn) d.conn = null;
      this.signal.notify();
    });
    this.signal.notify();
  }

  private onData(conn: Conn, chunk: Buffer): void {
    conn.buf = Buffer.concat([conn.buf, chunk]);
    for (;;) {
      const hash = conn.buf.indexOf('#');
      if (hash < 0) {
        if (conn.buf.length > 10) this.protocolError(conn, 'missing length specifier');
        return;
      }
      const lenText = conn.buf.toString('utf8', 0, hash);
      if (!/^\d{1,6}$/.test(lenText)) return this.protocolError(conn, `invalid length specifier ${JSON.stringify(lenText)}`);
      const len = Number(lenText);
      if (conn.buf.length < hash + 1 + len) return;
      const msg = conn.buf.toString('utf8', hash + 1, hash + 1 + len);
      conn.buf = conn.buf.subarray(hash + 1 + len);
      this.wire.push({ direction: 'from-app', connection: conn.id, text: msg });
      try {
        this.onMessage(conn, msg);
      } catch (err) {
        this.stackEvents.push(`error handling app message: ${err instanceof Error ? err.stack : String(err)}`);
      }
    }
  }

  private protocolError(conn: Conn, why: string): void {
    this.stackEvents.push(`protocol error on connection ${conn.id}: ${why}; closing`);
    conn.socket.destroy();
  }

  private sendToApp(conn: Conn, body: string): void {
    if (conn.closed) return;
    const s = `${randomUUID()}|${body}`;
    this.wire.push({ direction: 'to-app', connection: conn.id, text: s });
    conn.socket.write(`${Buffer.byteLength(s, 'utf8')}#${s}`);
  }

  private apiResponse(conn: Conn, msgId: string, ok: boolean | 'NOK', rest?: string): void {
    const word = ok === true ? 'OK' : ok === 'NOK' ? 'NOK' : 'NO';
    this.sendToApp(conn, `response|${msgId}|${word}${rest !== undefined ? '|' + rest : ''}`);
  }

  private onMessage(conn: Conn, msg: string): void {
    const crlf = msg.indexOf(CRLF);
    const leader = crlf < 0 ? msg : msg.slice(0, crlf);
    const sip = crlf < 0 ? '' : msg.slice(crlf + 2);
    const tokens = leader.split('|');
    const msgId = tokens[0] ?? '';
    const verb = tokens[1];

    if (verb === 'authenticate') {
      conn.tags = tokens[3] ? tokens[3].split(',').filter(Boolean) : [];
      if (tokens[2] !== this.secret) {
        this.apiResponse(conn, msgId, false, 'incorrect secret');
        return;
      }
      conn.authenticated = true;
      const hp = `udp/${this.sipAddress}:${this.sipPort},tcp/${this.sipAddress}:${this.sipPort}`;
      this.apiResponse(conn, msgId, true, `${hp}|${SERVER_VERSION}|${hp}`);
      this.signal.notify();
      return;
    }
    if (!conn.authenticated) {
      this.apiResponse(conn, msgId, false, 'not authenticated');
      return;
    }
    switch (verb) {
      case 'ping':
        this.apiResponse(conn, msgId, true, 'pong');
        return;
      case 'route':
        conn.routes.add((tokens[2] ?? '').toLowerCase());
        this.apiResponse(conn, msgId, true);
        this.signal.notify();
        return;
      case 'remove_route':
        conn.routes.delete((tokens[2] ?? '').toLowerCase());
        this.apiResponse(conn, msgId, true);
        return;
      case 'sip':
        this.onAppSip(conn, msgId, tokens[2] ?? '', tokens[3] ?? '', tokens[4] || undefined, sip);
        return;
      case 'proxy':
        this.apiResponse(conn, msgId, false, 'proxy is not emulated by the fake drachtio server');
        return;
      default:
        this.apiResponse(conn, msgId, false, 'Unknown message type');
    }
  }

  private onAppSip(conn: Conn, msgId: string, txnId: string, dialogId: string, proxy: string | undefined, text: string): void {
    let m: ParsedSip;
    try {
      m = parseSip(text);
    } catch (err) {
      this.apiResponse(conn, msgId, 'NOK', `unparseable message from app: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    if (m.kind === 'response') {
      if (!txnId) return this.apiResponse(conn, msgId, false, 'transaction id missing');
      return this.appResponse(conn, msgId, txnId, m);
    }
    if (dialogId) return this.appRequestInDialog(conn, msgId, txnId, dialogId, m);
    if (txnId && m.method === 'CANCEL') return this.appCancel(conn, msgId, txnId, m);
    return this.appRequestOutsideDialog(conn, msgId, txnId, m, proxy);
  }

  /** The app answers a request from the network. */
  private appResponse(conn: Conn, msgId: string, txnId: string, appMsg: ParsedSip): void {
    const txn = this.inboundByTxn.get(txnId);
    const req = txn?.request;
    if (!txn || !req || txn.canceled || (txn.finalSent && !(req.method === 'INVITE' && appMsg.status! < 300 && appMsg.status! >= 200))) {
      const cseqMethod = appMsg.cseq?.method;
      return this.apiResponse(
        conn,
        msgId,
        'NOK',
        cseqMethod === 'CANCEL'
          ? '200 OK to incoming CANCEL is automatically generated by the stack'
          : 'Response not sent due to unknown transaction',
      );
    }
    const status = appMsg.status!;
    const isInvite = req.method === 'INVITE';
    const headers: Array<{ name: string; value: string }> = [];
    for (const v of req.getAll('via')) headers.push({ name: 'Via', value: v });
    headers.push({ name: 'From', value: req.get('from')! });
    let to = req.get('to')!;
    if (status > 100 && !tagOf(to)) {
      const appTag = tagOf(appMsg.get('to'));
      txn.toTag ??= appTag ?? newTag();
      to = sipText.nameAddr(to, txn.toTag);
    }
    headers.push({ name: 'To', value: to });
    headers.push({ name: 'Call-ID', value: req.callId! });
    headers.push({ name: 'CSeq', value: req.get('cseq')! });
    const skip = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length']);
    for (const h of appMsg.headerList) if (!skip.has(canonicalHeaderName(h.name))) headers.push(h);
    const body = appMsg.body;
    if (isInvite && status > 100 && status < 300 && !appMsg.has('contact')) {
      headers.push({ name: 'Contact', value: `<sip:${this.sipAddress}:${this.sipPort};transport=${txn.protocol}>` });
    }
    if (isInvite && status > 100 && status < 200 && /\b100rel\b/i.test(appMsg.get('require') ?? '')) headers.push({ name: 'RSeq', value: String(++this.rseq) });
    if (body && !appMsg.has('content-type') && body.startsWith('v=0')) headers.push({ name: 'Content-Type', value: 'application/sdp' });
    const text = serialiseSip(`SIP/2.0 ${status} ${appMsg.reason || STATUS_REASONS[status] || ''}`.trimEnd(), headers, body);
    const sent = parseSip(text);

    const callId = req.callId!;
    let dialogId = txn.dialogId;
    if (isInvite && !dialogId && status > 100) dialogId = `${callId};from-tag=${tagOf(req.get('from')) ?? ''}`;

    if (isInvite && status >= 200 && status < 300 && !this.dialogs.has(dialogId)) {
      const d: FakeDialog = {
        id: dialogId,
        callId,
        appIsUas: true,
        conn,
        appNameAddr: to,
        appContactUri: uriOf(sent.get('contact')!),
        farNameAddr: req.get('from')!,
        farTargetUri: uriOf(req.get('contact') ?? `<sip:${txn.sourceAddress}:${txn.sourcePort}>`),
        appCseq: 100,
        farCseq: req.cseq!.seq,
        inviteCseq: req.cseq!.seq,
        farAddress: txn.sourceAddress,
        farPort: txn.sourcePort,
        protocol: txn.protocol,
      };
      this.dialogs.set(dialogId, d);
      txn.dialog = d;
      this.cdr('start', 'application', sent, 'uas');
    } else if (isInvite && status >= 300 && !txn.dialogId) {
      this.cdr('stop', 'application', sent, 'call-rejected');
    }
    if (req.method === 'BYE' && status >= 200 && txn.dialogId) this.dialogs.delete(txn.dialogId);

    const data =
      `application|${Buffer.byteLength(text, 'utf8')}|${txn.protocol}|${txn.sourceAddress}|${txn.sourcePort}|` +
      `${stackTime()}|${txnId}|${dialogId}||Msg sent:|${CRLF}${text}`;
    this.apiResponse(conn, msgId, true, data);
    txn.push(makeRecordedResponse(sent, 'app'));

    if (isInvite && status >= 200 && status < 300 && txn.autoAck && txn.dialog) {
      // the calling UA ACKs the 2xx; the stack passes the ACK up inside the dialog
      setImmediate(() => {
        if (!conn.closed) txn.ack();
      });
    }
  }

  /** The app sends a request inside a dialog (BYE, re-INVITE, ACK, INFO, REFER, ...). */
  private appRequestInDialog(conn: Conn, msgId: string, txnId: string, dialogId: string, appMsg: ParsedSip): void {
    const method = appMsg.method!;
    const d = this.dialogs.get(dialogId);
    if (!d) {
      if (method === 'ACK' && this.failedUacInvites.has(dialogId)) {
        this.failedUacInvites.delete(dialogId);
        return this.apiResponse(conn, msgId, 'NOK', 'ACK for non-success responses is automatically generated by the stack');
      }
      return this.apiResponse(conn, msgId, 'NOK', 'Server error: unable to find dialog for dialog id provided');
    }
    const cseq = method === 'ACK' ? d.inviteCseq : ++d.appCseq;
    const headers: Array<{ name: string; value: string }> = [
      { name: 'Via', value: `SIP/2.0/UDP ${this.sipAddress}:${this.sipPort};branch=${newBranch()};rport` },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: d.appNameAddr },
      { name: 'To', value: d.farNameAddr },
      { name: 'Call-ID', value: d.callId },
      { name: 'CSeq', value: `${cseq} ${method}` },
    ];
    const skip = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards']);
    for (const h of appMsg.headerList) if (!skip.has(canonicalHeaderName(h.name))) headers.push(h);
    if (method === 'INVITE' && !appMsg.has('contact')) headers.push({ name: 'Contact', value: `<${d.appContactUri}>` });
    if (appMsg.body && !appMsg.has('content-type') && appMsg.body.startsWith('v=0')) {
      headers.push({ name: 'Content-Type', value: 'application/sdp' });
    }
    const text = serialiseSip(`${method} ${d.farTargetUri} SIP/2.0`, headers, appMsg.body);
    const sent = parseSip(text);
    const id = txnId || randomUUID();
    const data =
      `application|${Buffer.byteLength(text, 'utf8')}|${d.protocol}|${d.farAddress}|${d.farPort}|${stackTime()}|` +
      `${id}|Msg sent:|${CRLF}${text}`;
    this.apiResponse(conn, msgId, true, data);
    if (method === 'BYE') this.cdr('stop', 'application', sent, 'normal-release');
    this.recordOutbound(new OutboundRequest(this, conn, sent, id, d.id, undefined), d);
  }

  /** The app CANCELs an INVITE it sent. */
  private appCancel(conn: Conn, msgId: string, txnId: string, appMsg: ParsedSip): void {
    const invite = this.outboundByTxn.get(txnId);
    if (!invite || invite.method !== 'INVITE' || invite.finalStatus !== undefined || invite.cancelRequest) {
      return this.apiResponse(conn, msgId, 'NOK', `unable to cancel unknown transaction id: ${txnId}`);
    }
    const im = invite.message;
    const headers: Array<{ name: string; value: string }> = [
      { name: 'Via', value: im.get('via')! },
      { name: 'Max-Forwards', value: '70' },
      { name: 'From', value: im.get('from')! },
      { name: 'To', value: im.get('to')! },
      { name: 'Call-ID', value: im.callId! },
      { name: 'CSeq', value: `${im.cseq!.seq} CANCEL` },
    ];
    const skip = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards', 'content-type']);
    for (const h of appMsg.headerList) if (!skip.has(canonicalHeaderName(h.name))) headers.push(h);
    const text = serialiseSip(`CANCEL ${invite.uri} SIP/2.0`, headers, '');
    const sent = parseSip(text);
    const cancelTxn = randomUUID();
    const data =
      `application|${Buffer.byteLength(text, 'utf8')}|udp|${invite.farAddress}|${invite.farPort}|${stackTime()}|` +
      `${cancelTxn}|Msg sent:|${CRLF}${text}`;
    this.apiResponse(conn, msgId, true, data);
    const c = new OutboundRequest(this, conn, sent, cancelTxn, '', invite.proxy);
    c.cancels = invite;
    invite.cancelRequest = c;
    // the far end's 200 to the CANCEL is absorbed by the stack (drachtio-srf never sees it)
    c.responses.push(makeRecordedResponse(parseSip(serialiseSip('SIP/2.0 200 OK', headers.filter((h) => h.name !== 'Max-Forwards'), '')), 'server'));
    this.recordOutbound(c, undefined);
    if (this.autoRespond487OnCancel) {
      setImmediate(() => {
        if (invite.finalStatus === undefined) {
          this.stackEvents.push(`far end answered 487 to cancelled INVITE ${im.callId}`);
          invite.respond(487);
        }
      });
    }
  }

  /** The app sends a request outside any dialog (INVITE, MESSAGE, OPTIONS, ...). */
  private appRequestOutsideDialog(conn: Conn, msgId: string, txnIdIn: string, appMsg: ParsedSip, proxy: string | undefined): void {
    const method = appMsg.method!;
    const ruri = appMsg.uri!;
    // drachtio-server sends a request whose Call-ID belongs to a dialog inside that dialog
    const inDialog = [...this.dialogs.values()].find((d) => d.callId === appMsg.get('call-id'));
    if (inDialog) return this.appRequestInDialog(conn, msgId, txnIdIn, inDialog.id, appMsg);
    if (!/^(sips?|tel):/i.test(ruri)) return this.apiResponse(conn, msgId, 'NOK', `invalid request-uri: ${method} ${ruri} SIP/2.0`);
    const { host, port } = hostPortOf(ruri);
    if (host === this.sipAddress && port === this.sipPort) return this.apiResponse(conn, msgId, 'NOK', 'can not send request to myself');

    const contact = `<sip:${this.sipAddress}:${this.sipPort}>`;
    let from = appMsg.get('from') ?? contact;
    if (from.includes('localhost')) from = from.replace('localhost', `${this.sipAddress}:${this.sipPort}`);
    from = sipText.nameAddr(from, tagOf(from) ? undefined : newTag());
    const to = sipText.nameAddr(appMsg.get('to') ?? ruri);
    const callId = appMsg.get('call-id') ?? `${randomUUID()}`;
    // an app-supplied CSeq is kept (drachtio-srf's digest client bumps it when re-sending)
    const seq = appMsg.cseq?.seq ?? 1 + Math.floor(Math.random() * 30000);
    const body = appMsg.body;
    let contentType = appMsg.get('content-type');
    if (body && !contentType) {
      if (body.startsWith('v=0')) contentType = 'application/sdp';
      else return this.apiResponse(conn, msgId, 'NOK', 'missing content-type');
    }
    const headers: Array<{ name: string; value: string }> = [
      { name: 'Via', value: `SIP/2.0/UDP ${this.sipAddress}:${this.sipPort};branch=${newBranch()};rport` },
      // drachtio-server (sofia-sip) keeps a Max-Forwards the app gives, and adds 70 when it gives none
      { name: 'Max-Forwards', value: appMsg.get('max-forwards') ?? '70' },
      { name: 'From', value: from },
      { name: 'To', value: to },
      { name: 'Call-ID', value: callId },
      { name: 'CSeq', value: `${seq} ${method}` },
    ];
    if ((method === 'INVITE' || method === 'SUBSCRIBE') && !appMsg.has('contact')) headers.push({ name: 'Contact', value: contact });
    const skip = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'content-length', 'max-forwards', 'content-type']);
    for (const h of appMsg.headerList) if (!skip.has(canonicalHeaderName(h.name))) headers.push(h);
    if (contentType) headers.push({ name: 'Content-Type', value: contentType });
    const text = serialiseSip(`${method} ${ruri} SIP/2.0`, headers, body);
    const sent = parseSip(text);
    const txnId = txnIdIn || randomUUID();
    const dialogId = method === 'INVITE' || method === 'SUBSCRIBE' ? `${callId};from-tag=${tagOf(from)}` : '';
    const req = new OutboundRequest(this, conn, sent, txnId, method === 'INVITE' ? dialogId : '', proxy);
    const data =
      `application|${Buffer.byteLength(text, 'utf8')}|udp|${req.farAddress}|${req.farPort}|${stackTime()}|` +
      `${txnId}|Msg sent:|${CRLF}${text}`;
    this.apiResponse(conn, msgId, true, data);
    if (method === 'INVITE') this.cdr('attempt', 'application', sent);
    this.recordOutbound(req, undefined);
  }

  private recordOutbound(req: OutboundRequest, d: FakeDialog | undefined): void {
    if (d) req.dialog = d;
    if (req.method !== 'ACK' && req.method !== 'CANCEL') this.outboundByTxn.set(req.transactionId, req);
    this.outboundRequests.push(req);
    this.signal.notify();
  }

  /** CDRs go to a connection that routed `cdr:<type>`, as drachtio-server does when CDRs are on. */
  private cdr(type: 'attempt' | 'start' | 'stop', source: 'network' | 'application', msg: ParsedSip, extra?: string): void {
    const conn = this.connFor(`cdr:${type}`);
    if (!conn) return;
    this.sendToApp(conn, `cdr:${type}|${source}|${stackTime()}${extra && type !== 'attempt' ? '|' + extra : ''}${CRLF}${msg.raw}`);
  }
}
