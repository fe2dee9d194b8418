// The parts of drachtio-fsmrf 4.1.2 callguard uses; the package ships no typings.
declare module 'drachtio-fsmrf' {
  import type { EventEmitter } from 'node:events';
  import type Srf from 'drachtio-srf';

  namespace Mrf {
    interface PlayResult {
      playbackSeconds?: string;
      playbackMilliseconds?: string;
    }
    interface PlayCollectOptions {
      file: string;
      min?: number;
      max?: number;
      tries?: number;
      /** ms to wait for the first digit */
      timeout?: number;
      terminators?: string;
      invalidFile?: string;
      regexp?: string;
      /** ms to wait between digits */
      digitTimeout?: number;
    }
    interface PlayCollectResult {
      digits?: string;
      terminatorUsed?: string;
    }
    interface EslEvent {
      getHeader(name: string): string | undefined;
      /** An API command's answer: "+OK ..." or "-ERR <why>". */
      getBody(): string | undefined;
    }
    interface Endpoint extends EventEmitter {
      readonly uuid: string;
      readonly dialog: Srf.Dialog;
      readonly local: { sdp: string };
      readonly connected: boolean;
      play(file: string | string[]): Promise<PlayResult>;
      playCollect(opts: PlayCollectOptions): Promise<PlayCollectResult>;
      execute(app: string, arg?: string): Promise<EslEvent>;
      api(command: string, args?: string | string[]): Promise<EslEvent>;
      set(name: string | Record<string, string | number | boolean>, value?: string): Promise<unknown>;
      bridge(other: Endpoint | string): Promise<unknown>;
      modify(sdp: string): Promise<unknown>;
      /** Runs the `conference` app (`name@profile+flags{...}`); resolves once the endpoint is a member. */
      join(conference: string, opts?: { profile?: string; flags?: Record<string, boolean> }): Promise<{ memberId: number; confUuid: string }>;
      destroy(): Promise<void>;
    }
    interface MediaServer extends EventEmitter {
      readonly address: string;
      /** The Srf the endpoints' INVITEs go through. */
      readonly srf: Srf;
      /** The SIP profile's address (host:port), read from `sofia status` when connected. */
      readonly sip: { ipv4: { udp: { address?: string } } };
      createEndpoint(opts?: { remoteSdp?: string; codecs?: string | string[]; headers?: Record<string, string> }): Promise<Endpoint>;
      connectCaller(req: Srf.SrfRequest, res: Srf.SrfResponse, opts?: { headers?: Record<string, string> }): Promise<{ endpoint: Endpoint; dialog: Srf.Dialog }>;
      /** An API command on the inbound event socket; resolves with its answer ("+OK ..." or "-ERR <why>"). */
      api(command: string): Promise<string>;
      connected(): boolean;
      disconnect(): void;
    }
    interface ConnectOptions {
      address: string;
      port: number;
      secret: string;
      listenAddress?: string;
      listenPort?: number;
      advertisedAddress?: string;
      profile?: string;
    }
  }

  class Mrf extends EventEmitter {
    constructor(srf: Srf, opts?: Record<string, unknown>);
    connect(opts: Mrf.ConnectOptions): Promise<Mrf.MediaServer>;
  }
  export = Mrf;
}
