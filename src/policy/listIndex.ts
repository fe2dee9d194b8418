import type { Destination } from '../numbering/destination.js';
import { CLASS, EXTENSION, FLAG_DENY, FLAG_EVERYONE, FLAG_EXACT, FLAG_SHORT, grow, ListPartBuilder, USER, type ListPart } from './listPart.js';
import type { Extension } from './plan.js';

/** Names a list entry applies to. */
export type Names = readonly string[] | ReadonlySet<string>;

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

/**
 * A ListIndex as plain arrays and one string: what a worker thread hands over (the typed arrays are
 * transferred, not copied) and what the index reads directly, with no object per entry. Its columns are
 * a ListPart's, for all entries in group order.
 */
export interface PackedLists extends Omit<ListPart, 'digits' | 'digitStart'> {
  /** Trie nodes, ten children each (0: none); node 0 is the root of E.164 digits, node 1 of short codes. */
  children: Int32Array;
  /** Per node, 1 + the group of prefix (or exact-number) entries ending there; 0: none. */
  prefixGroup: Int32Array;
  exactGroup: Int32Array;
  /** Entries of group g are positions groupStart[g] .. groupStart[g+1]-1, deny before allow. */
  groupStart: Int32Array;
}

const E164_ROOT = 0;
const SHORT_ROOT = 1;
/** Deepest path a lookup walks: E.164 numbers have at most 15 digits, dial strings at most 64 characters. */
const MAX_DEPTH = 66;

/**
 * The packed index of the parts' entries: their digits go into the trie, and their columns are put in
 * group order, each part's string ids moved past the strings of the parts before it. Nothing is made per
 * entry but numbers. Each step is a small function run once per part: one function of many loops was
 * optimised again and again by on-stack replacement (tens of milliseconds of compiler time each load).
 */
export function packLists(parts: readonly ListPart[]): PackedLists {
  const n = parts.reduce((sum, p) => sum + p.size, 0);
  // Per entry (parts in order): its group (1-based).
  const group = new Int32Array(n);
  const trie = new TrieBuilder();
  for (let p = 0, e = 0; p < parts.length; e += parts[p]!.size, p++) trie.insert(parts[p]!, group, e);
  const groups = trie.groups;

  // Groups in the order first seen, and in each its deny entries before its allow entries, each in the order added.
  const groupStart = new Int32Array(groups + 1);
  const denies = new Int32Array(groups + 1);
  for (let p = 0, e = 0; p < parts.length; e += parts[p]!.size, p++) countGroups(parts[p]!, group, e, groupStart, denies);
  const nextDeny = new Int32Array(groups + 1);
  const nextAllow = new Int32Array(groups + 1);
  for (let g = 1, at = 0; g <= groups; g++) {
    const size = groupStart[g]!;
    groupStart[g] = at + size;
    nextDeny[g] = at;
    nextAllow[g] = at + denies[g]!;
    at += size;
  }

  const packed: PackedLists = {
    size: n,
    ...trie.build(),
    groupStart,
    flags: new Uint8Array(n),
    from: new Float64Array(n),
    until: new Float64Array(n),
    reason: new Int32Array(n),
    approver: new Int32Array(n),
    whereFile: new Int32Array(n),
    whereLine: new Int32Array(n),
    selStart: new Int32Array(n + 1),
    selKind: new Uint8Array(parts.reduce((sum, p) => sum + p.selKind.length, 0)),
    selName: new Int32Array(parts.reduce((sum, p) => sum + p.selName.length, 0)),
    strings: parts.map((p) => p.strings).join(''),
    stringStart: new Int32Array(parts.reduce((sum, p) => sum + p.stringStart.length - 1, 0) + 1),
  };
  // Where each entry goes, then its columns, then its names in that order.
  const position = new Int32Array(n);
  for (let p = 0, e = 0; p < parts.length; e += parts[p]!.size, p++) placeEntries(parts[p]!, group, e, position, nextDeny, nextAllow);
  for (let p = 0, e = 0, strings = 0, chars = 0; p < parts.length; e += parts[p]!.size, p++) {
    const part = parts[p]!;
    copyColumns(part, position, e, packed, strings);
    const count = part.stringStart.length - 1;
    for (let s = 1; s <= count; s++) packed.stringStart[strings + s] = part.stringStart[s]! + chars;
    strings += count;
    chars += part.stringStart[count]!;
  }
  for (let at = 0; at < n; at++) packed.selStart[at + 1]! += packed.selStart[at]!;
  for (let p = 0, e = 0, strings = 0; p < parts.length; e += parts[p]!.size, p++) {
    copyNames(parts[p]!, position, e, packed, strings);
    strings += parts[p]!.stringStart.length - 1;
  }
  return packed;
}

/** The digit trie, grown as entries go in: each entry's last node records the entry's group. */
class TrieBuilder {
  private children = new Int32Array(20 * 64);
  private nodes = 2;
  private prefixGroup = new Int32Array(128);
  private exactGroup = new Int32Array(128);
  groups = 0;

