/**
 * The media seam: recording notices, recording and PIN prompts run through FreeSWITCH. Calls that need
 * media ask `available` first; when it is false they follow DESIGN's failure semantics for
 * "FreeSWITCH unreachable" (recorded extensions per `noticeUnavailable`, PIN entry 503).
 */
export interface MediaGateway {
  readonly available: boolean;
  /** Says what the media side is, for the start-up log and /health. */
  readonly description: string;
}

/** No FreeSWITCH configured: every media path is unavailable, and calls that need one say so. */
export const NO_MEDIA_SERVER: MediaGateway = { available: false, description: 'no media server configured (FREESWITCH_HOST unset)' };
