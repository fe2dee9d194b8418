import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from './packageRoot.js';

/** The version of this callguard, as `callguard --version`, `/health`, the serving line and `callguard_build_info` give it. */
export interface BuildInfo {
  version: string;
}

let read: BuildInfo | undefined;

/** From callguard's own package.json (read once): the same file from source and from dist/. */
export function buildInfo(): BuildInfo {
  read ??= { version: (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version };
  return read;
}
