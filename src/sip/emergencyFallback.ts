import type Srf from 'drachtio-srf';
import { callPathError } from './callPathError.js';
import type { EdgeServices } from './context.js';
import { pidfLo, sdpWithLocation } from './locationByValue.js';
import { sdpOf } from './sdpOffer.js';
import { routeTo, uriUser } from './uri.js';

/**
 * The last line for 999/112/911: when the pipeline itself fails (a bug, a throw anywhere before or
 * while the call is carried out), an emergency number in the Request-URI still goes to the emergency
 * trunk. It takes none of our call handling: drachtio-srf's own B2BUA places it, with the site's
 * callback number and address, and Security is told. Returns false when the call is not an emergency
 * call or has already been answered, so the caller gets the usual 500.
 */
export function routeEmergencyAnyway(services: EdgeServices, req: Srf.SrfRequest, res: Srf.SrfResponse, error: unknown): boolean {
  if (res.finalResponseSent) return false;
  let number: string;
  let plan: ReturnType<EdgeServices['plan']>;
  try {
    plan = services.plan();
    const user = uriUser(req.uri);
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
  const callback = plan.site.mainNumber;
  const headers: Record<string, string> = { 'P-Asserted-Identity': `<tel:${callback}>`, Priority: 'emergency' };
  const offer = sdpOf(req.get('content-type'), req.body);
  let body = offer;
  try {
    const located = sdpWithLocation(offer ?? '', pidfLo(callback, plan.site.address, undefined));
    Object.assign(headers, located.headers);
    body = located.body;
  } catch (locationError) {
    // the caller's offer alone: the call matters more than its location
    callPathError(services, 'emergency-location', locationError, 'emergency call sent without its location: the PIDF-LO could not be built', { callId });
  }
  services.srf.createB2BUA(req, res, routeTo(plan.site.emergencyTrunk, number), { headers, localSdpB: body } as Srf.CreateB2BUAOptions).then(
    ({ uas, uac }) => {
      uas.on('destroy', () => uac.destroy(undefined, () => {}));
      uac.on('destroy', () => uas.destroy(undefined, () => {}));
    },
    (failure: { status?: number }) => logger.error({ callId, status: failure?.status }, 'emergency call failed on the direct route too'),
  );
  try {
    services.alerts.send({ kind: 'emergency', ext: '', dialled: number, callback, location: `${Object.values(plan.site.address).join(', ')} (caller unknown)`, at: new Date().toISOString(), callId, note: 'routed directly after a call-handling failure' });
  } catch (alertError) {
    callPathError(services, 'emergency-alert', alertError, 'could not alert Security of an emergency call', { callId });
  }
  return true;
}
