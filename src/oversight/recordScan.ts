import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { recordsDir } from './callRecords.js';
import { LineScanner } from './lineScanner.js';

/**
 * A fast reader of call record files for the report and the replay (ten million lines in seconds). It
 * reads each file in chunks into the memory of a WebAssembly scanner (lineScanner.wat), which finds the
 * lines, tells whole flat JSON objects from anything else and notes where each known field's value is:
 * no JSON.parse, no object per record. A consumer gets one reused `RecordView` per line and asks only for
 * the fields it needs; values from a small set (class, reason, department, ...) come interned, so a month
 * of records allocates a string only for what is new or asked for as text (the number dialled).
 *
 * A line that is not a whole object (a crash's torn line) is skipped and counted, never taken as a record.
 */

/** The fields a record line may carry, by index. */
export const F = {
  id: 0, invite: 1, answer: 2, end: 3, dur: 4, disp: 5, status: 6, action: 7, class: 8, reason: 9, rule: 10, where: 11,
  from: 12, user: 13, dept: 14, to: 15, e164: 16, country: 17, lock: 18, failover: 19, unanswered: 20, v: 21, pinFail: 22, pinLock: 23, use: 24,
} as const;
export type Field = (typeof F)[keyof typeof F];
const FIELD_COUNT = 25;
const KEY_NAMES: string[] = [];
for (const [key, index] of Object.entries(F)) KEY_NAMES[index] = key;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Interned strings of one field, in an open-addressing table keyed by a value's length and its first and
 * last four bytes (values of a field differ early or late: extensions, rule ids). Those three numbers are
 * the whole value up to eight bytes; a longer value is also compared byte for byte in between, so two
 * values are never taken for one.
 */
class InternTable {
  private slots = new Int32Array(64).fill(-1);
  /** Per entry: head, tail, length, and where its bytes are in `arena`. */
  private keys = new Int32Array(4 * 32);
  readonly texts: string[] = [];
  private arena = Buffer.allocUnsafe(4096);
  private used = 0;

  /** The entry of the value on buf[start, end), added if new. */
  id(buf: Buffer, data: DataView<ArrayBufferLike>, start: number, end: number): number {
    const length = end - start;
    let head = 0;
    let tail = 0;
    if (length >= 4) {
      head = data.getInt32(start, true);
      tail = data.getInt32(end - 4, true);
    } else {
      for (let i = start; i < end; i++) head = (head << 8) | buf[i]!;
    }
    let h = Math.imul(head ^ Math.imul(tail ^ length, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    const slots = this.slots;
    const keys = this.keys;
    const mask = slots.length - 1;
    for (let slot = h & mask; ; slot = (slot + 1) & mask) {
      const e = slots[slot]!;
      if (e < 0) return this.add(slot, head, tail, buf, start, end);
      const k = e << 2;
      if (keys[k] !== head || keys[k + 1] !== tail || keys[k + 2] !== length) continue;
      if (length <= 8) return e;
      const arena = this.arena;
      let a = keys[k + 3]! + 4;
      let i = start + 4;
      const stop = end - 4;
      while (i < stop && arena[a] === buf[i]) (a++, i++);
      if (i === stop) return e;
    }
  }

  private add(slot: number, head: number, tail: number, buf: Buffer, start: number, end: number): number {
    const length = end - start;
    if (this.used + length > this.arena.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + length));
      this.arena.copy(bigger, 0, 0, this.used);
      this.arena = bigger;
    }
    buf.copy(this.arena, this.used, start, end);
    const e = this.texts.length;
    this.texts.push(decode(buf, start, end));
    if ((e + 1) * 4 > this.keys.length) {
      const keys = new Int32Array(this.keys.length * 2);
      keys.set(this.keys);
      this.keys = keys;
    }
    this.keys.set([head, tail, length, this.used], e * 4);
    this.used += length;
    this.slots[slot] = e;
    // Kept at most half full, so a probe ends soon.
    if (this.texts.length * 2 > this.slots.length) {
      const slots = new Int32Array(this.slots.length * 2).fill(-1);
      const mask = slots.length - 1;
      for (let i = 0; i < this.texts.length; i++) {
        const k = i * 4;
        let h = Math.imul(this.keys[k]! ^ Math.imul(this.keys[k + 1]! ^ this.keys[k + 2]!, 0x9e3779b1), 0x85ebca6b);
        h ^= h >>> 15;
        let s = h & mask;
        while (slots[s]! >= 0) s = (s + 1) & mask;
        slots[s] = i;
      }
      this.slots = slots;
    }
    return e;
  }
}

