import type { Located, Problems } from './located.js';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_MS = 86_400_000;

/**
 * Admin dates as epoch ms. A bare date means the whole day in UTC: `from: 2026-03-01` starts at its
 * midnight and `until: 2026-03-31` runs to the end of the 31st, as people read such a range.
 */
export function parseAdminDate(text: string, end: 'from' | 'until'): number | undefined {
  const dateOnly = DATE_ONLY.test(text);
  const ms = Date.parse(dateOnly ? `${text}T00:00:00Z` : text);
  if (Number.isNaN(ms)) return undefined;
  if (!dateOnly) return ms;
  if (new Date(ms).toISOString().slice(0, 10) !== text) return undefined; // 2026-02-30
  return end === 'until' ? ms + DAY_MS : ms;
}

export interface DateRange {
  from?: number | undefined;
  until?: number | undefined;
}

/** Reads the from/until of grants and list entries, reporting impossible dates and ranges that end before they start. */
export class DateRanges {
  // Large plans repeat a handful of dates (end of term, end of year) across thousands of entries.
  private readonly from = new Map<string, number | undefined>();
  private readonly until = new Map<string, number | undefined>();

  constructor(private readonly problems: Problems) {}

  /** The range, or undefined when it is unusable (already reported). */
  read(at: Located<{ from?: string; until?: string }>): DateRange | undefined {
    const { from, until } = at.value;
    const start = this.parse(at, 'from', from);
    const end = this.parse(at, 'until', until);
    if (start !== undefined && end !== undefined && end <= start) {
      this.problems.at(at, ['until'], `ends (${until}) before it starts (${from})`);
      return undefined;
    }
    return { from: start, until: end };
  }

  /** The epoch ms `text` means at that end of a range, or undefined when it is no real date (not reported). */
  value(end: 'from' | 'until', text: string): number | undefined {
    const parsed = end === 'from' ? this.from : this.until;
    if (!parsed.has(text)) parsed.set(text, parseAdminDate(text, end));
    return parsed.get(text);
  }

  private parse(at: Located<unknown>, end: 'from' | 'until', text: string | undefined): number | undefined {
    if (text === undefined) return undefined;
    const ms = this.value(end, text);
    if (ms === undefined) this.problems.at(at, [end], `"${text}" is not a real date`);
    return ms;
  }
}
