import type { SecurityAlert } from '../../audit/securityAlert.js';
import type { CallContext, DecisionOf } from '../context.js';
import { callerLocation } from '../callerLocation.js';
import { emergencyOffer } from '../emergencySdp.js';
import { locatedBody } from '../locationByValue.js';
import { answerFailure, connectTo, type ConnectResult } from '../outboundCall.js';
import { emergencyCallback, shareCallback } from '../psapCallback.js';
import type { DialOptions } from '../session.js';
import { routeTo, uriTransport } from '../uri.js';

/** An emergency trunk that has not even rung by then is treated as failed and the next route is tried. */
const TRUNK_PROGRESS_TIMEOUT_MS = 5_000;
/**
 * What a trunk answers to a body it will not take (bad request, too large, unsupported media type,
 * bad location information: RFC 6442 §4.3, message too large).
 */
const CONTENT_REFUSALS = new Set([400, 413, 415, 424, 513]);
/** What drachtio-server answers itself when it cannot reach the trunk over a transport. */
const TRANSPORT_FAILURES = new Set([408, 503]);
/** A PSAP answers; this only bounds a leg that rings for ever. */
const ANSWER_TIMEOUT_MS = 600_000;

/** drachtio-server's own address as it writes it into Via, From and Contact (an IPv4 host:port is at most 21). */
const OWN_ADDRESS_ALLOWANCE = 24;
/** What drachtio-server 0.9 adds whatever the call (start line, Via, Max-Forwards, Call-ID, CSeq, ...), measured. */
const FIXED_HEADER_BYTES = 262;

/** What the emergency INVITE weighs besides its body, estimated on the generous side. */
function otherHeaderBytes(ours: Record<string, string>, routes: string[], callerName: string | undefined, callerNumber: string): number {
  const oursBytes = Object.entries(ours).reduce((n, [k, v]) => n + k.length + v.length + 4, 0);
  const host = Math.max(...routes.map((r) => r.length));
  return FIXED_HEADER_BYTES + oursBytes + 2 * host + 3 * OWN_ADDRESS_ALLOWANCE + 2 * ((callerName?.length ?? 0) + callerNumber.length);
}

/**
 * 999/112/911: straight to the emergency trunk with the callback number and the location by value;
 * Security Control is alerted in parallel, never awaited. A failing trunk falls back to the public
 * trunk with the same number, and Security is told.
 */
