import Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import { probeEventSocket } from './eslProbe.js';

/** Back-off between ESL connection attempts: doubles from 1 s up to this. */
const RETRY_MAX_MS = 30_000;
const RETRY_FIRST_MS = 1_000;

export interface FreeswitchSettings {
  host: string;
  port: number;
  secret: string;
  /** Where FreeSWITCH's outbound event socket reaches this process (drachtio-fsmrf listens there). */
  listenAddress: string;
}

/** Opens the event socket to one FreeSWITCH (drachtio-fsmrf's Mrf.connect; a stand-in in tests). */
export type ConnectMediaServer = (settings: FreeswitchSettings) => Promise<Mrf.MediaServer>;

/** drachtio-fsmrf's Mrf.connect, once a probe of our own has found FreeSWITCH ready for it (see eslProbe). */
export function connectThroughMrf(srf: Srf): ConnectMediaServer {
  return async ({ host, port, secret, listenAddress }) => {
    await probeEventSocket({ host, port, secret });
    return new Mrf(srf).connect({ address: host, port, secret, listenAddress });
  };
}

/**
 * The event-socket connection to one FreeSWITCH: retried with bounded back-off, an outage logged once
 * and its end logged once. `mediaServer` is undefined while FreeSWITCH is away; the media pool then
 * sends calls to its other servers, and with none left calls follow DESIGN's "FreeSWITCH unreachable" rules.
 */
export class FreeswitchConnection {
  private server: Mrf.MediaServer | undefined;
  private retryMs = RETRY_FIRST_MS;
  private timer: NodeJS.Timeout | undefined;
  private outage = false;
  private closed = false;

  constructor(
    private readonly connect: ConnectMediaServer,
    private readonly settings: FreeswitchSettings,
    private readonly logger: Logger,
  ) {}

  get mediaServer(): Mrf.MediaServer | undefined {
    return this.server?.connected() ? this.server : undefined;
  }

  get address(): string {
    const { host, port } = this.settings;
    return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  }

  start(): void {
    void this.attempt();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (this.server) release(this.server);
  }

  private async attempt(): Promise<void> {
    if (this.closed) return;
    try {
      const server = await this.connect(this.settings);
      if (this.closed) return release(server);
      this.server = server;
      this.retryMs = RETRY_FIRST_MS;
      this.logger.info({ freeswitch: this.address }, this.outage ? 'FreeSWITCH reachable again' : 'connected to FreeSWITCH');
      this.outage = false;
      server.once('end', () => this.lost(server, 'event socket closed'));
      server.on('error', (error: Error) => this.lost(server, error.message));
    } catch (error) {
      this.retry((error as Error).message);
    }
  }

  private lost(server: Mrf.MediaServer, why: string): void {
    if (this.closed || server !== this.server) return;
    this.server = undefined;
    // Now, while its socket is closing: modesl would otherwise reconnect it on its own, beside ours.
    release(server);
    this.retry(why);
  }

  private retry(why: string): void {
    if (this.closed) return;
    if (!this.outage) this.logger.error({ freeswitch: this.address, why }, 'FreeSWITCH unreachable: new media calls go to the other media servers, if any, until it is back');
    this.outage = true;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.attempt(), this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }
}

function release(server: Mrf.MediaServer): void {
  try {
    server.disconnect();
  } catch {
    // already gone
  }
}