  /** Puts the part's entries in, writing each one's group at `group[first + i]`. */
  insert(part: ListPart, group: Int32Array, first: number): void {
    const { digits, digitStart, flags } = part;
    for (let i = 0; i < part.size; i++) {
      let node = (flags[i]! & FLAG_SHORT) !== 0 ? SHORT_ROOT : E164_ROOT;
      for (let k = digitStart[i]!; k < digitStart[i + 1]!; k++) node = this.child(node, digits[k]! - 48);
      const ends = (flags[i]! & FLAG_EXACT) !== 0 ? this.exactGroup : this.prefixGroup;
      if (ends[node] === 0) ends[node] = ++this.groups;
      group[first + i] = ends[node]!;
    }
  }

  build(): Pick<PackedLists, 'children' | 'prefixGroup' | 'exactGroup'> {
    return {
      children: this.children.subarray(0, this.nodes * 10),
      prefixGroup: this.prefixGroup.subarray(0, this.nodes),
      exactGroup: this.exactGroup.subarray(0, this.nodes),
    };
  }

  private child(node: number, digit: number): number {
    const slot = node * 10 + digit;
    const next = this.children[slot]!;
    if (next !== 0) return next;
    const made = this.nodes++;
    if (this.nodes * 10 > this.children.length) this.children = grow(this.children);
    if (this.nodes > this.prefixGroup.length) {
      this.prefixGroup = grow(this.prefixGroup);
      this.exactGroup = grow(this.exactGroup);
    }
    this.children[slot] = made;
    return made;
  }
}

function countGroups(part: ListPart, group: Int32Array, first: number, sizes: Int32Array, denies: Int32Array): void {
  for (let i = 0; i < part.size; i++) {
    const g = group[first + i]!;
    sizes[g]!++;
    if ((part.flags[i]! & FLAG_DENY) !== 0) denies[g]!++;
  }
}

function placeEntries(part: ListPart, group: Int32Array, first: number, position: Int32Array, nextDeny: Int32Array, nextAllow: Int32Array): void {
  for (let i = 0; i < part.size; i++) {
    const g = group[first + i]!;
    position[first + i] = (part.flags[i]! & FLAG_DENY) !== 0 ? nextDeny[g]!++ : nextAllow[g]!++;
  }
}

/** The part's columns at their positions, string ids moved past the `strings` of the parts before; each entry's name count in selStart. */
function copyColumns(part: ListPart, position: Int32Array, first: number, packed: PackedLists, strings: number): void {
  const { flags, from, until, reason, approver, whereFile, whereLine, selStart } = packed;
  for (let i = 0; i < part.size; i++) {
    const at = position[first + i]!;
    flags[at] = part.flags[i]!;
    from[at] = part.from[i]!;
    until[at] = part.until[i]!;
    reason[at] = part.reason[i]! + strings;
    approver[at] = part.approver[i]! < 0 ? -1 : part.approver[i]! + strings;
    whereFile[at] = part.whereFile[i]! + strings;
    whereLine[at] = part.whereLine[i]!;
    selStart[at + 1] = part.selStart[i + 1]! - part.selStart[i]!;
  }
}

function copyNames(part: ListPart, position: Int32Array, first: number, packed: PackedLists, strings: number): void {
  const { selStart, selKind, selName } = packed;
  for (let i = 0; i < part.size; i++) {
    let to = selStart[position[first + i]!]!;
    for (let k = part.selStart[i]!; k < part.selStart[i + 1]!; k++, to++) {
      selKind[to] = part.selKind[k]!;
      selName[to] = part.selName[k]! + strings;
    }
  }
}

/**
 * Allow- and deny-list entries in a digit trie held in typed arrays: 100,000 entries take a few
 * megabytes and no object each. The most specific entry that applies to the caller wins (a number
 * beats a prefix, a longer prefix a shorter one); at equal specificity deny beats allow.
 */
export class ListIndex {
  readonly size: number;
  private readonly p: PackedLists;
  /** Groups met on the way down the trie, reused by every lookup (decisions are synchronous). */
  private readonly path = new Int32Array(MAX_DEPTH + 2);

  constructor(entries: readonly ListEntry[] | PackedLists) {
    if (Array.isArray(entries)) {
      const part = new ListPartBuilder();
      for (const entry of entries) part.addEntry(entry);
      this.p = packLists([part.build()]);
    } else {
      this.p = entries as PackedLists;
    }
    this.size = this.p.size;
  }

  /** The packed arrays, to hand to another thread (transfer the typed arrays' buffers). */
  get packed(): PackedLists {
    return this.p;
  }

  /** The entry that applies to the caller, as an object: for explanations and tests (a decision uses find). */
  lookup(destination: Destination, caller: Extension, now: number): ListEntry | undefined {
    const hit = this.find(destination, caller, now);
    return hit === NO_HIT || destination.class === 'invalid' ? undefined : this.entry(hit, destination);
  }

