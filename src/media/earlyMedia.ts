import type Mrf from 'drachtio-fsmrf';
import { callPathError } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';
import { reasonHeader } from '../sip/routing.js';
import { releaseWithCall } from './endpointRelease.js';
import type { CallMediaServer } from './mediaPool.js';
import type { NoticeLeg } from './noticeLeg.js';
import { PLAY_LIMIT_MS } from './prompts.js';

/**
 * How long FreeSWITCH has to end a recorded call's caller channel once the call is over. Under load it
 * was seen to keep one after the call's BYE, parked in uuid_bridge (a softphone hanging up right after
 * the answer): a kill by UUID ends a channel whatever its SIP dialog did.
 */
const CALLER_CHANNEL_GONE_MS = 5_000;

/**
 * An endpoint for the caller's media, released with the call; SIP INFO digits are passed into it.
 * When FreeSWITCH ends its channel (drachtio-fsmrf emits 'destroy' only then, not when we destroy it)
 * the call ends too: `whenGone` while the caller waits (503, unless the flow gives its own answer),
 * else a BYE. A command running on the channel may never complete, so the call must not wait for one.
 * A failure to make the endpoint is logged and yields undefined.
 */
async function mediaEndpoint(ctx: CallContext, server: CallMediaServer, whenGone: (ctx: CallContext) => void): Promise<Mrf.Endpoint | undefined> {
  const { session, services } = ctx;
  let endpoint: Mrf.Endpoint;
  try {
    endpoint = await server.createEndpoint({ remoteSdp: session.offer });
  } catch (error) {
    callPathError(services, 'media-endpoint', error, 'media server could not make an endpoint for the caller', { callId: session.callId });
    return undefined;
  }
  releaseWithCall(ctx, endpoint, 'caller');
  endpoint.once('destroy', () => {
    if (session.ended) return;
    services.logger.warn({ callId: session.callId }, "media server ended the caller's channel: ending the call");
    if (session.wanted) whenGone(ctx);
    else session.hangUp();
  });
  session.onInfoDigits((digits) => void endpoint.api('uuid_recv_dtmf', `${endpoint.uuid} ${digits}`).catch((error: unknown) => callPathError(services, 'info-digits', error, 'digits the caller sent by SIP INFO could not be passed to the media server', { callId: session.callId })));
  return endpoint;
}

/**
 * Puts the caller on a media-server endpoint in early media (183 with FreeSWITCH's SDP): prompts and
 * notices play, digits are collected, and the call's final response is still ours to give (the
 * callee's 200, or a 403 after a spoken refusal). The endpoint is released with the call.
 */
export async function earlyMediaEndpoint(ctx: CallContext, server: CallMediaServer, whenGone = mediaFailed): Promise<Mrf.Endpoint | undefined> {
  const { session } = ctx;
  const endpoint = await mediaEndpoint(ctx, server, whenGone);
  return endpoint && session.earlyMedia(endpoint.local.sdp) ? endpoint : undefined;
}

/**
 * A recorded call's caller side (noticeLeg.ts): FreeSWITCH's 183 passed to the caller, the notice
 * played by FreeSWITCH, resolved once it has ended. The leg is released with the call; FreeSWITCH
 * ending it ends the call as for an endpoint. Undefined when it could not be made, or the caller left.
 */
export async function noticeInEarlyMedia(ctx: CallContext, server: CallMediaServer, notice: string | undefined): Promise<NoticeLeg | undefined> {
  const { session, services } = ctx;
  let leg: NoticeLeg;
  try {
    leg = await server.createNoticeLeg({ offer: session.offer, notice, earlyMedia: (sdp) => session.earlyMedia(sdp), own: (release) => session.own(release), limitMs: PLAY_LIMIT_MS });
  } catch (error) {
    if (session.wanted) callPathError(services, 'media-endpoint', error, 'media server could not make an endpoint for the caller', { callId: session.callId });
    return undefined;
  }
  releaseWithCall(ctx, leg, 'caller');
  session.own(() => {
    leg.killIfLeft(CALLER_CHANNEL_GONE_MS).then(
      (killed) => killed && services.logger.warn({ callId: session.callId, channel: leg.uuid }, "media server kept the caller's channel after the call ended: killed it"),
      () => undefined, // the media server cannot be asked now: nothing more to do from here
    );
  });
  if (leg.noticeFailure !== undefined) {
    callPathError(services, 'notice', new Error(leg.noticeFailure), 'recording notice could not be played: the call goes on without the caller having heard it', { callId: session.callId, file: notice });
  }
  leg.dialog.once('destroy', () => {
    if (session.ended) return;
    services.logger.warn({ callId: session.callId }, "media server ended the caller's channel: ending the call");
    if (session.wanted) mediaFailed(ctx);
    else session.hangUp();
  });
  session.onInfoDigits((digits) => void leg.sendDigits(digits).catch((error: unknown) => callPathError(services, 'info-digits', error, 'digits the caller sent by SIP INFO could not be passed to the media server', { callId: session.callId })));
  return leg;
}

/**
 * Answers the caller straight onto a media-server endpoint (feature codes: nobody else is called). A
 * caller that made no offer is answered with FreeSWITCH's, and its answer, from its ACK, is offered to
 * the endpoint (which drachtio-srf had ACKed with no usable answer).
 */
export async function answeredEndpoint(ctx: CallContext, server: CallMediaServer): Promise<Mrf.Endpoint | undefined> {
  const { session, services } = ctx;
  const endpoint = await mediaEndpoint(ctx, server, mediaFailed);
  if (!endpoint) return undefined;
  const ackWith = session.madeOffer
    ? undefined
    : (answer: string | undefined) => {
        if (answer) endpoint.modify(answer).catch((error: unknown) => callPathError(services, 'media-endpoint', error, "the caller's answer could not be given to the media server: the caller hears nothing", { callId: session.callId }));
      };
  return (await session.bridge({ dialog: endpoint.dialog, ackWith }, { answerSdp: endpoint.local.sdp })) ? endpoint : undefined;
}

/**
 * The media server failed while the caller still waits (no endpoint, or FreeSWITCH hung it up): 503
 * with a Reason, as for any component that is down. Does nothing once the caller has an answer or left.
 */
export function mediaFailed(ctx: CallContext): void {
  ctx.session.respond(503, { ...reasonHeader(503, 'media-failed'), 'Retry-After': '30' }, 'failed');
}
