import type Mrf from 'drachtio-fsmrf';
import type Srf from 'drachtio-srf';
import { callPathError } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';
import type { BridgeLeg } from './bridgeLeg.js';

/**
 * Endpoints and bridge legs whose SIP dialog is a leg of a connected call. The call's session BYEs
 * every leg when the call ends and FreeSWITCH hangs the channel up on that BYE; drachtio-fsmrf's
 * destroy() would send a hang-up over the event socket as well and be answered with a
 * CHANNEL_EXECUTE_COMPLETE carrying every channel variable (8 kB), for a channel already going.
 */
const endedWithTheirCall = new WeakSet<Srf.Dialog>();

/** drachtio-srf clears `connected` once a BYE has ended the dialog, from either side (not in its typings). */
const dialogOver = (dialog: object) => (dialog as { connected?: boolean }).connected === false;

/**
 * Releases an endpoint (over its event socket) or a bridge leg (by BYE) when the call ends, unless its
 * dialog ends with the call. Releasing one FreeSWITCH already ended succeeds: a failure may leave its
 * channel behind.
 */
export function releaseWithCall(ctx: CallContext, media: Mrf.Endpoint | BridgeLeg, whose: 'caller' | 'callee'): void {
  const { session, services } = ctx;
  session.own(() => {
    if (endedWithTheirCall.has(media.dialog)) return;
    const released = 'destroy' in media ? media.destroy() : dialogOver(media.dialog) ? Promise.resolve() : Promise.resolve(media.dialog.destroy());
    void released.catch((error: unknown) => callPathError(services, 'media-release', error, `media server could not release the ${whose}'s endpoint`, { callId: session.callId }));
  });
}

/** Their dialogs are legs of the connected call now: the session's BYE releases them. */
export function endWithCall(...media: { dialog: Srf.Dialog }[]): void {
  for (const m of media) endedWithTheirCall.add(m.dialog);
}
