/** Formatters by zone and precision: one each, made on first use. */
const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as people read it in `zone`, with the zone named so nobody has to guess:
 * "2026-12-06 10:20 Europe/London" (with `seconds`, "2026-12-06 10:20:05 Europe/London").
 */
export function zonedTime(ms: number, zone: string, seconds = false): string {
  const key = `${zone} ${seconds}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', ...(seconds ? { second: '2-digit' } : {}) });
    formats.set(key, format);
  }
  const parts = format.formatToParts(ms);
  const get = (type: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}${seconds ? `:${get('second')}` : ''} ${zone}`;
}
