import type { Site } from '../policy/plan.js';

const MINUTE = 60_000;
const DAY_MINUTES = 1440;

/** Minutes east of UTC that `zone` is at `instant` (Intl has no direct offset call). */
function offsetMinutes(instant: number, zone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' }).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'));
  return Math.round((local - Math.floor(instant / MINUTE) * MINUTE) / MINUTE);
}

/** The first moment after `instant` when the site's clocks show `hh:mm`. */
export function nextLocalTime(instant: number, hhmm: string, zone: string): number {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const target = h * 60 + m;
  const localMinutes = Math.floor(instant / MINUTE) + offsetMinutes(instant, zone);
  const minuteOfDay = ((localMinutes % DAY_MINUTES) + DAY_MINUTES) % DAY_MINUTES;
  const ahead = (target - minuteOfDay + DAY_MINUTES) % DAY_MINUTES || DAY_MINUTES;
  const guess = (Math.floor(instant / MINUTE) + ahead) * MINUTE;
  // Across a clock change the offset differs at the target: correct by the difference once.
  return guess - (offsetMinutes(guess, zone) - offsetMinutes(instant, zone)) * MINUTE;
}

/**
 * When an unlocked phone locks itself again: after `idleMinutes` without a call, or at the site's
 * end of day, whichever comes first. Computed when the state changes, so the hot path only compares.
 */
export function relockAt(unlockedSince: number, lastCallAt: number | undefined, site: Pick<Site, 'relock' | 'timezone'>): number {
  const idle = Math.max(unlockedSince, lastCallAt ?? unlockedSince) + site.relock.idleMinutes * MINUTE;
  return site.relock.endOfDay ? Math.min(idle, nextLocalTime(unlockedSince, site.relock.endOfDay, site.timezone)) : idle;
}
