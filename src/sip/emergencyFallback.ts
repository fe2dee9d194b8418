import type Srf from 'drachtio-srf';
import { emergencyAlert } from '../policy/decide.js';
import type { EmergencyAlert } from '../policy/decision.js';
import type { Extension, Plan } from '../policy/plan.js';
import type { CallbackHold } from '../policy/psapCallback.js';
import { callSetup } from './callSetup.js';
import { callPathError } from './callPathError.js';
import type { EdgeServices } from './context.js';
import { emergencyOffer } from './emergencySdp.js';
import { pidfLo, sdpWithLocation } from './locationByValue.js';
import { LegFailure, placeOfferless, type OfferlessLeg } from './offerlessLeg.js';
import { outgoingInvite } from './outgoingInvite.js';
import { emergencyCallback, shareCallback } from './psapCallback.js';
import { CallerProgress, NO_PRACK, progressMode, type ProgressMode } from './reliableProgress.js';
import { answerCallerEarlyUpdate, type EarlyUpdates } from './renegotiation.js';
import { sdpOfMessage } from './sdpOffer.js';
import { dialledNumber } from './serviceUrn.js';
import { sendableStatus, sendingKnownStatuses } from './sipStatus.js';
import type { Disposition, HandedOverCall } from './session.js';
import { safely } from './teardown.js';
import { parsedNameAddr, routeTo } from './uri.js';

/**
 * The last line for 999/112/911: when the pipeline itself fails (a bug, a throw anywhere before or
 * while the call is carried out), an emergency number in the Request-URI still goes to the emergency
 * trunk. It takes none of our call handling: drachtio-srf's own B2BUA places it, with the caller's
 * callback number and location when the caller can still be read (else the site's), and Security is
 * told. Returns false when the call is not an emergency call or has already been answered, so the
 * caller gets the usual 500.
 */
export function routeEmergencyAnyway(services: EdgeServices, req: Srf.SrfRequest, res: Srf.SrfResponse, error: unknown): HandedOverCall | false {
  if (res.finalResponseSent) return false;
  let number: string;
  let plan: Plan;
  try {
    plan = services.plan();
    const user = dialledNumber(plan, req.uri);
    const destination = user.ok ? plan.classify(user.user) : undefined;
    if (!user.ok || destination?.class !== 'emergency') return false;
    number = destination.shortCode ?? user.user;
  } catch {
    return false;
  }
  const { logger, metrics } = services;
  const callId = req.get('call-id') ?? '';
  logger.error({ callId, dialled: number, err: (error as Error)?.message, stack: (error as Error)?.stack }, 'call handling failed on an emergency call: routing it to the emergency trunk directly');
  metrics.emergencyFallbacks.inc();
  const { caller, alert, callback, hold } = whoCalled(services, plan, req, callId, number);
  const headers: Record<string, string> = { 'P-Asserted-Identity': `<tel:${callback}>`, Priority: 'emergency' };
  const offer = sdpOfMessage(req);
  let body = offer;
  try {
    // The trunk is offered G.711 audio, as on the usual route: a softphone's whole offer beside the PIDF-LO is too large for one datagram.
    const located = sdpWithLocation(offer ? emergencyOffer(offer) : '', pidfLo(callback, alert.address, alert.location));
    Object.assign(headers, located.headers);
    body = located.body;
  } catch (locationError) {
    // the caller's offer alone: the call matters more than its location
    callPathError(services, 'emergency-location', locationError, 'emergency call sent without its location: the PIDF-LO could not be built', { callId });
  }
  const uri = routeTo(plan.site.emergencyTrunk, number);
  // drachtio-srf's B2BUA sends a 1xx reliably, and waits for its PRACK before the 2xx, when it carries Require: 100rel.
  const mode = progressMode(req, services.trusted);
  const responseHeaders = mode === 'reliable' ? (response: Srf.SrfResponse) => (response.status < 200 ? { require: '100rel' } : {}) : undefined;
  const placed = offer
    ? // drachtio-srf throws on a status it does not know: the trunk's 1xx go through sendingKnownStatuses, its failure is answered below (608).
      services.srf.createB2BUA(req, sendingKnownStatuses(res), uri, { headers, localSdpB: body, responseHeaders, passProvisionalResponses: mode !== 'silent', passFailure: false } as Srf.CreateB2BUAOptions)
    : offerlessB2bua(services.srf, req, res, uri, headers, body, mode);
  let connected: Srf.Dialog[] = [];
  const ended = placed.then(
    ({ uas, uac }) => {
      connected = [uas, uac];
      uas.on('destroy', () => uac.destroy(undefined, () => {}));
      uac.on('destroy', () => uas.destroy(undefined, () => {}));
      return new Promise<Disposition>((resolve) => {
        for (const dialog of connected) dialog.on('destroy', () => resolve('answered'));
      });
    },
    (failure: { status?: number }): Disposition => {
      logger.error({ callId, status: failure?.status }, 'emergency call failed on the direct route too');
      if (!res.finalResponseSent) safely(() => res.send(sendableStatus(failure?.status ?? 500)));
      return failure?.status === 487 ? 'cancelled' : 'failed';
    },
  );
  // This route must not throw once the call is placed.
  if (hold) safely(() => shareCallback(services, hold));
  try {
    services.alerts.send({
      kind: 'emergency',
      ext: caller?.ext ?? '',
      name: caller?.name,
      dialled: number,
      callback,
      callbackUntil: hold && new Date(hold.until).toISOString(),
      location: caller ? (alert.location ?? '') : `${Object.values(plan.site.address).join(', ')} (caller unknown)`,
      at: new Date().toISOString(),
      callId,
      note: 'routed directly after a call-handling failure',
    });
  } catch (alertError) {
    callPathError(services, 'emergency-alert', alertError, 'could not alert Security of an emergency call', { callId });
  }
  // Hung up from our side (a shutdown, the console): once connected, both dialogs; before, the caller's leg ends with the trunk's.
  return { ended, hangUp: () => connected.forEach((dialog) => safely(() => dialog.destroy())) };
}