  /**
   * The entry that applies to the caller, as a hit (NO_HIT: none) to read with denies() and whereOf():
   * a decision makes no object for it. A hit is the entry's position times 256 plus its trie slot's low
   * bits (exact bit, depth), which say what digits it matched.
   */
  find(destination: Destination, caller: Extension, now: number): number {
    if (this.size === 0 || destination.class === 'invalid') return NO_HIT;
    const digits = destination.e164 ?? destination.shortCode;
    if (digits === undefined) return NO_HIT;
    const start = startOf(destination);
    let node = start === 0 ? SHORT_ROOT : E164_ROOT;
    const { children, prefixGroup, exactGroup } = this.p;
    const path = this.path;
    let found = 0;
    // path holds (group << 8 | exact << 7 | depth) so a hit can name the digits it matched.
    if (prefixGroup[node]! !== 0) path[found++] = prefixGroup[node]! << 8;
    let i = start;
    for (; i < digits.length && found < MAX_DEPTH; i++) {
      const d = digits.charCodeAt(i) - 48;
      node = d >= 0 && d <= 9 ? children[node * 10 + d]! : 0;
      if (node === 0) break;
      if (prefixGroup[node]! !== 0) path[found++] = (prefixGroup[node]! << 8) | (i + 1 - start);
    }
    if (node !== 0 && i === digits.length && exactGroup[node]! !== 0) path[found++] = (exactGroup[node]! << 8) | EXACT_BIT | (i - start);
    const { groupStart } = this.p;
    for (let f = found - 1; f >= 0; f--) {
      const slot = path[f]!;
      const group = (slot >>> 8) - 1;
      for (let e = groupStart[group]!; e < groupStart[group + 1]!; e++) {
        if (this.applies(e, caller, now)) return e * 256 + (slot & 0xff);
      }
    }
    return NO_HIT;
  }

  /** Whether the hit is a deny-list entry. */
  denies(hit: number): boolean {
    return (this.p.flags[hit >>> 8]! & FLAG_DENY) !== 0;
  }

  /** Where the hit's entry was written. */
  whereOf(hit: number): string {
    const e = hit >>> 8;
    const p = this.p;
    return p.whereLine[e] === 0 ? this.string(p.whereFile[e]!) : `${this.string(p.whereFile[e]!)}:${p.whereLine[e]!}`;
  }

  private applies(e: number, caller: Extension, now: number): boolean {
    const p = this.p;
    const from = p.from[e]!;
    if (from === from && now < from) return false;
    const until = p.until[e]!;
    if (until === until && now >= until) return false;
    if ((p.flags[e]! & FLAG_EVERYONE) !== 0) return true;
    for (let k = p.selStart[e]!; k < p.selStart[e + 1]!; k++) {
      const kind = p.selKind[k]!;
      const name = kind === USER ? caller.user : kind === EXTENSION ? caller.ext : caller.classOfService.name;
      if (name !== undefined && this.is(p.selName[k]!, name)) return true;
    }
    return false;
  }

  /** Whether string `id` of the table is `s`, without cutting it out. */
  private is(id: number, s: string): boolean {
    const at = this.p.stringStart[id]!;
    return this.p.stringStart[id + 1]! - at === s.length && this.p.strings.startsWith(s, at);
  }

  private string(id: number): string {
    return this.p.strings.slice(this.p.stringStart[id]!, this.p.stringStart[id + 1]!);
  }

  /** The hit's entry as an object. */
  private entry(hit: number, destination: Numbered): ListEntry {
    const e = hit >>> 8;
    const start = startOf(destination);
    const digits = destination.e164 ?? destination.shortCode!;
    const p = this.p;
    let appliesTo: AppliesTo = { everyone: true };
    if ((p.flags[e]! & FLAG_EVERYONE) === 0) {
      const lists: string[][] = [[], [], []];
      for (let k = p.selStart[e]!; k < p.selStart[e + 1]!; k++) lists[p.selKind[k]!]!.push(this.string(p.selName[k]!));
      appliesTo = { everyone: false, users: lists[USER]!, extensions: lists[EXTENSION]!, classes: lists[CLASS]! };
    }
    const from = p.from[e]!;
    const until = p.until[e]!;
    return {
      kind: this.denies(hit) ? 'deny' : 'allow',
      digits: digits.slice(start, start + (hit & DEPTH_MASK)),
      space: start === 0 ? 'short' : 'e164',
      match: (hit & EXACT_BIT) !== 0 ? 'number' : 'prefix',
      appliesTo,
      reason: this.string(p.reason[e]!),
      approver: p.approver[e] === -1 ? undefined : this.string(p.approver[e]!),
      from: from === from ? from : undefined,
      until: until === until ? until : undefined,
      where: this.whereOf(hit),
    };
  }
}

/** A destination with digits to look up. */
type Numbered = Exclude<Destination, { class: 'invalid' }>;

/** What find() returns when no entry applies. */
export const NO_HIT = -1;

/** Where a destination's digits start in the trie: after the '+' of E.164 digits, or at once for a short code as dialled. */
function startOf(destination: Numbered): number {
  return destination.e164 !== undefined ? 1 : 0;
}

const DEPTH_MASK = 0x7f;
const EXACT_BIT = 0x80;
