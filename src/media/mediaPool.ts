import type Mrf from 'drachtio-fsmrf';
import { callPathError } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';
import { createBridgeLeg, type BridgeLeg } from './bridgeLeg.js';
import { tuneEndpointSocket } from './endpointSocket.js';
import { createNoticeLeg, type NoticeLeg, type NoticeLegRequest } from './noticeLeg.js';

/** Where one FreeSWITCH's media server comes from: its live ESL connection, or a stand-in in tests. */
export interface MediaServerSource {
  /** Undefined while this FreeSWITCH is unreachable. */
  readonly mediaServer: Mrf.MediaServer | undefined;
  readonly address: string;
}

/**
 * A call's media server as its flows see it: where its endpoints and legs are made. They are all made
 * on one FreeSWITCH, since the caller's side and the callee's leg are bridged inside it.
 */
export type CallMediaServer = Pick<Mrf.MediaServer, 'createEndpoint'> & {
  /** A recorded call's caller side, the notice played by FreeSWITCH's dialplan (noticeLeg.ts). */
  createNoticeLeg(request: NoticeLegRequest): Promise<NoticeLeg>;
  /** The callee's leg, on the server of the call's first endpoint. */
  createBridgeLeg(): Promise<BridgeLeg>;
};

/** One FreeSWITCH of the pool, for /health and /metrics. */
export interface MediaServerStatus {
  address: string;
  connected: boolean;
  /** Calls in progress that were given this server. */
  calls: number;
}

/**
 * A server that could not make an endpoint is tried after the others for this long, or until it is
 * connected again: a FreeSWITCH that refuses sessions costs each call a round trip, and one that does
 * not answer a SIP timeout.
 */
const FAILED_SERVER_LAST_MS = 30_000;

interface Member {
  readonly source: MediaServerSource;
  calls: number;
  /** When it was last chosen (a sequence number): among servers equally busy, the longest unchosen goes first. */
  chosenAt: number;
  /** Its last failure to make an endpoint: when (performance.now()), and on which connection. */
  failure: { at: number; server: Mrf.MediaServer } | undefined;
}

/**
 * The FreeSWITCH servers of this instance. A call goes to the connected server with the fewest calls in
 * progress (servers that failed lately last); when that server cannot make the call's first endpoint,
 * the call tries the next before it gives up. A call stays on the server that made its first endpoint
 * until it ends.
 */
export class MediaPool {
  private readonly members: readonly Member[];
  private choices = 0;

  constructor(sources: readonly MediaServerSource[]) {
    this.members = sources.map((source) => ({ source, calls: 0, chosenAt: 0, failure: undefined }));
  }

  /** At least one server is connected. */
  get available(): boolean {
    return this.members.some((m) => m.source.mediaServer !== undefined);
  }

  get description(): string {
    return `FreeSWITCH at ${this.members.map((m) => m.source.address).join(', ')}`;
  }

  get servers(): MediaServerStatus[] {
    return this.members.map((m) => ({ address: m.source.address, connected: m.source.mediaServer !== undefined, calls: m.calls }));
  }

  /** The media server of one call: chosen when its first endpoint is made, released when the call ends. */
  forCall(ctx: CallContext): CallMediaServer {
    let chosen: Member | undefined;
    const callServer = () => {
      if (!chosen) throw new Error("no media server chosen yet: a call's first endpoint chooses it");
      const server = chosen.source.mediaServer;
      if (!server) throw new Error(`FreeSWITCH at ${chosen.source.address} became unreachable during the call`);
      return server;
    };
    /** The call's first media: chooses its server; later ones go to the same server. */
    const onCallServer = async <T>(make: (server: Mrf.MediaServer) => Promise<T>): Promise<T> => {
      if (chosen) return make(callServer());
      const { made, member } = await this.firstMedia(ctx, make);
      chosen = member;
      ctx.session.own(() => member.calls--);
      return made;
    };
    return {
      createBridgeLeg: async () => createBridgeLeg(callServer()),
      createNoticeLeg: (request) => onCallServer((server) => createNoticeLeg(server, request)),
      createEndpoint: (opts) =>
        onCallServer(async (server) => {
          // drachtio-fsmrf writes into the options it is given: each server gets its own copy.
          const endpoint = await server.createEndpoint(opts && { ...opts });
          tuneEndpointSocket(endpoint);
          return endpoint;
        }),
    };
  }

  /** The call's first endpoint or leg, from the least busy connected server that can make it. */
  private async firstMedia<T>(ctx: CallContext, make: (server: Mrf.MediaServer) => Promise<T>): Promise<{ made: T; member: Member }> {
    const now = performance.now();
    const failedLately = ({ failure, source }: Member) => (failure && failure.server === source.mediaServer && now - failure.at < FAILED_SERVER_LAST_MS ? 1 : 0);
    const candidates = this.members
      .filter((m) => m.source.mediaServer !== undefined)
      .sort((a, b) => failedLately(a) - failedLately(b) || a.calls - b.calls || a.chosenAt - b.chosenAt);
    let failed: { error: unknown; address: string } | undefined;
    for (const member of candidates) {
      const server = member.source.mediaServer;
      if (!server) continue; // lost while an earlier candidate was tried
      if (failed) {
        const fields = { callId: ctx.session.callId, freeswitch: failed.address };
        callPathError(ctx.services, 'media-endpoint', failed.error, `FreeSWITCH at ${failed.address} could not make an endpoint: the call tries the next media server`, fields);
      }
      // Counted from now, so calls arriving together do not all pick the same server.
      member.calls++;
      member.chosenAt = ++this.choices;
      try {
        const made = await make(server);
        member.failure = undefined;
        return { made, member };
      } catch (error) {
        member.calls--;
        // A caller who left (a notice leg's INVITE cancelled) is no fault of the server's.
        if (!ctx.session.wanted) throw error;
        member.failure = { at: performance.now(), server };
        failed = { error, address: member.source.address };
      }
    }
    // The last failure is the flow's to log, count and answer.
    throw failed?.error ?? new Error('no media server is connected');
  }
}
