import { createInterface } from 'node:readline';
import parsePhoneNumber from 'libphonenumber-js/max';

/**
 * What bench:classify measures callguard against: one dial string per line of stdin through
 * libphonenumber-js/max's parsePhoneNumber (the default export, which returns undefined rather than
 * throwing) and getType(), for a GB site with outside-line prefix 9, counted per type as
 * `callguard classify --format summary` counts classes.
 */
const counts = new Map<string, number>();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const dialled = line.startsWith('9') && line.length > 4 ? line.slice(1) : line;
  const type = parsePhoneNumber(dialled, 'GB')?.getType() ?? 'invalid';
  counts.set(type, (counts.get(type) ?? 0) + 1);
}
for (const [type, n] of counts) console.log(`${type}\t${n}`);
