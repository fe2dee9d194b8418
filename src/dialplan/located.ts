import type { Problem } from './problem.js';
import type { ExtensionFile, GrantFile, InternationalFile, LimitsFile, ListEntryFile, NumberingFile, SiteFile, SpokenFile, TariffsFile } from './schema.js';
import type { SourceFile, YamlPath } from './sourceFile.js';

/** A value from an admin file with the file and path it was written at. */
export interface Located<T> {
  file: SourceFile;
  path: YamlPath;
  value: T;
}

/** The problems found so far; every report points into the admin's files. */
export class Problems {
  readonly list: Problem[] = [];

  constructor(readonly dirLabel: string) {}

  get none(): boolean {
    return this.list.length === 0;
  }

  /** A problem with the whole directory (a missing section). */
  inDirectory(message: string): void {
    this.list.push({ where: this.dirLabel, message });
  }

  /** A problem at `sub` below a located value; `key` points at the key rather than its value. */
  at(item: Located<unknown>, sub: YamlPath, message: string, key = false): void {
    this.list.push({ where: item.file.at([...item.path, ...sub], key), message });
  }
}

/** Every section of every file, each value with its place. Map sections come as [name, value] pairs. */
export interface Sections {
  site: Located<SiteFile>[];
  classes: Located<[string, { allow: string[] }]>[];
  extensions: Located<ExtensionFile>[];
  grants: Located<GrantFile>[];
  allow: Located<ListEntryFile>[];
  deny: Located<ListEntryFile>[];
  notices: Located<[string, SpokenFile]>[];
  prompts: Located<[string, SpokenFile & { reasons?: string[] }]>[];
  numbering: Located<NumberingFile>[];
  international: Located<InternationalFile>[];
  tariffs: Located<TariffsFile>[];
  limits: Located<LimitsFile>[];
  /** Sections with something of the wrong shape left out (reported already). */
  leftOut: Set<string>;
}

const WHOLE_SECTIONS = new Set(['site', 'numbering', 'international', 'tariffs', 'limits']);

/** Splits schema-checked files into their sections, across files, in file order. */
export function gatherSections(files: readonly SourceFile[], sound?: (fileShaped: object) => boolean): Sections {
  const s: Sections = { site: [], classes: [], extensions: [], grants: [], allow: [], deny: [], notices: [], prompts: [], numbering: [], international: [], tariffs: [], limits: [], leftOut: new Set() };
  const push = (key: Exclude<keyof Sections, 'leftOut'>, item: Located<unknown>) => (s[key] as Located<unknown>[]).push(item);
  for (const file of files) {
    const data = (file.data ?? {}) as Record<string, unknown>;
    for (const key of Object.keys(data) as Exclude<keyof Sections, 'leftOut'>[]) {
      const value = data[key];
      // With `sound`, a section of the wrong shape gives only those of its items that have the right one.
      const whole = !sound || sound({ [key]: value });
      if (!whole) s.leftOut.add(key);
      if (!whole && !(key in s)) continue;
      if (Array.isArray(value)) value.forEach((item, i) => (whole || sound!({ [key]: [item] })) && push(key, { file, path: [key, i], value: item }));
      else if (WHOLE_SECTIONS.has(key)) whole && push(key, { file, path: [key], value });
      else if (typeof value === 'object' && value !== null) {
        for (const entry of Object.entries(value)) if (whole || sound!({ [key]: { [entry[0]]: entry[1] } })) push(key, { file, path: [key, entry[0]], value: entry });
      }
    }
  }
  return s;
}

/** The one definition of a section that must appear exactly once. */
export function single<T>(problems: Problems, items: Located<T>[], what: string): Located<T> | undefined {
  if (items.length === 0) problems.inDirectory(`no ${what}: section in any file`);
  for (const extra of items.slice(1)) problems.at(extra, [], `${what} is defined again (first at ${items[0]!.file.at(items[0]!.path)})`, true);
  return items[0];
}

/** Named entries across files; a second definition of a name is an overlap, reported and dropped. */
export function uniquelyNamed<V>(problems: Problems, items: Located<[string, V]>[], what: string): Located<[string, V]>[] {
  const seen = new Map<string, Located<[string, V]>>();
  return items.filter((item) => {
    const first = seen.get(item.value[0]);
    if (first) problems.at(item, [], `${what} "${item.value[0]}" is defined again (first at ${first.file.at(first.path, true)})`, true);
    else seen.set(item.value[0], item);
    return !first;
  });
}
