import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { packageRoot } from '../packageRoot.js';
import { compileDialplan, compileNumbering, type LoadResult, type NumberingResult } from './compile.js';
import type { Problem } from './problem.js';
import { SourceFile } from './sourceFile.js';

export const DEFAULT_DIALPLAN_DIR = 'dialplan';

/** The dialplan directory from --dialplan, then CALLGUARD_DIALPLAN, then ./dialplan. */
export function dialplanDir(option?: string): string {
  return option ?? process.env.CALLGUARD_DIALPLAN ?? DEFAULT_DIALPLAN_DIR;
}

async function yamlFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

async function readSources(dir: string): Promise<SourceFile[] | { ok: false; problems: Problem[] }> {
  let paths: string[];
  try {
    paths = await yamlFiles(dir);
  } catch (error) {
    return { ok: false, problems: [{ where: dir, message: `cannot read dialplan directory: ${(error as Error).message}` }] };
  }
  if (paths.length === 0) return { ok: false, problems: [{ where: dir, message: 'no .yaml files in the dialplan directory' }] };
  return Promise.all(paths.map(async (p) => new SourceFile(join(dir, relative(dir, p)), await readFile(p, 'utf8'))));
}

/** Reads every YAML file under `dir` and compiles them into one Plan; never throws on bad content. */
export async function loadPlan(dir: string): Promise<LoadResult> {
  const files = await readSources(dir);
  return Array.isArray(files) ? compileDialplan(files, dir) : files;
}

/** The numbering tables of `dir/numbering`, falling back to the package's own when `dir` has none. */
export async function loadNumbering(dir: string): Promise<NumberingResult> {
  const numberingDir = join(existsSync(join(dir, 'numbering')) ? dir : join(packageRoot(), DEFAULT_DIALPLAN_DIR), 'numbering');
  const files = await readSources(numberingDir);
  return Array.isArray(files) ? compileNumbering(files, numberingDir) : files;
}
