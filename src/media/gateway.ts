import type { CallContext, DecisionOf } from '../sip/context.js';

/**
 * The media seam: recording notices, recording, PIN prompts, feature codes and spoken rejects run
 * through FreeSWITCH. The SIP actions ask `available` first; when it is false they follow DESIGN's
 * failure semantics for "FreeSWITCH unreachable" (recorded extensions per `noticeUnavailable`, PIN
 * entry and feature codes 503, rejects without a spoken reason) and never call the methods below.
 */
export interface MediaGateway {
  readonly available: boolean;
  /** Says what the media side is, for the start-up log and /health. */
  readonly description: string;
  /** A feature code on the caller's own phone: lock, unlock (PIN prompt), change PIN. */
  feature(ctx: CallContext<DecisionOf<'feature'>>): Promise<void>;
}

/** No FreeSWITCH configured: every media path is unavailable, and calls that need one say so. */
export const NO_MEDIA_SERVER: MediaGateway = {
  available: false,
  description: 'no media server configured (FREESWITCH_HOST unset)',
  feature: () => Promise.reject(new Error('no media server')),
};
