import type { LocalTime } from '../policy/limits.js';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const formats = new Map<string, Intl.DateTimeFormat>();
let cached: { zone: string; minute: number; time: LocalTime } | undefined;

/** The site's wall clock at `now`: its day, minute of the day and weekday (read once a minute). */
export function localTime(timeZone: string, now: number): LocalTime {
  const minute = Math.floor(now / 60_000);
  if (cached?.zone === timeZone && cached.minute === minute) return cached.time;
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formats.set(timeZone, format);
  }
  const part = Object.fromEntries(format.formatToParts(now).map((p) => [p.type, p.value]));
  const time = { day: `${part.year}-${part.month}-${part.day}`, minuteOfDay: Number(part.hour) * 60 + Number(part.minute), weekday: WEEKDAYS.indexOf(part.weekday!) };
  cached = { zone: timeZone, minute, time };
  return time;
}
