import type { Classify, Numbering } from '../numbering/classifier.js';
import { names, type AppliesTo, type ListEntry } from '../policy/listIndex.js';
import type { Site } from '../policy/plan.js';
import type { DateRanges } from './dates.js';
import type { Located, Problems } from './located.js';
import type { AppliesToFile, ListEntryFile } from './schema.js';

export interface ListContext {
  site: Site;
  numbering: Numbering;
  classify: Classify;
  users: ReadonlySet<string>;
  extensions: ReadonlyMap<string, unknown>;
  classes: ReadonlyMap<string, unknown>;
  dates: DateRanges;
}

function appliesTo(problems: Problems, at: Located<unknown>, who: AppliesToFile, { users, extensions, classes }: ListContext): AppliesTo {
  if (who === 'everyone') return { everyone: true };
  const known = { users, extensions, classes };
  for (const key of ['users', 'extensions', 'classes'] as const) {
    (who[key] ?? []).forEach((name, i) => {
      if (!known[key].has(name)) problems.at(at, ['for', key, i], `unknown ${key.slice(0, -1)} "${name}"`);
    });
  }
  return { everyone: false, users: names(who.users), extensions: names(who.extensions), classes: names(who.classes) };
}

/**
 * Where an entry's digits live: E.164 (written with '+' or as dialled nationally) or a short code.
 * Numbers are read as the site would dial them; prefixes cannot be classified, so only converted.
 */
function keyOf(raw: string, field: 'number' | 'prefix', { site, numbering, classify }: ListContext): Pick<ListEntry, 'space' | 'digits'> | undefined {
  if (raw.startsWith('+')) return { space: 'e164', digits: raw.slice(1) };
  if (field === 'prefix') {
    const e164 = numbering.toE164(site.country, raw);
    return e164 === undefined ? { space: 'short', digits: raw } : { space: 'e164', digits: e164 };
  }
  const d = classify(raw);
  if (d.class === 'invalid') return undefined;
  if (d.e164) return { space: 'e164', digits: d.e164.slice(1) };
  return d.shortCode === undefined ? undefined : { space: 'short', digits: d.shortCode };
}

function compileEntry(problems: Problems, kind: ListEntry['kind'], at: Located<ListEntryFile>, context: ListContext): ListEntry | undefined {
  const e = at.value;
  const field = e.number !== undefined ? 'number' : 'prefix';
  const raw = (e.number ?? e.prefix)!;
  if (!raw.startsWith('+') && context.classify(raw).class === 'emergency') {
    problems.at(at, [field], `"${raw}" is an emergency number: emergency calls are never listed, blocked or delayed`);
    return undefined;
  }
  const key = keyOf(raw, field, context);
  if (!key) {
    problems.at(at, [field], `"${raw}" is not a number callguard can classify (${context.classify(raw).class})`);
    return undefined;
  }
  const who = appliesTo(problems, at, e.for, context);
  const range = context.dates.read(at);
  if (!range) return undefined;
  return { kind, ...key, match: field, appliesTo: who, reason: e.reason, approver: e.approver, ...range, where: at.file.line(at.path) };
}

/** Allow- and deny-list entries, checked against the directory and the numbering tables. */
export function compileListEntries(problems: Problems, allow: Located<ListEntryFile>[], deny: Located<ListEntryFile>[], context: ListContext): ListEntry[] {
  const entries: ListEntry[] = [];
  for (const [kind, items] of [['allow', allow], ['deny', deny]] as const) {
    for (const at of items) {
      const entry = compileEntry(problems, kind, at, context);
      if (entry) entries.push(entry);
    }
  }
  return entries;
}