export async function emergencyCall(ctx: CallContext<DecisionOf<'emergency'>>): Promise<void> {
  const { session, decision, plan, setup, services } = ctx;
  session.dropSessionTimer();
  const caller = plan.extensions.get(setup.call.from);
  const number = (decision.destination?.class === 'emergency' && decision.destination.shortCode) || setup.call.to;
  const { callback, hold } = emergencyCallback(services, plan, { callId: session.callId, ext: setup.call.from, dialled: number }, decision.alert);
  const theirs = callerLocation(session.req, services.trusted.has(session.req.source_address));
  const notes = [
    setup.callerUnreadable && `caller unknown (${setup.callerUnreadable}): the site's callback number and address were sent`,
    // Security must not take the plan's room for certain when the phone says it is somewhere else.
    theirs?.values.length && "the caller's phone sent a location of its own, passed to the emergency service before this one",
  ].filter(Boolean);
  const alert: SecurityAlert = {
    kind: 'emergency',
    ext: setup.call.from,
    name: caller?.name,
    dialled: number,
    callback,
    callbackUntil: hold && new Date(hold.until).toISOString(),
    location: decision.alert.location ?? '',
    at: new Date(services.now()).toISOString(),
    callId: session.callId,
    note: notes.length > 0 ? notes.join('; ') : undefined,
  };
  services.alerts.send(alert);
  services.securityJoins?.emergency(ctx);

  const routes = [decision.trunk, plan.site.routes.external];
  const ours = { 'P-Asserted-Identity': `<tel:${callback}>`, Priority: 'emergency' };
  // Only our own extensions present themselves; anyone else shows the callback number.
  const callingNumber = caller ? setup.callerNumber : callback;
  if (theirs) services.logger.info({ callId: session.callId, values: theirs.values.length, dropped: theirs.dropped }, "the caller sent its own location: passed on before the site's");
  const located = (withTheirs: boolean): Located => {
    const body = locatedBody(emergencyOffer(session.offer ?? ''), callback, decision.alert.address, decision.alert.location, otherHeaderBytes(ours, routes, setup.callerName, callingNumber), withTheirs ? theirs : undefined);
    const options = {
      headers: { ...body.headers, ...ours },
      body: body.body,
      callingNumber,
      callingName: setup.callerName,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      progressTimeoutMs: TRUNK_PROGRESS_TIMEOUT_MS,
      progress: 'early-media' as const,
      // A softphone's hold, resume or new address offers its whole codec list again: the trunk gets what it got first.
      reoffer: emergencyOffer,
    };
    return { options, fitsUdp: body.fitsUdp };
  };
  const own = located(false);
  const both = theirs?.values.length ? located(true) : undefined;
  // Over UDP the caller's location goes only in an INVITE that still fits one datagram; a trunk
  // refusing what it added gets the INVITE again with the site's alone.
  const place = async (route: string): Promise<ConnectResult> => {
    const uri = routeTo(route, number);
    if (!both) return placeWhole(ctx, uri, own, own);
    const result = await placeWhole(ctx, uri, both, both.fitsUdp ? both : own);
    if (result.kind !== 'failed' || !CONTENT_REFUSALS.has(result.status)) return result;
    services.logger.warn({ callId: session.callId, route, status: result.status }, "emergency INVITE refused with the caller's own location: sent again with the site's alone");
    return placeWhole(ctx, uri, own, own);
  };
  const first = place(decision.trunk);
  // Shared once the INVITE is on its way: the emergency call never waits for Redis.
  if (hold) shareCallback(services, hold);
  let result: ConnectResult = await first;
  if (result.kind === 'failed' || result.kind === 'no-answer') {
    const why = result.kind === 'failed' ? `answered ${result.status}` : 'did not respond';
    services.logger.error({ callId: session.callId, trunk: decision.trunk, why }, 'emergency trunk failed: trying the public trunk');
    services.alerts.send({ ...alert, note: `emergency trunk ${why}; routed via the public trunk` });
    result = await place(plan.site.routes.external);
    if (result.kind === 'failed' || result.kind === 'no-answer') services.alerts.send({ ...alert, note: 'emergency call failed on every route' });
  }
  answerFailure(ctx, result);
}

/** An emergency INVITE's options, and whether it fits one UDP datagram. */
interface Located {
  options: DialOptions;
  fitsUdp: boolean;
}

/**
 * Places the emergency INVITE whole. One too large for a UDP datagram goes over TCP (RFC 3261
 * §18.1.1) unless the route names its transport; whatever goes over UDP instead (the route says so,
 * or the trunk will not take TCP) is `overUdp`, sent as it is, fragmented if it must be, rather than
 * with part of the site's location.
 */
async function placeWhole(ctx: CallContext, uri: string, whole: Located, overUdp: Located): Promise<ConnectResult> {
  const { logger } = ctx.services;
  // A trunk redirecting a 999 has failed it: the call goes on to the next route. Followed, a redirect
  // to an emergency number is another emergency call, to the same trunk, without end.
  const dial = (to: string, options: DialOptions) => connectTo(ctx, to, options, 'fail');
  const named = uriTransport(uri);
  if (whole.fitsUdp || (named && named !== 'udp')) return dial(uri, whole.options);
  if (named === 'udp') {
    if (!overUdp.fitsUdp) logger.warn({ callId: ctx.session.callId, uri }, 'emergency INVITE larger than one UDP datagram sent over UDP: the route names transport=udp');
    return dial(uri, overUdp.options);
  }
  // drachtio-server would otherwise copy the transport into To as a header parameter.
  const overTcp = await dial(`${uri};transport=tcp`, { ...whole.options, headers: { ...whole.options.headers, To: `<${uri}>` } });
  // A trunk that answered over TCP has taken TCP: only no connection (drachtio-server's 503), its
  // timeout (408) or silence until the progress timeout (a firewall dropping TCP) sends it over UDP.
  const unreached = overTcp.kind === 'failed' ? TRANSPORT_FAILURES.has(overTcp.status) : overTcp.kind === 'no-answer' && !overTcp.rang;
  if (!unreached) return overTcp;
  const status = overTcp.kind === 'failed' ? overTcp.status : 'no reply';
  logger.warn({ callId: ctx.session.callId, uri, status, withoutCallerLocation: overUdp !== whole }, `emergency trunk did not take the INVITE over TCP: sent over UDP${overUdp.fitsUdp ? '' : ' as it is, larger than one datagram'}`);
  return dial(uri, overUdp.options);
}