/**
 * The caller as the pipeline reads it, their callback number (a phone without a DDI holds one of the
 * site's, as on the usual route) and location, while that can still be done; whatever fails, an unknown
 * caller: the site's main number and address.
 */
function whoCalled(services: EdgeServices, plan: Plan, req: Srf.SrfRequest, callId: string, dialled: string): { caller?: Extension | undefined; alert: EmergencyAlert; callback: string; hold?: CallbackHold | undefined } {
  try {
    const read = callSetup(plan, req, services.trusted);
    const caller = read.ok ? plan.extensions.get(read.setup.call.from) : undefined;
    const alert = emergencyAlert(plan, caller);
    if (!caller) return { alert, callback: alert.callback };
    return { caller, alert, ...emergencyCallback(services, plan, { callId, ext: caller.ext, dialled }, alert) };
  } catch (error) {
    callPathError(services, 'emergency-location', error, "emergency call sent with the site's callback number and address: its caller could not be read", { callId });
    const alert = emergencyAlert(plan, undefined);
    return { alert, callback: alert.callback };
  }
}

/**
 * drachtio-srf's B2BUA for a caller that made no offer: its own B2BUA would send the PIDF-LO as if it
 * were an offer and ACK the trunk's offer with nothing. The trunk offers in its 2xx, the caller is
 * answered with that offer, and the caller's answer goes on in the trunk's ACK.
 */
async function offerlessB2bua(srf: Srf, req: Srf.SrfRequest, res: Srf.SrfResponse, uri: string, headers: Record<string, string>, body: string | undefined, mode: ProgressMode): Promise<{ uas: Srf.Dialog; uac: Srf.Dialog }> {
  let cancelled = false;
  const progress = new CallerProgress(res, mode);
  (req as Srf.SrfRequest & EarlyUpdates).on('update', answerCallerEarlyUpdate);
  const invite = outgoingInvite((sent) =>
    placeOfferless(srf, uri, { headers, body, callingNumber: req.callingNumber, callingName: callerName(req) }, { sent, provisional: (provisional) => progress.ring(provisional.status) }),
  );
  let left: () => void = () => {};
  const gone = new Promise<void>((resolve) => (left = resolve));
  req.on('cancel', () => {
    cancelled = true;
    res.send(487);
    invite.abandon();
    left();
  });
  let leg: OfferlessLeg;
  try {
    const answer = await invite.answer;
    if (answer === 'abandoned') throw new Error('the caller left while the trunk was called');
    leg = answer;
  } catch (error) {
    // As drachtio-srf's B2BUA does: the trunk's failure is the caller's answer.
    if (!res.finalResponseSent) res.send(error instanceof LegFailure ? sendableStatus(error.status) : 500);
    throw error;
  }
  let uas: Srf.Dialog;
  try {
    if (!(await progress.acknowledged(gone))) {
      if (!res.finalResponseSent) res.send(NO_PRACK.status, { headers: NO_PRACK.headers });
      throw new Error('the caller did not PRACK its reliable provisional response');
    }
    if (cancelled) throw new Error('the caller left while the trunk answered');
    uas = await srf.createUAS(req, res, { localSdp: leg.dialog.remote.sdp });
  } catch (error) {
    safely(() => leg.dialog.destroy());
    throw error;
  }
  uas.once('ack', (ack: Srf.SrfRequest | Srf.SrfResponse) => leg.ackWith(sdpOfMessage(ack)));
  return { uas, uac: leg.dialog };
}

/** The display name drachtio-srf's own B2BUA would give the trunk (P-Asserted-Identity's, else From's), unescaped. */
function callerName(req: Srf.SrfRequest): string | undefined {
  return parsedNameAddr(req, req.has('p-asserted-identity') ? 'p-asserted-identity' : 'from')?.name;
}
