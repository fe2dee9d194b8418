import type { Classify, Numbering } from '../numbering/classifier.js';
import { CLASS, EXTENSION, FLAG_DENY, FLAG_EVERYONE, FLAG_EXACT, FLAG_SHORT, USER, type ListPartBuilder } from '../policy/listPart.js';
import type { Site } from '../policy/plan.js';
import type { DateRanges } from './dates.js';
import type { ListItem } from './listFile.js';
import type { Located, Problems } from './located.js';
import type { ListEntryFile } from './schema.js';

export interface ListContext {
  site: Site;
  numbering: Numbering;
  classify: Classify;
  users: ReadonlySet<string>;
  extensions: ReadonlyMap<string, unknown>;
  classes: ReadonlyMap<string, unknown>;
  dates: DateRanges;
}

const SELECTORS = [
  ['users', USER],
  ['extensions', EXTENSION],
  ['classes', CLASS],
] as const;

/**
 * Where an entry's digits live, as FLAG_SHORT and the digits: E.164 (written with '+' or as dialled
 * nationally) or a short code; or why they cannot be listed. Numbers are read as the site would dial
 * them; prefixes cannot be classified, so only converted.
 */
function keyOf(raw: string, field: 'number' | 'prefix', { site, numbering, classify }: ListContext): { short: boolean; digits: string } | string {
  if (raw.startsWith('+')) return { short: false, digits: raw.slice(1) };
  const d = classify(raw);
  if (d.class === 'emergency') return `"${raw}" is an emergency number: emergency calls are never listed, blocked or delayed`;
  if (field === 'prefix') {
    const e164 = numbering.toE164(site.country, raw);
    return e164 === undefined ? { short: true, digits: raw } : { short: false, digits: e164 };
  }
  if (d.class !== 'invalid' && d.e164) return { short: false, digits: d.e164.slice(1) };
  if (d.class !== 'invalid' && d.shortCode !== undefined) return { short: true, digits: d.shortCode };
  return `"${raw}" is not a number callguard can classify (${d.class})`;
}

function flagsOf(kind: 'allow' | 'deny', field: 'number' | 'prefix', short: boolean, everyone: boolean): number {
  return (kind === 'deny' ? FLAG_DENY : 0) | (everyone ? FLAG_EVERYONE : 0) | (short ? FLAG_SHORT : 0) | (field === 'number' ? FLAG_EXACT : 0);
}

/** An entry of a file read the general way: added to `part`, or its problems reported. */
function compileEntry(problems: Problems, part: ListPartBuilder, kind: 'allow' | 'deny', at: Located<ListEntryFile>, context: ListContext): void {
  const e = at.value;
  const field = e.number !== undefined ? 'number' : 'prefix';
  const key = keyOf((e.number ?? e.prefix)!, field, context);
  if (typeof key === 'string') return problems.at(at, [field], key);
  const who = e.for === 'everyone' ? undefined : e.for;
  let named = true;
  for (const [selector] of SELECTORS) {
    (who?.[selector] ?? []).forEach((name, i) => {
      if (context[selector].has(name)) return;
      problems.at(at, ['for', selector, i], `unknown ${selector.slice(0, -1)} "${name}"`);
      named = false;
    });
  }
  const range = context.dates.read(at);
  if (!range || !named) return;
  for (const [selector, code] of SELECTORS) for (const name of who?.[selector] ?? []) part.name(code, name);
  part.add(flagsOf(kind, field, key.short, who === undefined), key.digits, range.from ?? NaN, range.until ?? NaN, e.reason, e.approver, at.file.path, at.file.lineNumber(at.path));
}

/** Allow- and deny-list entries, checked against the directory and the numbering tables, into `part`. */
export function compileListEntries(problems: Problems, part: ListPartBuilder, allow: Located<ListEntryFile>[], deny: Located<ListEntryFile>[], context: ListContext): void {
  for (const at of allow) compileEntry(problems, part, 'allow', at, context);
  for (const at of deny) compileEntry(problems, part, 'deny', at, context);
}

/**
 * An entry of a list file read the quick way (listFile.ts), into `part`; false when anything in it is
 * wrong, so the file is read again the general way, which reports it at its line and column.
 */
export function compileListItem(part: ListPartBuilder, kind: 'allow' | 'deny', item: Readonly<ListItem>, path: string, context: ListContext): boolean {
  const key = keyOf(item.digits, item.field, context);
  if (typeof key === 'string') return false;
  const from = item.from === undefined ? NaN : context.dates.value('from', item.from);
  const until = item.until === undefined ? NaN : context.dates.value('until', item.until);
  if (from === undefined || until === undefined || until <= from) return false;
  if (!item.everyone) {
    for (const name of item.users) if (!context.users.has(name)) return false;
    for (const name of item.extensions) if (!context.extensions.has(name)) return false;
    for (const name of item.classes) if (!context.classes.has(name)) return false;
    for (const name of item.users) part.name(USER, name);
    for (const name of item.extensions) part.name(EXTENSION, name);
    for (const name of item.classes) part.name(CLASS, name);
  }
  part.add(flagsOf(kind, item.field, key.short, item.everyone), key.digits, from, until, item.reason, item.approver, path, item.line);
  return true;
}