function digits(b: Buffer, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (b[at + k]! - 0x30);
  return v;
}

/**
 * The text of the value on buf[start, end): a string value's (start just after its opening quote) with
 * its escapes undone, or a bare value's as it is. A string whose escapes are not JSON's (no writer of
 * records makes one) is given as it stands rather than failing the report.
 */
function decode(buf: Buffer, start: number, end: number): string {
  const quoted = buf[start - 1] === QUOTE;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === BACKSLASH && quoted) return unescaped(buf.toString('utf8', start, end));
    if (c >= 0x80) ascii = false;
  }
  // ASCII (nearly every value): latin1 is the same text, decoded faster.
  return buf.toString(ascii ? 'latin1' : 'utf8', start, end);
}

function unescaped(raw: string): string {
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** One record line, valid until the next line is scanned. */
export class RecordView {
  private buf: Buffer = Buffer.alloc(0);
  /** `buf` as a DataView, for reading four bytes at once. */
  private data: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  /** The scanner's line records: per field, the value's start and end in `buf` (-1 when absent), from `at`. */
  private words: Int32Array<ArrayBufferLike> = new Int32Array(0);
  private at = 0;
  private readonly tables: InternTable[] = Array.from({ length: FIELD_COUNT }, () => new InternTable());
  private readonly lastDay = new Uint8Array(10);
  private lastDayMs = Number.NaN;

  /** Reads the scanner's memory (again, after it grew). */
  attach(scanner: LineScanner): void {
    this.buf = scanner.bytes;
    this.words = scanner.words;
    this.data = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  /** Points at the line whose first field's start is words[at]. */
  point(at: number): void {
    this.at = at;
  }

  has(f: Field): boolean {
    return this.words[this.at + 2 * f]! >= 0;
  }

  /** A value from a small set, interned: the same string object every time it recurs. */
  intern(f: Field): string | undefined {
    const s = this.words[this.at + 2 * f]!;
    if (s < 0) return undefined;
    const table = this.tables[f]!;
    return table.texts[table.id(this.buf, this.data, s, this.words[this.at + 2 * f + 1]!)];
  }

  /**
   * A small number for the value of `f`, the same for the same value (the `intern` string's index in
   * this view's table of the field); -1 when absent. For keying arrays by a value without a string.
   */
  internId(f: Field): number {
    const s = this.words[this.at + 2 * f]!;
    return s < 0 ? -1 : this.tables[f]!.id(this.buf, this.data, s, this.words[this.at + 2 * f + 1]!);
  }

  /** A value as a new string (the number dialled, the call id). */
  text(f: Field): string | undefined {
    const s = this.words[this.at + 2 * f]!;
    return s < 0 ? undefined : decode(this.buf, s, this.words[this.at + 2 * f + 1]!);
  }

  /** An integer field (dur, status); NaN when absent. */
  int(f: Field): number {
    const s = this.words[this.at + 2 * f]!;
    if (s < 0) return Number.NaN;
    const buf = this.buf;
    let i = s;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    let n = 0;
    for (const e = this.words[this.at + 2 * f + 1]!; i < e; i++) {
      const c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    return negative ? -n : n;
  }

  /** An ISO 8601 UTC time field (`2026-11-03T09:12:01.123Z`) as epoch ms; NaN when absent or malformed. */
  time(f: Field): number {
    const s = this.words[this.at + 2 * f]!;
    if (s < 0 || this.words[this.at + 2 * f + 1]! - s < 20) return Number.NaN;
    const b = this.buf;
    // The date part changes once a day: keep the last one's epoch ms.
    let sameDay = this.lastDayMs === this.lastDayMs;
    for (let i = 0; i < 10 && sameDay; i++) sameDay = b[s + i] === this.lastDay[i];
    if (!sameDay) {
      for (let i = 0; i < 10; i++) this.lastDay[i] = b[s + i]!;
      this.lastDayMs = Date.UTC(digits(b, s, 4), digits(b, s + 5, 2) - 1, digits(b, s + 8, 2));
    }
    const ms = b[s + 19] === 0x2e ? digits(b, s + 20, 3) : 0;
    return this.lastDayMs + digits(b, s + 11, 2) * 3_600_000 + digits(b, s + 14, 2) * 60_000 + digits(b, s + 17, 2) * 1000 + ms;
  }

  /** True when the string field equals `ascii` (no allocation). */
  is(f: Field, ascii: string): boolean {
    const s = this.words[this.at + 2 * f]!;
    if (s < 0 || this.words[this.at + 2 * f + 1]! - s !== ascii.length) return false;
    for (let i = 0; i < ascii.length; i++) if (this.buf[s + i] !== ascii.charCodeAt(i)) return false;
    return true;
  }
}

export interface ScanStats {
  files: number;
  lines: number;
  records: number;
  /** Lines that were not a whole record (a crash's torn line). */
  skipped: number;
  bytes: number;
}

// Read in pieces that stay in the CPU cache: reading 128 KB at a time is three times faster than 4 MB (page cache to buffer).
const CHUNK = 128 << 10;

/** Reads records: each whole record line, to a callback, through one scanner and one view (whose interned values last). */
export class RecordReader {
  private readonly scanner = new LineScanner(KEY_NAMES);
  private readonly view = new RecordView();

  constructor() {
    this.view.attach(this.scanner);
  }

  /** Each whole record line of the files, in file order; `onFile` is told the bytes of each file read. */
  files(files: readonly string[], onRecord: (view: RecordView) => void, onFile?: (bytes: number) => void): ScanStats {
    const stats = zeroStats();
    for (const file of files) {
      const fd = openSync(file, 'r');
      stats.files++;
      const before = stats.bytes;
      try {
        this.stream((into, at, room) => readSync(fd, into, at, room, null), stats, onRecord);
      } finally {
        closeSync(fd);
      }
      onFile?.(stats.bytes - before);
    }
    return stats;
  }

  /** Each whole record line of `bytes`, as if they were a file's. */
  bytes(bytes: Uint8Array, onRecord: (view: RecordView) => void): ScanStats {
    const stats = zeroStats();
    let read = 0;
    this.stream(
      (into, at, room) => {
        const n = Math.min(room, bytes.length - read);
        into.set(bytes.subarray(read, read + n), at);
        read += n;
        return n;
      },
      stats,
      onRecord,
    );
    return stats;
  }

  /** Reads a file's bytes by `read` into the scanner, chunk by chunk, and scans them. */
  private stream(read: (into: Buffer, at: number, room: number) => number, stats: ScanStats, onRecord: (view: RecordView) => void): void {
    const s = this.scanner;
    const view = this.view;
    let kept = 0;
    for (;;) {
      if (kept === s.capacity) {
        // A single line longer than the room for input: more room (never happens with records the edge wrote).
        s.grow();
        view.attach(s);
      }
      const n = read(s.bytes, s.input + kept, Math.min(CHUNK, s.capacity - kept));
      stats.bytes += n;
      const end = s.input + kept + n;
      let from = s.input;
      for (;;) {
        const lines = s.scan(from, end);
        const words = s.words;
        for (let r = 0, record = s.firstRecord; r < lines; r++, record += s.recordWords) {
          stats.lines++;
          if (words[record + 2] === 1) {
            stats.records++;
            view.point(record + 4);
            onRecord(view);
          } else stats.skipped++;
        }
        from = s.resume;
        if (lines < s.maxLines) break;
      }
      if (n === 0) {
        // A last line without its newline was cut short by a crash: never a record.
        if (end > from) {
          stats.lines++;
          stats.skipped++;
        }
        return;
      }
      kept = end - from;
      s.bytes.copy(s.bytes, s.input, from, end);
    }
  }
}

export const zeroStats = (): ScanStats => ({ files: 0, lines: 0, records: 0, skipped: 0, bytes: 0 });

/** Calls `onRecord` with each whole record line of the files, in file order, and `onFile` with each file's bytes once read. */
export function scanFiles(files: readonly string[], onRecord: (view: RecordView) => void, onFile?: (bytes: number) => void): ScanStats {
  return new RecordReader().files(files, onRecord, onFile);
}

/**
 * The record files holding calls made in month `yyyy-mm`: that month's day files, and the first days
 * of the next (a call is filed by the day it ended). Callers filter by the INVITE's day.
 */
export function monthFiles(dataDir: string, month: string): string[] {
  const dir = recordsDir(dataDir);
  if (!existsSync(dir)) return [];
  const [y, m] = month.split('-').map(Number) as [number, number | undefined];
  // A whole year (yyyy) is its months and the first days of the next January.
  const next = m === undefined || m === 12 ? `${y + 1}-01` : `${y}-${String(m + 1).padStart(2, '0')}`;
  return readdirSync(dir)
    .filter((name) => name.endsWith('.jsonl') && (name.startsWith(`${month}-`) || name === `${next}-01.jsonl` || name === `${next}-02.jsonl`))
    .sort()
    .map((name) => join(dir, name));
}
