import type { Destination } from '../numbering/destination.js';
import type { Extension } from './plan.js';

/** Names a list entry applies to. */
export type Names = readonly string[] | ReadonlySet<string>;

export function names(list: readonly string[] | undefined): Names {
  return !list || list.length === 0 ? NO_NAMES : Object.freeze([...list]);
}

const NO_NAMES: Names = Object.freeze([]);

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
 * transferred, not copied) and what the index reads directly, with no object per entry.
 */
export interface PackedLists {
  size: number;
  /** Trie nodes, ten children each (0: none); node 0 is the root of E.164 digits, node 1 of short codes. */
  children: Int32Array;
  /** Per node, 1 + the group of prefix (or exact-number) entries ending there; 0: none. */
  prefixGroup: Int32Array;
  exactGroup: Int32Array;
  /** Entries of group g are positions groupStart[g] .. groupStart[g+1]-1, deny before allow. */
  groupStart: Int32Array;
  /** Per entry: FLAG_* bits. */
  flags: Uint8Array;
  /** Per entry: start and end (epoch ms), NaN when open. */
  from: Float64Array;
  until: Float64Array;
  /** Per entry: string ids of the reason, approver (-1: none) and "file:line". */
  reason: Int32Array;
  approver: Int32Array;
  where: Int32Array;
  /** Per entry: its names are selStart[e] .. selStart[e+1]-1 of selKind (USER, EXTENSION, CLASS) and selName (string id). */
  selStart: Int32Array;
  selKind: Uint8Array;
  selName: Int32Array;
  /** Every string, end to end; string i is strings.slice(stringStart[i], stringStart[i+1]). */
  strings: string;
  stringStart: Int32Array;
}

const FLAG_DENY = 1;
const FLAG_EVERYONE = 2;
const USER = 0;
const EXTENSION = 1;
const CLASS = 2;
const E164_ROOT = 0;
const SHORT_ROOT = 1;
/** Deepest path a lookup walks: E.164 numbers have at most 15 digits, dial strings at most 64 characters. */
const MAX_DEPTH = 66;

/**
 * Collects entries and builds the packed form. Each entry goes into the trie and into columns as it is
 * added, so nothing is kept of it but its numbers and strings: an entry object dies young, which matters
 * at 100,000 entries (the collector no longer copies them all between generations).
 */
export class ListIndexBuilder {
  private children = new Int32Array(20 * 64);
  private nodes = 2;
  private readonly prefixGroup: number[] = [0, 0];
  private readonly exactGroup: number[] = [0, 0];
  private groups = 0;
  private count = 0;
  /** Per entry, in the order added: its group (1-based), flags, range and strings. */
  private group = new Int32Array(1024);
  private flags = new Uint8Array(1024);
  private from = new Float64Array(1024);
  private until = new Float64Array(1024);
  private readonly reason: string[] = [];
  private readonly approver: (string | undefined)[] = [];
  private readonly where: string[] = [];
  /** Entry i's names are selectors selAt[i] .. selAt[i+1]-1. */
  private selAt = new Int32Array(1025);
  private readonly selKind: number[] = [];
  private readonly selName: string[] = [];

  add(entry: ListEntry): void {
    let node = entry.space === 'e164' ? E164_ROOT : SHORT_ROOT;
    const digits = entry.digits;
    for (let i = 0; i < digits.length; i++) {
      const slot = node * 10 + (digits.charCodeAt(i) - 48);
      let next = this.children[slot]!;
      if (next === 0) {
        next = this.nodes++;
        if (this.nodes * 10 > this.children.length) this.children = grow(this.children);
        this.children[slot] = next;
        this.prefixGroup.push(0);
        this.exactGroup.push(0);
      }
      node = next;
    }
    const ends = entry.match === 'number' ? this.exactGroup : this.prefixGroup;
    if (ends[node] === 0) ends[node] = ++this.groups;
    const e = this.count++;
    if (e === this.group.length) this.growColumns();
    const who = entry.appliesTo;
    this.group[e] = ends[node]!;
    this.flags[e] = (entry.kind === 'deny' ? FLAG_DENY : 0) | (who.everyone ? FLAG_EVERYONE : 0);
    this.from[e] = entry.from ?? NaN;
    this.until[e] = entry.until ?? NaN;
    this.reason.push(entry.reason);
    this.approver.push(entry.approver);
    this.where.push(entry.where);
    if (!who.everyone) {
      this.addNames(USER, who.users);
      this.addNames(EXTENSION, who.extensions);
      this.addNames(CLASS, who.classes);
    }
    this.selAt[e + 1] = this.selKind.length;
  }

  private addNames(kind: number, names: Names): void {
    for (const name of names) {
      this.selKind.push(kind);
      this.selName.push(name);
    }
  }

  private growColumns(): void {
    this.group = grow(this.group);
    this.flags = grow(this.flags);
    this.from = grow(this.from);
    this.until = grow(this.until);
    this.selAt = grow(this.selAt);
  }

