import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import { join, relative } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { packageRoot } from '../packageRoot.js';
import type { LoadResult, NumberingResult } from './compile.js';
import type { Problem } from './problem.js';
import type { SourceFile } from './sourceFile.js';
import { yamlFiles } from './yamlFiles.js';

/**
 * The parser and compiler (js-yaml, the schema validators, the numbering tables) load on first use,
 * so a command that only needs `dialplanDir` from this module starts quickly.
 */
const compiler = () => Promise.all([import('./compile.js'), import('./sourceFile.js')]);

export const DEFAULT_DIALPLAN_DIR = 'dialplan';

/** The dialplan directory from --dialplan, then CALLGUARD_DIALPLAN, then ./dialplan. */
export function dialplanDir(option?: string): string {
  return option ?? process.env.CALLGUARD_DIALPLAN ?? DEFAULT_DIALPLAN_DIR;
}

export interface Source {
  path: string;
  text: string;
}

/** The text of every YAML file under `dir`, or the problems of those that cannot be read. */
export async function readSources(dir: string): Promise<Source[] | { ok: false; problems: Problem[] }> {
  let paths: string[];
  try {
    paths = await yamlFiles(dir);
  } catch (error) {
    return { ok: false, problems: [{ where: dir, message: `cannot read dialplan directory: ${(error as Error).message}` }] };
  }
  if (paths.length === 0) return { ok: false, problems: [{ where: dir, message: 'no .yaml files in the dialplan directory' }] };
  // One file after another into one buffer, synchronously: a plan is read in milliseconds (in its own
  // thread when serving), and a thread-pool hop per file and call would cost more than the reading.
  const buffer = { bytes: Buffer.alloc(0) };
  const read = paths.map((p): Source | Problem => {
    const path = join(dir, relative(dir, p));
    try {
      return { path, text: readText(p, buffer) };
    } catch (error) {
      return { where: path, message: `cannot read file: ${(error as Error).message}` };
    }
  });
  const unreadable = read.filter((r): r is Problem => 'message' in r);
  return unreadable.length > 0 ? { ok: false, problems: unreadable } : (read as Source[]);
}

/**
 * The file's text, decoded at once into one flat string (readFile(path, 'utf8') decodes chunk by chunk
 * into a rope that its first reader must flatten), its bytes read into `buffer`, grown as needed
 * (readFile(path) would keep every file's bytes until the collector frees them).
 */
function readText(path: string, buffer: { bytes: Buffer }): string {
  const file = openSync(path, 'r');
  try {
    const { size } = fstatSync(file);
    if (size > buffer.bytes.length) buffer.bytes = Buffer.allocUnsafe(size);
    let length = 0;
    while (length < size) {
      const read = readSync(file, buffer.bytes, length, size - length, length);
      if (read === 0) break; // it shrank meanwhile: the watcher reloads once the edit settles
      length += read;
    }
    return buffer.bytes.toString('utf8', 0, length);
  } finally {
    closeSync(file);
  }
}

/**
 * True for a block-style file whose top-level keys are only allow: and deny:. In block style every
 * line that starts in column 0 (other than a comment) is a top-level key, so this cannot misjudge a
 * file; anything else (flow style, document markers, other sections) is simply not treated as a list.
 */
function holdsOnlyLists(text: string): boolean {
  const isListKey = (line: string) => /^(allow|deny)\s*:/.test(line);
  if (text.includes('\r') || text.includes('\u2028') || text.includes('\u2029')) {
    const topLevel = text.match(/^[^\s#].*$/gm) ?? [];
    return topLevel.length > 0 && topLevel.every(isListKey);
  }
  // Lines end at "\n" alone: look only at the first character of each (a 100,000-entry file has a handful of top-level lines).
  let found = false;
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const first = text[start]!;
    if (first !== ' ' && first !== '#' && start < end && !/\s/.test(first)) {
      if (!isListKey(text.slice(start, end))) return false;
      found = true;
    }
    start = end + 1;
  }
  return found;
}

/**
 * What a loader that loads again and again (the loader thread) keeps of its last load: each compiled
 * part of the plan (the core, each list-only file) with the text it came from, so a part whose files
 * have not changed is neither read nor compiled again: an edit to one list file compiles that file
 * alone. Only the last load's parts are kept.
 */
export class KeptParts {
  private kept = new Map<string, Kept>();
  private next = new Map<string, Kept>();
  private made = 0;

  /** The part `key` made of `text`: the last load's when its text was the same, else `make`'s; and a number that changes whenever it is made anew. */
  get<T>(key: string, text: string, make: () => T): Kept<T> {
    const last = this.kept.get(key) as Kept<T> | undefined;
    const part = last?.text === text ? last : { text, value: make(), version: ++this.made };
    this.next.set(key, part);
    return part;
  }

  /** The version of the part `key` as the last load made or kept it. */
  version(key: string): number | undefined {
    return this.kept.get(key)?.version;
  }

  /** The load is over: keep what it used, and only that. */
  settle(): void {
    this.kept = this.next;
    this.next = new Map();
  }
}

interface Kept<T = unknown> {
  text: string;
  value: T;
  version: number;
}

/**
 * Reads every YAML file under `dir` and compiles them into one Plan; never throws on bad content.
 * Parsing yields to the event loop between files, so calls are answered during a reload. With `kept`,
 * the parts of the plan whose files are as they were at the last load with it are taken from there.
 */
export async function loadPlan(dir: string, kept?: KeptParts): Promise<LoadResult> {
  const sources = await readSources(dir);
  if (!Array.isArray(sources)) return sources;
  const [{ compileCoreFiles, compileListFile, compileDialplan }, { SourceFile }] = await compiler();
  const part = <T>(key: string, text: string, make: () => T) => (kept ? kept.get(key, text, make) : { value: make(), version: 0 });
  const lists = sources.filter((s) => part(`kind ${s.path}`, s.text, () => holdsOnlyLists(s.text)).value);
  const rest = sources.filter((s) => !lists.includes(s));
  // The core depends on every other file, and every list file on the core.
  const core = part('core', rest.map((s) => `${s.path}\n${s.text}`).join('\0'), async () => {
    const files: SourceFile[] = [];
    for (const source of rest) {
      files.push(new SourceFile(source.path, source.text));
      await yieldToEventLoop();
    }
    return compileCoreFiles(files, dir);
  });
  const compiled = await core.value;
  const result = await compileDialplan(
    compiled,
    lists.map((source) => () => part(`list ${source.path}`, `${core.version}\n${source.text}`, () => compileListFile(source, compiled.value, dir)).value),
  );
  kept?.settle();
  return result;
}

/** The numbering tables of `dir/numbering`, falling back to the package's own when `dir` has none. */
export async function loadNumbering(dir: string): Promise<NumberingResult> {
  const numberingDir = join(existsSync(join(dir, 'numbering')) ? dir : join(packageRoot(), DEFAULT_DIALPLAN_DIR), 'numbering');
  const sources = await readSources(numberingDir);
  if (!Array.isArray(sources)) return sources;
  const built = (await import('./builtNumbering.js')).builtNumbering(numberingDir, sources);
  if (built) return { ok: true, numbering: built };
  const [{ compileNumbering }, { SourceFile }] = await compiler();
  return compileNumbering(sources.map((s) => new SourceFile(s.path, s.text)), numberingDir);
}
