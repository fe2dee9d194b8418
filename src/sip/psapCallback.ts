import type { EmergencyAlert } from '../policy/decision.js';
import type { Plan } from '../policy/plan.js';
import type { CallbackHold } from '../policy/psapCallback.js';
import { byPublicNumber, type CallSetup } from './callSetup.js';
import type { EdgeServices } from './context.js';
import { uriUser } from './uri.js';

/**
 * The PSAP callback hold on the number an outside caller dialled, while it lasts: such a call goes to the
 * phone that called the emergency service. Map lookups only, and none at all until a number was held.
 */
export function heldCallback(services: EdgeServices, plan: Plan, requestUri: string, setup: CallSetup, now: number): CallbackHold | undefined {
  const { replica } = services.state;
  if (!replica.hasCallbacks || setup.call.forwarded || plan.extensions.has(setup.call.from)) return undefined;
  const dialled = uriUser(requestUri);
  return dialled.ok ? byPublicNumber(plan, dialled.user, (number) => replica.liveCallback(number, now)) : undefined;
}

/**
 * The callback number an emergency call presents: the decision's, or for a phone without a DDI one of the
 * site's callback numbers, held for that phone in memory (no I/O). Never throws: whatever goes wrong, the
 * call goes out with the decision's number.
 */
export function emergencyCallback(services: EdgeServices, plan: Plan, call: { callId: string; ext: string; dialled: string }, alert: EmergencyAlert): { callback: string; hold?: CallbackHold } {
  if (!alert.pooled) return { callback: alert.callback };
  const { callId } = call;
  try {
    const { hold, displaced } = services.state.takeCallback(plan.site.emergency, call.ext, services.now(), { callId, dialled: call.dialled, location: alert.location });
    const logged = { callId, ext: hold.ext, callback: hold.number, until: new Date(hold.until).toISOString() };
    if (displaced) {
      services.logger.warn({ ...logged, displacedExt: displaced.ext, displacedCallId: displaced.callId }, `PSAP callback numbers exhausted: ${hold.number} is reused, so a callback to it now reaches ${hold.ext}, no longer ${displaced.ext}`);
    } else services.logger.info(logged, 'PSAP callback number held for the caller');
    return { callback: hold.number, hold };
  } catch (error) {
    services.logger.error({ callId, err: (error as Error).message }, 'PSAP callback number could not be held: the call presents the first callback number');
    return { callback: alert.callback };
  }
}

/** Tells the other instances of a hold, in the background: the emergency call never waits for Redis. */
export function shareCallback(services: EdgeServices, hold: CallbackHold): void {
  services.state.shareCallback(hold).catch((error: Error) =>
    services.logger.warn(
      { callback: hold.number, ext: hold.ext, err: error.message },
      'PSAP callback hold not shared through Redis: only this instance routes the callback until Redis is back, when it is written again',
    ),
  );
}
