import type { ListEntry, Names } from './listIndex.js';

/** Entry flags, as a ListPart and the packed index keep them. */
export const FLAG_DENY = 1;
export const FLAG_EVERYONE = 2;
/** A short code as dialled (else E.164 digits). */
export const FLAG_SHORT = 4;
/** A whole number (else a prefix). */
export const FLAG_EXACT = 8;

/** Kinds of name an entry may apply to. */
export const USER = 0;
export const EXTENSION = 1;
export const CLASS = 2;

/**
 * Some list entries (one file's, or the core's), compiled and packed in columns with their strings end
 * to end: no object per entry. A loader keeps one per list file, and the index is built from them all.
 */
export interface ListPart {
  size: number;
  /** Entry e's digits are the character codes digits[digitStart[e]] .. digits[digitStart[e+1]-1]. */
  digits: Uint8Array;
  digitStart: Int32Array;
  /** Per entry: FLAG_* bits. */
  flags: Uint8Array;
  /** Per entry: start and end (epoch ms), NaN when open. */
  from: Float64Array;
  until: Float64Array;
  /** Per entry: string ids of the reason and the approver (-1: none). */
  reason: Int32Array;
  approver: Int32Array;
  /** Per entry: where it was written, the string id of its file and its line (0: the string is the whole citation). */
  whereFile: Int32Array;
  whereLine: Int32Array;
  /** Per entry: its names are selStart[e] .. selStart[e+1]-1 of selKind (USER, EXTENSION, CLASS) and selName (string id). */
  selStart: Int32Array;
  selKind: Uint8Array;
  selName: Int32Array;
  /** Every string, end to end; string i is strings.slice(stringStart[i], stringStart[i+1]). */
  strings: string;
  stringStart: Int32Array;
}

/** Collects entries into a ListPart. Names of an entry are given first (`name`), then the entry (`add`). */
export class ListPartBuilder {
  private count = 0;
  private digits = new Uint8Array(16 * 1024);
  private digitEnd = 0;
  private digitStart = new Int32Array(1025);
  private flags = new Uint8Array(1024);
  private from = new Float64Array(1024);
  private until = new Float64Array(1024);
  private reason = new Int32Array(1024);
  private approver = new Int32Array(1024);
  private whereFile = new Int32Array(1024);
  private whereLine = new Int32Array(1024);
  private selStart = new Int32Array(1025);
  private selKind = new Uint8Array(1024);
  private selName = new Int32Array(1024);
  private sels = 0;
  private readonly pieces: string[] = [];
  private stringStart = new Int32Array(1025);
  private chars = 0;
  /** Approvers and files repeat across thousands of entries; other strings are mostly unique and kept as they come. */
  private readonly shared = new Map<string, number>();

  get size(): number {
    return this.count;
  }

  /** A name the next entry applies to. */
  name(kind: number, name: string): void {
    if (this.sels === this.selKind.length) {
      this.selKind = grow(this.selKind);
      this.selName = grow(this.selName);
    }
    this.selKind[this.sels] = kind;
    this.selName[this.sels++] = this.string(name);
  }

  /** An entry: `digits` are E.164 digits without '+', or a short code with FLAG_SHORT; `from`/`until` NaN when open. */
  add(flags: number, digits: string, from: number, until: number, reason: string, approver: string | undefined, file: string, line: number): void {
    const e = this.count++;
    if (this.count === this.flags.length) this.growColumns();
    while (this.digitEnd + digits.length > this.digits.length) this.digits = grow(this.digits);
    for (let i = 0; i < digits.length; i++) this.digits[this.digitEnd++] = digits.charCodeAt(i);
    this.digitStart[e + 1] = this.digitEnd;
    this.flags[e] = flags;
    this.from[e] = from;
    this.until[e] = until;
    this.reason[e] = this.string(reason);
    this.approver[e] = approver === undefined ? -1 : this.sharedString(approver);
    this.whereFile[e] = this.sharedString(file);
    this.whereLine[e] = line;
    this.selStart[e + 1] = this.sels;
  }

  /** An entry as an object (its names included). */
  addEntry(entry: ListEntry): void {
    const who = entry.appliesTo;
    if (!who.everyone) {
      this.names(USER, who.users);
      this.names(EXTENSION, who.extensions);
      this.names(CLASS, who.classes);
    }
    const flags = (entry.kind === 'deny' ? FLAG_DENY : 0) | (who.everyone ? FLAG_EVERYONE : 0) | (entry.space === 'short' ? FLAG_SHORT : 0) | (entry.match === 'number' ? FLAG_EXACT : 0);
    this.add(flags, entry.digits, entry.from ?? NaN, entry.until ?? NaN, entry.reason, entry.approver, entry.where, 0);
  }

  build(): ListPart {
    const n = this.count;
    return {
      size: n,
      digits: this.digits.subarray(0, this.digitEnd),
      digitStart: this.digitStart.subarray(0, n + 1),
      flags: this.flags.subarray(0, n),
      from: this.from.subarray(0, n),
      until: this.until.subarray(0, n),
      reason: this.reason.subarray(0, n),
      approver: this.approver.subarray(0, n),
      whereFile: this.whereFile.subarray(0, n),
      whereLine: this.whereLine.subarray(0, n),
      selStart: this.selStart.subarray(0, n + 1),
      selKind: this.selKind.subarray(0, this.sels),
      selName: this.selName.subarray(0, this.sels),
      strings: this.pieces.join(''),
      stringStart: this.stringStart.subarray(0, this.pieces.length + 1),
    };
  }

  private names(kind: number, names: Names): void {
    for (const name of names) this.name(kind, name);
  }

  private string(s: string): number {
    const i = this.pieces.length;
    this.pieces.push(s);
    if (i + 2 > this.stringStart.length) this.stringStart = grow(this.stringStart);
    this.chars += s.length;
    this.stringStart[i + 1] = this.chars;
    return i;
  }

  private sharedString(s: string): number {
    let i = this.shared.get(s);
    if (i === undefined) this.shared.set(s, (i = this.string(s)));
    return i;
  }

  private growColumns(): void {
    this.digitStart = grow(this.digitStart);
    this.flags = grow(this.flags);
    this.from = grow(this.from);
    this.until = grow(this.until);
    this.reason = grow(this.reason);
    this.approver = grow(this.approver);
    this.whereFile = grow(this.whereFile);
    this.whereLine = grow(this.whereLine);
    this.selStart = grow(this.selStart);
  }
}

/** The same numbers in a typed array of the same kind twice the size. */
export function grow<T extends Int32Array<ArrayBuffer> | Uint8Array<ArrayBuffer> | Float64Array<ArrayBuffer>>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}
