import Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';

/** Back-off between ESL connection attempts: doubles from 1 s up to this. */
const RETRY_MAX_MS = 30_000;

export interface FreeswitchSettings {
  host: string;
  port: number;
  secret: string;
  /** Where FreeSWITCH's outbound event socket reaches this process (drachtio-fsmrf listens there). */
  listenAddress: string;
}

/**
 * The event-socket connection to FreeSWITCH through drachtio-fsmrf: retried with bounded back-off, an
 * outage logged once and its end logged once. `mediaServer` is undefined while FreeSWITCH is away,
 * and calls then follow DESIGN's "FreeSWITCH unreachable" rules.
 */
export class FreeswitchConnection {
  private server: Mrf.MediaServer | undefined;
  private retryMs = 1_000;
  private timer: NodeJS.Timeout | undefined;
  private outage = false;
  private closed = false;

  constructor(
    private readonly srf: Srf,
    private readonly settings: FreeswitchSettings,
    private readonly logger: Logger,
  ) {}

  get mediaServer(): Mrf.MediaServer | undefined {
    return this.server?.connected() ? this.server : undefined;
  }

  get address(): string {
    return `${this.settings.host}:${this.settings.port}`;
  }

  start(): void {
    void this.attempt();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    try {
      this.server?.disconnect();
    } catch {
      // already gone
    }
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      const mrf = new Mrf(this.srf);
      const { host, port, secret, listenAddress } = this.settings;
      const server = await mrf.connect({ address: host, port, secret, listenAddress });
      if (this.closed) return server.disconnect();
      this.server = server;
      this.retryMs = 1_000;
      this.logger.info({ freeswitch: this.address }, this.outage ? 'FreeSWITCH reachable again' : 'connected to FreeSWITCH');
      this.outage = false;
      server.once('end', () => this.lost('event socket closed'));
      server.on('error', (error: Error) => this.lost(error.message));
    } catch (error) {
      this.lost((error as Error).message);
    }
  }

  private lost(why: string): void {
    if (this.closed) return;
    this.server = undefined;
    if (!this.outage) this.logger.error({ freeswitch: this.address, why }, 'FreeSWITCH unreachable: media paths follow the failure rules until it is back');
    this.outage = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}
