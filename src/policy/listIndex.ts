import type { Destination } from '../numbering/destination.js';
import { DigitTrie } from '../numbering/digitTrie.js';
import type { Extension } from './plan.js';

/** Who a list entry applies to; an empty selector would apply to nobody, so `everyone` is explicit. */
export type AppliesTo =
  | { everyone: true }
  | { everyone: false; users: ReadonlySet<string>; extensions: ReadonlySet<string>; classes: ReadonlySet<string> };

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
    who.extensions.has(caller.ext) ||
    (caller.user !== undefined && who.users.has(caller.user)) ||
    who.classes.has(caller.classOfService.name)
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
