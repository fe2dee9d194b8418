import type Srf from 'drachtio-srf';
import type { Logger } from 'pino';
import type { AlertDispatcher } from '../audit/alertDispatcher.js';
import { CallOut } from '../audit/callOut.js';
import type { Metrics } from '../audit/metrics.js';
import { CallOutAudio } from '../media/callOutAudio.js';
import { phoneThroughFreeswitch } from '../media/callOutCall.js';
import type { FreeswitchConnection } from '../media/freeswitchConnection.js';
import type { Plan } from '../policy/plan.js';

/**
 * The call-out (site.security.callOut) as `callguard serve` runs it: its messages rendered into
 * `audioDir` (FreeSWITCH must read that path as it is), its calls on the first connected FreeSWITCH,
 * its outcomes counted, started by every emergency alert the dispatcher raises.
 */
export async function startCallOut(options: { srf: Srf; plan: () => Plan; freeswitch: readonly FreeswitchConnection[]; audioDir: string; alerts: AlertDispatcher; metrics: Metrics; logger: Logger }): Promise<CallOut> {
  const { plan, alerts, logger } = options;
  const audio = await CallOutAudio.open(options.audioDir, logger);
  const callOut = new CallOut({
    plan,
    phone: phoneThroughFreeswitch({ srf: options.srf, plan, mediaServer: () => options.freeswitch.map((f) => f.mediaServer).find((m) => m !== undefined), audio, logger }),
    message: (alert) => audio.message(alert),
    raise: (alert) => alerts.send(alert),
    logger,
    outcome: (outcome) => options.metrics.callOutCalls.inc({ outcome }),
  });
  alerts.follow(callOut.follow);
  if (plan().site.security.callOut.length > 0 && options.freeswitch.length === 0) logger.warn('site.security.callOut lists responders but no FreeSWITCH is configured: they are not phoned');
  return callOut;
}
