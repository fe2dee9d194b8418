import { phonePinAlert } from '../../audit/phonePinAlert.js';
import { callPathError } from '../../sip/callPathError.js';
import type { CallContext } from '../../sip/context.js';

/** Pauses between tries to lock the phone again: four tries within about eight seconds. */
const RETRY_DELAYS_MS = [500, 2_000, 5_000];

/**
 * Locks the caller's phone again after a PIN change that did not happen (checking the current PIN
 * unlocked it). Retried; when it still fails the phone stays unlocked until its idle or end-of-day
 * relock, so it is logged at error and Security is alerted. Never rejects.
 */
export async function relockAfterFailedChange(ctx: CallContext, ext: string): Promise<void> {
  const { services, session } = ctx;
  for (let attempt = 1; ; attempt++) {
    try {
      await services.state.lock(ext);
      if (attempt > 1) services.logger.info({ callId: session.callId, ext, attempts: attempt }, 'phone locked again after a failed PIN change');
      return;
    } catch (error) {
      const delay = RETRY_DELAYS_MS[attempt - 1];
      if (delay === undefined) return leftUnlocked(ctx, ext, error, attempt);
      if (attempt === 1) services.logger.warn({ callId: session.callId, ext, err: (error as Error).message }, 'could not lock the phone again after a failed PIN change: retrying');
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function leftUnlocked(ctx: CallContext, ext: string, error: unknown, attempts: number): void {
  const { services, session, plan, setup } = ctx;
  const relocksAt = services.state.status(ext, services.now()).relocksAt;
  const until = relocksAt === undefined ? '' : ` until ${new Date(relocksAt).toISOString()}`;
  callPathError(services, 'relock', error, 'phone left UNLOCKED: it could not be locked again after a failed PIN change; Security alerted', { callId: session.callId, ext, attempts });
  const note = `locking the phone again failed after a PIN change that did not happen: it stays unlocked${until}; lock it by hand (callguard phone lock ${ext})`;
  services.alerts.send(phonePinAlert(plan, ext, services.now(), note, { callId: session.callId, dialled: setup.call.to }));
}
