/** Made on first use: building an Intl.NumberFormat costs every command's start-up about 20 ms. */
let number: Intl.NumberFormat | undefined;

/** "1 call", "0 calls", "1,234 calls": a count with its noun, singular only for one. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  number ??= new Intl.NumberFormat('en-GB');
  return `${number.format(n)} ${n === 1 ? singular : plural}`;
}
