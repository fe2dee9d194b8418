import type { AlertDispatcher } from '../audit/alertDispatcher.js';
import type { Breach } from '../policy/limits.js';
import type { Extension } from '../policy/plan.js';

/** The window a limit counts in: the clock hour for hourly and running-call limits, the site-local day for daily ones. */
function windowOf(breach: Breach, now: number, day: string): string {
  return breach.limit.endsWith('per-day') ? day : String(Math.floor(now / 3_600_000));
}

/**
 * FRAUD alerts to Security Control: one per limit, per user (or the site), per window in which the
 * limit counts, however many calls it refuses meanwhile. With other instances, `claim` (Redis SET NX)
 * makes it one across them; if the claim cannot be made the alert goes anyway: two beat none.
 */
export class FraudAlerts {
  private sent = new Set<string>();
  private day = '';

  constructor(
    private readonly alerts: AlertDispatcher,
    private readonly claim: (key: string) => Promise<boolean> = async () => true,
  ) {}

  breach(breach: Breach, caller: Extension, dialled: string, callId: string, now: number, day: string): void {
    if (day !== this.day) {
      this.day = day;
      this.sent = new Set();
    }
    const key = `${breach.scope}|${breach.limit}|${windowOf(breach, now, day)}`;
    if (this.sent.has(key)) return;
    this.sent.add(key);
    const alert = {
      kind: 'fraud',
      ext: caller.ext,
      name: caller.name,
      dialled,
      callback: caller.ddi ?? caller.ext,
      location: caller.location ?? '',
      at: new Date(now).toISOString(),
      callId,
      note: `${breach.limit} limit ${breach.max}${breach.outOfHours ? ' (out of hours)' : ''} reached by ${breach.scope === 'site' ? 'the whole site' : breach.scope}; further calls refused`,
    } as const;
    void this.claim(key).then(
      (first) => first && this.alerts.send(alert),
      () => this.alerts.send(alert),
    );
  }
}
