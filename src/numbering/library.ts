import { createRequire } from 'node:module';

/**
 * libphonenumber-js/max, loaded on first need. Importing it costs about 100 ms (a hundred ES modules
 * and its metadata), and most runs never need it: the numbering tables and the calling-code data
 * (callingCodes.ts) decide nearly every number. Its CommonJS build is loaded synchronously, so the
 * classifier stays synchronous.
 */
export type Library = typeof import('libphonenumber-js/max');

const require = createRequire(import.meta.url);
let library: Library | undefined;

export function phoneLibrary(): Library {
  return (library ??= require('libphonenumber-js/max') as Library);
}

/** The installed libphonenumber-js version, which build-time data derived from it must match. */
export function libraryVersion(): string {
  return (require('libphonenumber-js/package.json') as { version: string }).version;
}
