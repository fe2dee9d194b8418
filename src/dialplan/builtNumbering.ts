import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { Numbering } from '../numbering/classifier.js';
import { libraryVersion } from '../numbering/library.js';
import type { NumberingSpec } from '../numbering/spec.js';
import { formatProblem } from './problem.js';

/**
 * The package's numbering tables (dialplan/numbering) as `npm run build` compiled and checked them
 * (scripts/build-numbering.mjs), in a JSON file beside this module. A load whose numbering files are
 * these, word for word, takes the tables from it and skips the YAML reader, the schema and the checks
 * (most of `callguard classify`'s start). Any other text, no file (running from src/), or one made with
 * another libphonenumber-js version (the region checks read its metadata) compiles the files as usual.
 */
export interface BuiltNumbering {
  /** The libphonenumber-js version the tables were checked with. */
  version: string;
  /** Each file's path under the numbering directory, with its text. */
  files: { name: string; text: string }[];
  /** The tables, their "file:line" places naming the files by `name`. */
  spec: NumberingSpec;
}

export interface NumberingSource {
  path: string;
  text: string;
}

const BUILT_FILE = new URL('./numbering.generated.json', import.meta.url);

/** Compiles the files of `numberingDir` for the build; throws on any problem, which the build must not hide. */
export async function buildNumbering(numberingDir: string, sources: readonly NumberingSource[]): Promise<BuiltNumbering> {
  const [{ compileNumbering }, { SourceFile }] = await Promise.all([import('./compile.js'), import('./sourceFile.js')]);
  const files = sources.map((s) => ({ name: relative(numberingDir, s.path), text: s.text }));
  const result = compileNumbering(files.map((f) => new SourceFile(f.name, f.text)), numberingDir);
  if (!result.ok) throw new Error(`numbering tables are invalid:\n${result.problems.map(formatProblem).join('\n')}`);
  return { version: libraryVersion(), files, spec: result.numbering.spec };
}

/**
 * The tables of `sources` (the files of `numberingDir`) from `builtJson`, their places naming the files
 * where they are now; undefined unless the files are exactly those it was built from.
 */
export function numberingFromBuilt(numberingDir: string, sources: readonly NumberingSource[], builtJson: string): Numbering | undefined {
  const paths = new Map(sources.map((s) => [relative(numberingDir, s.path), s.path]));
  const place = (where: string): string => {
    const colon = where.lastIndexOf(':');
    return paths.get(where) ?? `${paths.get(where.slice(0, colon))}${where.slice(colon)}`;
  };
  const built = JSON.parse(builtJson, (key, value: unknown) => (key === 'where' && typeof value === 'string' ? place(value) : value)) as BuiltNumbering;
  const same = built.version === libraryVersion() && built.files.length === sources.length && built.files.every((f, i) => paths.get(f.name) === sources[i]!.path && f.text === sources[i]!.text);
  return same ? new Numbering(built.spec) : undefined;
}

/** The tables from the build's file when `sources` are the files it was built from. */
export function builtNumbering(numberingDir: string, sources: readonly NumberingSource[]): Numbering | undefined {
  let json: string;
  try {
    json = readFileSync(BUILT_FILE, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return numberingFromBuilt(numberingDir, sources, json);
}
