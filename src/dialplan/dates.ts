const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/**
 * Admin dates as epoch ms. A bare date means the whole day in UTC: `from: 2026-03-01` starts at its
 * midnight and `until: 2026-03-31` runs to the end of the 31st, as people read such a range.
 */
export function parseAdminDate(text: string, end: 'from' | 'until'): number | undefined {
  const ms = Date.parse(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) return undefined;
  if (DATE_ONLY.test(text) && new Date(ms).toISOString().slice(0, 10) !== text) return undefined; // 2026-02-30
  return DATE_ONLY.test(text) && end === 'until' ? ms + DAY_MS : ms;
}
