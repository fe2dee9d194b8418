import Srf from 'drachtio-srf';
import type { Logger } from 'pino';

/** Reconnect back-off tops out here, so a restarted drachtio-server is found again within seconds. */
const RETRY_MAX_DELAY_MS = 5_000;
const PING_INTERVAL_MS = 10_000;

/**
 * The inbound connection to drachtio-server's control port: pinged, reconnected with bounded back-off,
 * and a lost connection logged once per outage (not once per attempt).
 */
export class DrachtioConnection {
  readonly srf = new Srf();
  private up = false;
  private outage = false;
  private everConnected = false;

  constructor(
    private readonly options: { host: string; port: number; secret: string },
    private readonly logger: Logger,
    private readonly onChange: (connected: boolean) => void,
  ) {
    const srf = this.srf;
    srf.on('connect', (error: Error | null, hostport: string) => {
      if (error) {
        this.logger.error({ err: error.message }, 'drachtio-server refused the connection (wrong DRACHTIO_SECRET?)');
        return;
      }
      this.up = true;
      this.onChange(true);
      if (this.outage) this.logger.info({ hostport }, 'drachtio-server connection restored');
      else if (!this.everConnected) this.logger.info({ drachtio: `${options.host}:${options.port}`, sip: hostport }, 'connected to drachtio-server');
      this.outage = false;
      this.everConnected = true;
    });
    srf.on('error', (error: Error) => this.lost(error.message));
    (srf as unknown as NodeJS.EventEmitter).on('close', () => this.lost('connection closed'));
  }

  get connected(): boolean {
    return this.up;
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
    const wasUp = this.up;
    this.up = false;
    if (wasUp) this.onChange(false);
    if (this.outage) return;
    this.outage = true;
    this.logger.error({ drachtio: `${this.options.host}:${this.options.port}`, why }, this.everConnected ? 'drachtio-server connection lost: reconnecting' : 'cannot reach drachtio-server: retrying');
  }
}
