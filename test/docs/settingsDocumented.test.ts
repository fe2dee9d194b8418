/**
 * Every environment variable callguard reads is documented: each one read anywhere in src/ is named in
 * docs/operations.md's Settings section, and each one `callguard serve` reads (src/server/settings.ts
 * and the readers it hands the environment to) in the README's settings table, so a new setting cannot
 * land undocumented.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/lab.js';
import { envReads, type EnvReads } from './envReads.js';

const SERVE_SETTINGS_FILES = ['src/server/settings.ts', 'src/server/mediaServerSettings.ts', 'src/state/redisTarget.ts'];

function readsOf(files: string[]): EnvReads {
  const all: EnvReads = { names: new Set(), untraced: [] };
  for (const file of files) {
    const found = envReads(file, readFileSync(join(REPO_ROOT, file), 'utf8'));
    for (const name of found.names) all.names.add(name);
    all.untraced.push(...found.untraced);
  }
  return all;
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(join(REPO_ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts'))
    .map((name) => relative(REPO_ROOT, join(REPO_ROOT, dir, name)))
    .sort();

/** The text of a Markdown section, from its heading to the next heading of the same level. */
function section(file: string, heading: string): string {
  const text = readFileSync(join(REPO_ROOT, file), 'utf8');
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`${file} has no "${heading}"`);
  const level = heading.slice(0, heading.indexOf(' ') + 1);
  const end = text.indexOf(`\n${level}`, start + heading.length + 1);
  return text.slice(start, end < 0 ? undefined : end);
}

const undocumented = (names: Iterable<string>, text: string) => [...names].filter((name) => !new RegExp(`\\b${name}\\b`).test(text)).sort();

describe('settings documentation', () => {
  const serve = readsOf(SERVE_SETTINGS_FILES);

  it('finds what the settings readers read, literal, destructured and through port()', () => {
    // A check of the check: one read of each kind, so an extractor that finds nothing cannot pass.
    for (const name of ['DRACHTIO_SECRET', 'CALLGUARD_SESSION_EXPIRES', 'CALLGUARD_HTTP_PORT', 'REDIS_TLS_CA', 'FREESWITCH_HOSTS']) expect(serve.names).toContain(name);
    expect(serve.untraced).toEqual([]);
  });

  it('names every variable read in src/ in docs/operations.md#settings', () => {
    const all = readsOf(sourceFiles('src'));
    expect(all.untraced).toEqual([]);
    expect(undocumented(all.names, section('docs/operations.md', '## Settings'))).toEqual([]);
  });

  it("names every variable callguard serve reads in the README's settings table", () => {
    expect(undocumented(serve.names, section('README.md', '## Configuration at a glance'))).toEqual([]);
  });
});
