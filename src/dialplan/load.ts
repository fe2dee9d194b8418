import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { compileDialplan, type LoadResult } from './compile.js';
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

/** Reads every YAML file under `dir` and compiles them into one Plan; never throws on bad content. */
export async function loadPlan(dir: string): Promise<LoadResult> {
  let paths: string[];
  try {
    paths = await yamlFiles(dir);
  } catch (error) {
    return { ok: false, problems: [{ where: dir, message: `cannot read dialplan directory: ${(error as Error).message}` }] };
  }
  if (paths.length === 0) return { ok: false, problems: [{ where: dir, message: 'no .yaml files in the dialplan directory' }] };
  const files = await Promise.all(paths.map(async (p) => new SourceFile(join(dir, relative(dir, p)), await readFile(p, 'utf8'))));
  return compileDialplan(files, dir);
}
