const NUMBER = new Intl.NumberFormat('en-GB');

/** "1 call", "0 calls", "1,234 calls": a count with its noun, singular only for one. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${NUMBER.format(n)} ${n === 1 ? singular : plural}`;
}