  build(): PackedLists {
    const n = this.count;
    const groups = this.groups;
    // Groups in the order first seen, and in each its deny entries before its allow entries, each in the order added.
    const groupStart = new Int32Array(groups + 1);
    const denies = new Int32Array(groups + 1);
    for (let e = 0; e < n; e++) {
      groupStart[this.group[e]!]!++;
      if ((this.flags[e]! & FLAG_DENY) !== 0) denies[this.group[e]!]!++;
    }
    const nextDeny = new Int32Array(groups + 1);
    const nextAllow = new Int32Array(groups + 1);
    for (let g = 1, at = 0; g <= groups; g++) {
      const size = groupStart[g]!;
      groupStart[g] = at + size;
      nextDeny[g] = at;
      nextAllow[g] = at + denies[g]!;
      at += size;
    }
    const order = new Int32Array(n);
    for (let e = 0; e < n; e++) order[(this.flags[e]! & FLAG_DENY) !== 0 ? nextDeny[this.group[e]!]!++ : nextAllow[this.group[e]!]!++] = e;

    const flags = new Uint8Array(n);
    const from = new Float64Array(n);
    const until = new Float64Array(n);
    const reason = new Int32Array(n);
    const approver = new Int32Array(n);
    const where = new Int32Array(n);
    const selStart = new Int32Array(n + 1);
    const selKind: number[] = [];
    const selName: number[] = [];
    const pieces: string[] = [];
    let stringStart = new Int32Array(1024);
    let ends = 0;
    const add = (s: string): number => {
      const i = pieces.length;
      pieces.push(s);
      if (i + 2 > stringStart.length) stringStart = grow(stringStart);
      ends += s.length;
      stringStart[i + 1] = ends;
      return i;
    };
    // Approvers repeat across thousands of entries; other strings are mostly unique and kept as they come.
    const approvers = new Map<string, number>();
    const approverId = (s: string): number => {
      let i = approvers.get(s);
      if (i === undefined) approvers.set(s, (i = add(s)));
      return i;
    };
    for (let at = 0; at < n; at++) {
      const e = order[at]!;
      flags[at] = this.flags[e]!;
      from[at] = this.from[e]!;
      until[at] = this.until[e]!;
      reason[at] = add(this.reason[e]!);
      const by = this.approver[e];
      approver[at] = by === undefined ? -1 : approverId(by);
      where[at] = add(this.where[e]!);
      for (let k = this.selAt[e]!; k < this.selAt[e + 1]!; k++) {
        selKind.push(this.selKind[k]!);
        selName.push(add(this.selName[k]!));
      }
      selStart[at + 1] = selKind.length;
    }
    return {
      size: n,
      children: this.children.slice(0, this.nodes * 10),
      prefixGroup: Int32Array.from(this.prefixGroup),
      exactGroup: Int32Array.from(this.exactGroup),
      groupStart,
      flags,
      from,
      until,
      reason,
      approver,
      where,
      selStart,
      selKind: Uint8Array.from(selKind),
      selName: Int32Array.from(selName),
      strings: pieces.join(''),
      stringStart: stringStart.slice(0, pieces.length + 1),
    };
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
      const builder = new ListIndexBuilder();
      for (const entry of entries) builder.add(entry);
      this.p = builder.build();
    } else {
      this.p = entries as PackedLists;
    }
    this.size = this.p.size;
  }

  /** The packed arrays, to hand to another thread (transfer the typed arrays' buffers). */
  get packed(): PackedLists {
    return this.p;
  }

  lookup(destination: Destination, caller: Extension, now: number): ListEntry | undefined {
    if (this.size === 0 || destination.class === 'invalid') return undefined;
    let digits: string;
    let start: number;
    let node: number;
    if (destination.e164 !== undefined) {
      digits = destination.e164;
      start = 1;
      node = E164_ROOT;
    } else if (destination.shortCode !== undefined) {
      digits = destination.shortCode;
      start = 0;
      node = SHORT_ROOT;
    } else {
      return undefined;
    }
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
    for (let f = found - 1; f >= 0; f--) {
      const slot = path[f]!;
      const group = (slot >>> 8) - 1;
      const { groupStart } = this.p;
      for (let e = groupStart[group]!; e < groupStart[group + 1]!; e++) {
        if (this.applies(e, caller, now)) return this.entry(e, digits.slice(start, start + (slot & DEPTH_MASK)), start === 0, (slot & EXACT_BIT) !== 0);
      }
    }
    return undefined;
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

  /** The entry at position `e` as an object, made only for the entry a decision cites. */
  private entry(e: number, digits: string, short: boolean, exact: boolean): ListEntry {
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
      kind: (p.flags[e]! & FLAG_DENY) !== 0 ? 'deny' : 'allow',
      digits,
      space: short ? 'short' : 'e164',
      match: exact ? 'number' : 'prefix',
      appliesTo,
      reason: this.string(p.reason[e]!),
      approver: p.approver[e] === -1 ? undefined : this.string(p.approver[e]!),
      from: from === from ? from : undefined,
      until: until === until ? until : undefined,
      where: this.string(p.where[e]!),
    };
  }
}

/** The same numbers in a typed array of the same kind twice the size. */
function grow<T extends Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}

const DEPTH_MASK = 0x7f;
const EXACT_BIT = 0x80;
