import Srf from 'drachtio-srf';
import type { Logger } from 'pino';

/** Reconnect back-off tops out here, so a restarted drachtio-server is found again within seconds. */
const RETRY_MAX_DELAY_MS = 5_000;
const PING_INTERVAL_MS = 10_000;

export interface DrachtioEvents {
  /** Every change between connected and not (the metric). */
  changed(connected: boolean): void;
  /** The first connection: from here on calls come in. `sip` is drachtio-server's SIP address. */
  firstConnected(sip: string): void;
}

/** Why the connection is not up, as far as the log is concerned: it is logged when this changes. */
type Problem = { kind: 'refused'; why: string } | { kind: 'unreachable' };

/**
 * The inbound connection to drachtio-server's control port: pinged, reconnected with bounded back-off.
 * A problem is logged once and again only when it changes: drachtio-srf retries a refused login (wrong
 * secret) every quarter second, and a lost connection every few seconds, each attempt an event.
 */
export class DrachtioConnection {
  readonly srf = new Srf();
  private up = false;
  private everConnected = false;
  private problem: Problem | undefined;

  constructor(
    private readonly options: { host: string; port: number; secret: string },
    private readonly logger: Logger,
    private readonly events: DrachtioEvents,
  ) {
    const srf = this.srf;
    srf.on('connect', (error: Error | null, hostport: string) => {
      if (error) return this.report({ kind: 'refused', why: error.message });
      this.up = true;
      this.events.changed(true);
      if (this.everConnected) this.logger.info({ drachtio: this.address, sip: hostport }, 'drachtio-server connection restored');
      else this.events.firstConnected(hostport);
      this.problem = undefined;
      this.everConnected = true;
    });
    srf.on('error', (error: Error) => this.lost(error.message));
    (srf as unknown as NodeJS.EventEmitter).on('close', () => this.lost('connection closed'));
  }

  get connected(): boolean {
    return this.up;
  }

  private get address(): string {
    return `${this.options.host}:${this.options.port}`;
  }

  connect(): void {
    this.srf.connect({
      ...this.options,
      enablePing: true,
      pingInterval: PING_INTERVAL_MS,
      reconnect: { retryMaxDelay: RETRY_MAX_DELAY_MS },
    } as Srf.SrfConfig);
  }

  /** Sends a request outside any dialog and resolves with the final status (drachtio-server times it out). */
  request(uri: string, method: Srf.SipMethod, headers: Record<string, string>, body: string): Promise<number> {
    // drachtio-srf's typings miss the (uri, opts, callback) form its code supports. The callback runs as
    // drachtio-server confirms the send, so the listener is in place before a response that arrives in
    // the same read; after an `await` it would be too late and the response lost.
    const send = this.srf.request as unknown as (uri: string, opts: object, callback: (error: Error | null, req: NodeJS.EventEmitter) => void) => void;
    return new Promise<number>((resolve, reject) => {
      send.call(this.srf, uri, { method, headers, body }, (error, req) => {
        if (error) return reject(error);
        const onResponse = (res: { status: number }) => {
          if (res.status >= 200) resolve(res.status);
          else req.once('response', onResponse);
        };
        req.once('response', onResponse);
      });
    });
  }

  disconnect(): void {
    try {
      this.srf.disconnect();
    } catch {
      // never connected: drachtio-srf asserts on a socket it does not have
    }
  }

  private lost(why: string): void {
    if (this.up) {
      this.up = false;
      this.events.changed(false);
    }
    // drachtio-server closes the socket of a refused login: the refusal is the news, not the close.
    if (this.problem?.kind === 'refused' && why === 'connection closed') return;
    this.report({ kind: 'unreachable' }, why);
  }

  private report(problem: Problem, why = problem.kind === 'refused' ? problem.why : ''): void {
    const same = this.problem?.kind === problem.kind && (problem.kind === 'unreachable' || (this.problem as typeof problem).why === problem.why);
    this.problem = problem;
    if (same) return;
    if (problem.kind === 'refused') this.logger.error({ drachtio: this.address, err: why }, 'drachtio-server refused the connection (wrong DRACHTIO_SECRET?): retrying');
    else this.logger.error({ drachtio: this.address, why }, this.everConnected ? 'drachtio-server connection lost: reconnecting' : 'cannot reach drachtio-server: retrying');
  }
}
