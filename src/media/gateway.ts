import type { CallContext, DecisionOf } from '../sip/context.js';
import type { CallMediaServer, MediaServerStatus } from './mediaPool.js';

/**
 * The media seam: recording notices, recording, PIN prompts, feature codes and spoken rejects run
 * through FreeSWITCH. The SIP actions ask `available` first; when it is false they follow DESIGN's
 * failure semantics for "FreeSWITCH unreachable" (recorded extensions per `noticeUnavailable`, PIN
 * entry and feature codes 503, rejects without a spoken reason) and do not call the methods below.
 * Emergency and hotline calls never come here, except to join Security to an emergency call once it is
 * connected (securityJoin.ts), which the call never waits for.
 */
export interface MediaGateway {
  readonly available: boolean;
  /** Says what the media side is, for the start-up log and /health. */
  readonly description: string;
  /** Each FreeSWITCH: connected or not, calls in progress on it (/health, /metrics). */
  readonly servers: readonly MediaServerStatus[];
  /** Notice first (the callee is rung only after it), then connected through FreeSWITCH and recorded. */
  recordedCall(ctx: CallContext<DecisionOf<'allow'>>, notice: string): Promise<void>;
  /** The PIN prompt, then the call decided again and connected, or a spoken refusal and 403. */
  pinCall(ctx: CallContext<DecisionOf<'pin-required'>>): Promise<void>;
  /** A feature code on the caller's own phone: lock, unlock (PIN prompt), change PIN. */
  feature(ctx: CallContext<DecisionOf<'feature'>>): Promise<void>;
  /** The refusal spoken in early media, then the status; false when this reason has no prompt. */
  announceReject(ctx: CallContext<DecisionOf<'reject'>>): Promise<boolean>;
  /** The media server of one call, for flows outside this interface (Security joined to an emergency call). */
  serverFor(ctx: CallContext): CallMediaServer;
}

const unavailable = () => Promise.reject(new Error('no media server'));

/** No FreeSWITCH configured: every media path is unavailable, and calls that need one say so. */
export const NO_MEDIA_SERVER: MediaGateway = {
  available: false,
  description: 'no media server configured (FREESWITCH_HOSTS and FREESWITCH_HOST unset)',
  servers: [],
  recordedCall: unavailable,
  pinCall: unavailable,
  feature: unavailable,
  announceReject: () => Promise.resolve(false),
  serverFor: () => ({ createEndpoint: unavailable, createNoticeLeg: unavailable, createBridgeLeg: unavailable }),
};
