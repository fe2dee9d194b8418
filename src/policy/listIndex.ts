import type { Destination } from '../numbering/destination.js';
import { DigitTrie } from '../numbering/digitTrie.js';
import type { Extension } from './plan.js';

/**
 * Names a list entry applies to. Most entries name one or two, and a list may hold 100,000 entries:
 * a short array costs a tenth of a Set and is as quick to search at that size.
 */
export type Names = readonly string[] | ReadonlySet<string>;

const SMALL = 8;

export function names(list: readonly string[] | undefined): Names {
  return !list || list.length === 0 ? [] : list.length <= SMALL ? Object.freeze([...list]) : new Set(list);
}

function includes(names: Names, name: string): boolean {
  return Array.isArray(names) ? names.includes(name) : (names as ReadonlySet<string>).has(name);
}

/** Who a list entry applies to; an empty selector would apply to nobody, so `everyone` is explicit. */
export type AppliesTo = { everyone: true } | { everyone: false; users: Names; extensions: Names; classes: Names };

export interface ListEntry {
  kind: 'allow' | 'deny';
  /** E.164 digits without '+', or a short code as dialled. */
  digits: string;
  space: 'e164' | 'short';
  match: 'number' | 'prefix';
  appliesTo: AppliesTo;
  reason: string;
  approver?: string | undefined;
  from?: number | undefined;
  until?: number | undefined;
  where: string;
}

function applies(entry: ListEntry, caller: Extension, now: number): boolean {
  if (entry.from !== undefined && now < entry.from) return false;
  if (entry.until !== undefined && now >= entry.until) return false;
  const who = entry.appliesTo;
  if (who.everyone) return true;
  return (
    includes(who.extensions, caller.ext) ||
    (caller.user !== undefined && includes(who.users, caller.user)) ||
    includes(who.classes, caller.classOfService.name)
  );
}

/**
 * Allow- and deny-list entries in digit tries. The most specific entry that applies to the caller
 * wins (a number beats a prefix, a longer prefix a shorter one); at equal specificity deny beats allow.
 */
export class ListIndex {
  private readonly e164 = new DigitTrie<ListEntry[]>();
  private readonly short = new DigitTrie<ListEntry[]>();
  readonly size: number;

  constructor(entries: readonly ListEntry[]) {
    const groups = new Map<string, ListEntry[]>();
    for (const entry of entries) {
      const pattern = entry.match === 'number' ? `${entry.digits}$` : entry.digits;
      const key = entry.space === 'e164' ? pattern : `s${pattern}`;
      const group = groups.get(key);
      if (group) group.push(entry);
      else groups.set(key, [entry]);
    }
    for (const group of groups.values()) {
      if (group.length > 1) group.sort((a, b) => (a.kind === b.kind ? 0 : a.kind === 'deny' ? -1 : 1));
      const { space, digits, match } = group[0]!;
      (space === 'e164' ? this.e164 : this.short).add(match === 'number' ? `${digits}$` : digits, group);
    }
    this.size = entries.length;
  }

  lookup(destination: Destination, caller: Extension, now: number): ListEntry | undefined {
    if (this.size === 0 || destination.class === 'invalid') return undefined;
    const groups: ListEntry[][] = [];
    if (destination.e164 !== undefined) this.e164.collect(destination.e164.slice(1), groups);
    else if (destination.shortCode !== undefined) this.short.collect(destination.shortCode, groups);
    for (let g = groups.length - 1; g >= 0; g--) {
      for (const entry of groups[g]!) if (applies(entry, caller, now)) return entry;
    }
    return undefined;
  }
}
