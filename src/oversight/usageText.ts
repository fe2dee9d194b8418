import type { CallerUsage } from '../policy/limits.js';

/**
 * The usage the toll-fraud limits met when a call abroad was decided, as one flat string in its call
 * record (`use`), so the replay decides the call against the same: calls abroad this hour/day
 * (international, then high-risk), calls abroad at once (the user's, then the site's), minutes abroad
 * today, and the site-local day, minute of the day and weekday the out-of-hours limits read.
 *   "i2/5 h0/1 c1 s3 m42 2026-12-06 600 0"
 */
export function usageText(u: CallerUsage): string {
  return `i${u.international.hour}/${u.international.day} h${u.highRisk.hour}/${u.highRisk.day} c${u.concurrentAbroad} s${u.siteConcurrentAbroad} m${u.minutesAbroadToday} ${u.local.day} ${u.local.minuteOfDay} ${u.local.weekday}`;
}

const USAGE = /^i(\d+)\/(\d+) h(\d+)\/(\d+) c(\d+) s(\d+) m(\d+) (\d{4}-\d\d-\d\d) (\d+) ([0-6])$/;

/** The usage back from a record's `use`; undefined for anything else (the record is then replayed without limits). */
export function usageFromText(text: string): CallerUsage | undefined {
  const m = USAGE.exec(text);
  if (!m) return undefined;
  const n = (i: number) => Number(m[i]);
  return {
    international: { hour: n(1), day: n(2) },
    highRisk: { hour: n(3), day: n(4) },
    concurrentAbroad: n(5),
    siteConcurrentAbroad: n(6),
    minutesAbroadToday: n(7),
    local: { day: m[8]!, minuteOfDay: n(9), weekday: n(10) },
  };
}
