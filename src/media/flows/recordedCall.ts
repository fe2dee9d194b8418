import type { CallContext, DecisionOf } from '../../sip/context.js';
import { callerIdWithheld } from '../../sip/privacy.js';
import { allowedLeg } from '../../sip/routing.js';
import { connectThroughMedia, type MediaRecording } from '../connectThroughMedia.js';
import { mediaFailed, noticeInEarlyMedia } from '../earlyMedia.js';
import type { CallMediaServer } from '../mediaPool.js';

/** Who a recording is of, for its file name and sidecar. */
export interface RecordingMeta {
  ext: string;
  other: string;
  direction: 'outbound' | 'inbound' | 'internal';
  notice: string;
  at: number;
  callId: string;
  /** On the sidecar when the caller did not hear the notice: why (FreeSWITCH's playback result). */
  extra?: { noticeFailure: string };
}

/** Starts a recording's file and sidecar; undefined when it cannot be made (the call goes on, flagged). */
export type BeginRecording = (ctx: CallContext, meta: RecordingMeta) => Promise<MediaRecording | undefined>;

/** The recorded extension on this call: the caller's own recording wins, else the callee's. */
function recordedParty(ctx: CallContext): { ext: string; other: string; direction: RecordingMeta['direction'] } {
  const { from, to } = ctx.setup.call;
  const callerRecorded = ctx.plan.extensions.get(from)?.recordedNotice !== undefined;
  const direction = ctx.setup.inbound ? 'inbound' : ctx.decision.class === 'internal' ? 'internal' : 'outbound';
  return callerRecorded ? { ext: from, other: to, direction } : { ext: to, other: from, direction };
}

/**
 * Policy 4: the caller hears the notice in early media before the callee is called; if they hang up
 * during it, the callee is never rung. Then the call is connected through FreeSWITCH and recorded.
 * FreeSWITCH's dialplan plays the notice and answers the caller's leg when it has ended (noticeLeg.ts).
 */
export async function recordedCall(ctx: CallContext<DecisionOf<'allow'>>, server: CallMediaServer, begin: BeginRecording, notice: string): Promise<void> {
  const { session, plan, setup, services, decision } = ctx;
  const caller = await noticeInEarlyMedia(ctx, server, plan.notices.get(notice)?.audio);
  if (!caller) return mediaFailed(ctx);
  if (!session.wanted) return;
  const party = recordedParty(ctx);
  const leg = allowedLeg(plan, decision, setup, callerIdWithheld(session.req, plan, setup.call.to));
  const meta: RecordingMeta = { ...party, notice, at: services.now(), callId: session.callId };
  // The recording's own record must not claim a notice the caller never heard.
  if (caller.noticeFailure !== undefined) meta.extra = { noticeFailure: caller.noticeFailure };
  await connectThroughMedia(ctx, server, caller, leg.uri, leg.options, () => begin(ctx, meta));
}
