import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
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

interface Source {
  path: string;
  text: string;
}

async function readSources(dir: string): Promise<Source[] | { ok: false; problems: Problem[] }> {
  let paths: string[];
  try {
    paths = await yamlFiles(dir);
  } catch (error) {
    return { ok: false, problems: [{ where: dir, message: `cannot read dialplan directory: ${(error as Error).message}` }] };
  }
  if (paths.length === 0) return { ok: false, problems: [{ where: dir, message: 'no .yaml files in the dialplan directory' }] };
  const read = await Promise.all(
    paths.map((p) => {
      const path = join(dir, relative(dir, p));
      return readFile(p, 'utf8').then(
        (text): Source => ({ path, text }),
        (error: Error): Problem => ({ where: path, message: `cannot read file: ${error.message}` }),
      );
    }),
  );
  const unreadable = read.filter((r): r is Problem => 'message' in r);
  return unreadable.length > 0 ? { ok: false, problems: unreadable } : (read as Source[]);
}

/**
 * True for a block-style file whose top-level keys are only allow: and deny:. In block style every
 * line that starts in column 0 (other than a comment) is a top-level key, so this cannot misjudge a
 * file; anything else (flow style, document markers, other sections) is simply not treated as a list.
 */
function holdsOnlyLists(text: string): boolean {
  const isListKey = (line: string) => /^(allow|deny)\s*:/.test(line);
  if (/[\r\u2028\u2029]/.test(text)) {
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
 * Reads every YAML file under `dir` and compiles them into one Plan; never throws on bad content.
 * Parsing yields to the event loop between files, so calls are answered during a reload.
 */
export async function loadPlan(dir: string): Promise<LoadResult> {
  const sources = await readSources(dir);
  if (!Array.isArray(sources)) return sources;
  const lists = sources.filter((s) => holdsOnlyLists(s.text));
  const [{ compileDialplan }, { SourceFile }] = await compiler();
  const rest: SourceFile[] = [];
  for (const source of sources.filter((s) => !lists.includes(s))) {
    rest.push(new SourceFile(source.path, source.text));
    await yieldToEventLoop();
  }
  return compileDialplan(rest, dir, lists);
}

/** The numbering tables of `dir/numbering`, falling back to the package's own when `dir` has none. */
export async function loadNumbering(dir: string): Promise<NumberingResult> {
  const numberingDir = join(existsSync(join(dir, 'numbering')) ? dir : join(packageRoot(), DEFAULT_DIALPLAN_DIR), 'numbering');
  const sources = await readSources(numberingDir);
  if (!Array.isArray(sources)) return sources;
  const [{ compileNumbering }, { SourceFile }] = await compiler();
  return compileNumbering(sources.map((s) => new SourceFile(s.path, s.text)), numberingDir);
}
