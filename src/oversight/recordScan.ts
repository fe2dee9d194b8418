import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { recordsDir } from './callRecords.js';

/**
 * A fast reader of call record files for the report and the replay (ten million lines in seconds). It
 * reads each file in chunks and scans each line's flat JSON object in place: no JSON.parse, no object
 * per record. Keys are matched four bytes at a time, the one the edge writes next tried first; string
 * values are crossed eight bytes at a time up to a quote or backslash. A consumer gets one reused
 * `RecordView` per line and asks only for the fields it needs; values from a small set (class, reason,
 * department, ...) come interned, so a month of records allocates a string only for what is new or
 * asked for as text (the number dialled).
 *
 * A line that is not a whole object (a crash's torn last line) is skipped and counted, never taken
 * as a record.
 */

/** The fields a record line may carry, by index. */
export const F = {
  id: 0, invite: 1, answer: 2, end: 3, dur: 4, disp: 5, status: 6, action: 7, class: 8, reason: 9, rule: 10, where: 11,
  from: 12, user: 13, dept: 14, to: 15, e164: 16, country: 17, lock: 18, failover: 19, unanswered: 20, v: 21, pinFail: 22, pinLock: 23,
} as const;
export type Field = (typeof F)[keyof typeof F];
const FIELD_COUNT = 24;
const KEY_INDEX = new Map<string, number>(Object.entries(F));

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NEWLINE = 0x0a;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN = 0x7b;
const CLOSE = 0x7d;

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
 * its escapes undone, or a bare value's as it is.
 */
function decode(buf: Buffer, start: number, end: number): string {
  const quoted = buf[start - 1] === QUOTE;
  let ascii = true;
  for (let i = start; i < end; i++) {
    const c = buf[i]!;
    if (c === BACKSLASH && quoted) return JSON.parse(`"${buf.toString('utf8', start, end)}"`) as string;
    if (c >= 0x80) ascii = false;
  }
  // ASCII (nearly every value): latin1 is the same text, decoded faster.
  return buf.toString(ascii ? 'latin1' : 'utf8', start, end);
}

/** One record line, valid until the next line is scanned. */
export class RecordView {
  private buf: Buffer = Buffer.alloc(0);
  /** Per field: value start and end in `buf` (strings without their quotes), when `seen` is this line's number. */
  private readonly start = new Int32Array(FIELD_COUNT);
  private readonly end = new Int32Array(FIELD_COUNT);
  private readonly seen = new Int32Array(FIELD_COUNT);
  private line = 0;
  /** `buf` as a DataView, for reading four bytes at once. */
  private data: DataView<ArrayBufferLike> = new DataView(new ArrayBuffer(0));
  private readonly tables: InternTable[] = Array.from({ length: FIELD_COUNT }, () => new InternTable());
  private readonly lastDay = new Uint8Array(10);
  private lastDayMs = Number.NaN;

  has(f: Field): boolean {
    return this.seen[f] === this.line;
  }

  /** A value from a small set, interned: the same string object every time it recurs. */
  intern(f: Field): string | undefined {
    const s = this.seen[f] === this.line ? this.start[f]! : -1;
    if (s < 0) return undefined;
    const table = this.tables[f]!;
    return table.texts[table.id(this.buf, this.data, s, this.end[f]!)];
  }

  /**
   * A small number for the value of `f`, the same for the same value (the `intern` string's index in
   * this view's table of the field); -1 when absent. For keying arrays by a value without a string.
   */
  internId(f: Field): number {
    const s = this.seen[f] === this.line ? this.start[f]! : -1;
    return s < 0 ? -1 : this.tables[f]!.id(this.buf, this.data, s, this.end[f]!);
  }

  /** A value as a new string (the number dialled, the call id). */
  text(f: Field): string | undefined {
    const s = this.seen[f] === this.line ? this.start[f]! : -1;
    return s < 0 ? undefined : decode(this.buf, s, this.end[f]!);
  }

  /** An integer field (dur, status); NaN when absent. */
  int(f: Field): number {
    const s = this.seen[f] === this.line ? this.start[f]! : -1;
    if (s < 0) return Number.NaN;
    const buf = this.buf;
    let i = s;
    const negative = buf[i] === 0x2d;
    if (negative) i++;
    let n = 0;
    for (const e = this.end[f]!; i < e; i++) {
      const c = buf[i]! - 0x30;
      if (c < 0 || c > 9) break;
      n = n * 10 + c;
    }
    return negative ? -n : n;
  }

  /** An ISO 8601 UTC time field (`2026-11-03T09:12:01.123Z`) as epoch ms; NaN when absent or malformed. */
  time(f: Field): number {
    const s = this.seen[f] === this.line ? this.start[f]! : -1;
    if (s < 0 || this.end[f]! - s < 20) return Number.NaN;
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
    const s = this.seen[f] === this.line ? this.start[f]! : -1;
    if (s < 0 || this.end[f]! - s !== ascii.length) return false;
    for (let i = 0; i < ascii.length; i++) if (this.buf[s + i] !== ascii.charCodeAt(i)) return false;
    return true;
  }

  /**
   * Scans the object on buf[start, end) (one line, without its newline). False when the line is not one
   * whole flat object: a torn line, or something else. A member is `"key":` then a string (escapes
   * skipped, undone only when the value is asked for as text) or a bare value up to the next `,` or `}`.
   */
  scan(buf: Buffer, start: number, end: number): boolean {
    if (buf !== this.buf) {
      this.buf = buf;
      this.data = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    }
    const view = this.data;
    // The bytes a word may be read from (a DataView's byteLength is a slow call).
    const limit = buf.length;
    const starts = this.start;
    const ends = this.end;
    const seen = this.seen;
    // A field is this line's when marked with this line's number (no clearing of every field per line).
    let line = ++this.line;
    if (line === 0x7fffffff) {
      seen.fill(0);
      line = this.line = 1;
    }
    while (end > start && (buf[end - 1] === 0x0d || buf[end - 1] === 0x20)) end--;
    if (buf[start] !== OPEN || buf[end - 1] !== CLOSE) return false;
    let i = start + 1;
    let expect: number = F.v;
    for (;;) {
      if (buf[i] !== QUOTE) return i === end - 1;
      // The key: most often the one the writer puts next, else the one its first two bytes point to, compared
      // whole with its closing quote and colon, four bytes at a time.
      const keyStart = i + 1;
      let field = expect;
      if (field < 0 || !keyAt(view, limit, keyStart, end, field)) {
        field = KEY_BY_TWO[(buf[keyStart]! << 8) | buf[keyStart + 1]!]!;
        if (field >= 0 && !keyAt(view, limit, keyStart, end, field)) field = -2;
      }
      if (field >= 0) {
        i = keyStart + KEY_LENGTHS[field]!;
        expect = NEXT_KEY[field]!;
      } else {
        expect = -1;
        let k = keyStart;
        while (k < end && buf[k] !== QUOTE) k++;
        if (k >= end || buf[k + 1] !== COLON) return false;
        field = keyIndex(buf, keyStart, k);
        if (field >= 0) expect = NEXT_KEY[field]!;
        i = k + 2;
      }
      let vStart = i;
      let vEnd: number;
      if (buf[i] === QUOTE) {
        vStart = ++i;
        i = closingQuote(buf, view, i, end);
        if (i < 0) return false;
        vEnd = i++;
      } else {
        for (let c = buf[i]; i < end && c !== COMMA && c !== CLOSE; c = buf[++i]);
        vEnd = i;
        if (vEnd === vStart) return false;
      }
      if (field >= 0) {
        seen[field] = line;
        starts[field] = vStart;
        ends[field] = vEnd;
      }
      const c = buf[i];
      if (c === COMMA) i++;
      else if (c === CLOSE) return i === end - 1;
      else return false;
    }
  }
}

/** High bit set in each byte of `w` that is a quote or a backslash (a zero byte of w ^ that byte, found without a branch per byte). */
function quoteOrBackslash(w: number): number {
  const q = w ^ 0x22222222;
  const b = w ^ 0x5c5c5c5c;
  return (((q - 0x01010101) & ~q) | ((b - 0x01010101) & ~b)) & 0x80808080;
}

/**
 * Where the string whose text starts at `i` closes (its quote), past escaped bytes, or -1 when it does
 * not close before `end`. Crossed eight bytes at a time while none is a quote or a backslash.
 */
function closingQuote(buf: Buffer, view: DataView<ArrayBufferLike>, i: number, end: number): number {
  for (;;) {
    while (i + 8 <= end && (quoteOrBackslash(view.getInt32(i, true)) | quoteOrBackslash(view.getInt32(i + 4, true))) === 0) i += 8;
    if (i + 4 <= end && quoteOrBackslash(view.getInt32(i, true)) === 0) i += 4;
    let c = buf[i];
    while (i < end && c !== QUOTE && c !== BACKSLASH) c = buf[++i];
    if (i >= end) return -1;
    if (c === QUOTE) return i;
    i += 2;
  }
}

/**
 * Field index of a key, or -1 for a key this reader does not know (a newer writer's field). Every known
 * key is told apart by its length, first and last letters; a table on those finds the candidate, which
 * is then compared whole.
 */
const KEY_TABLE = new Int8Array(1 << 20).fill(-1);
const keyCode = (length: number, first: number, last: number) => ((length & 0xf) << 16) | (first << 8) | last;
for (const [key, index] of KEY_INDEX) {
  const code = keyCode(key.length, key.charCodeAt(0), key.charCodeAt(key.length - 1));
  if (KEY_TABLE[code] !== -1) throw new Error(`record keys ${key} and another share a code`);
  KEY_TABLE[code] = index;
}
const KEY_NAMES: string[] = [];
for (const [key, index] of KEY_INDEX) KEY_NAMES[index] = key;
/**
 * Each key as its bytes with the closing quote and colon (`invite":`), in little-endian words of four
 * bytes, four words per key; a mask per word keeps the bytes that are the key's (0: no such word).
 */
const KEY_WORDS = new Int32Array(FIELD_COUNT * 4);
const KEY_MASKS = new Int32Array(FIELD_COUNT * 4);
/** Bytes of `key":`, and of the words read to compare it. */
const KEY_LENGTHS = new Uint8Array(FIELD_COUNT);
const KEY_SPAN = new Uint8Array(FIELD_COUNT);
KEY_NAMES.forEach((name, f) => {
  const bytes = Buffer.from(`${name}":`, 'latin1');
  if (bytes.length > 16) throw new Error(`record key ${name} is too long`);
  KEY_LENGTHS[f] = bytes.length;
  KEY_SPAN[f] = Math.ceil(bytes.length / 4) * 4;
  for (let b = 0; b < bytes.length; b++) {
    KEY_WORDS[f * 4 + (b >> 2)]! |= bytes[b]! << (8 * (b & 3));
    KEY_MASKS[f * 4 + (b >> 2)]! |= 0xff << (8 * (b & 3));
  }
});
/** The key most likely meant by a key's first two bytes (its second byte, or the closing quote of a one-letter key). */
const KEY_BY_TWO = new Int8Array(1 << 16).fill(-1);
for (const [key, index] of KEY_INDEX) {
  const two = (key.charCodeAt(0) << 8) | (key.length > 1 ? key.charCodeAt(1) : QUOTE);
  // pinFail and pinLock share theirs: the first takes the slot, the other is found by keyIndex.
  if (KEY_BY_TWO[two] === -1) KEY_BY_TWO[two] = index;
}

/** The field after each in the order the edge writes them (`callRecord`), or -1. */
const WRITER_ORDER: Field[] = [F.v, F.id, F.invite, F.answer, F.end, F.dur, F.disp, F.status, F.action, F.class, F.reason, F.rule, F.where, F.from, F.user, F.dept, F.to, F.e164, F.country, F.lock, F.failover, F.unanswered, F.pinFail, F.pinLock];
const NEXT_KEY = new Int8Array(FIELD_COUNT).fill(-1);
WRITER_ORDER.forEach((f, n) => (NEXT_KEY[f] = WRITER_ORDER[n + 1] ?? -1));

/** True when `key":` of `field` is at `keyStart` and ends before the line does. */
function keyAt(view: DataView<ArrayBufferLike>, limit: number, keyStart: number, end: number, field: number): boolean {
  const b = field * 4;
  if (keyStart + KEY_LENGTHS[field]! > end || keyStart + KEY_SPAN[field]! > limit) return false;
  if ((view.getInt32(keyStart, true) & KEY_MASKS[b]!) !== KEY_WORDS[b]) return false;
  if (KEY_MASKS[b + 1] === 0) return true;
  if ((view.getInt32(keyStart + 4, true) & KEY_MASKS[b + 1]!) !== KEY_WORDS[b + 1]) return false;
  if (KEY_MASKS[b + 2] === 0) return true;
  if ((view.getInt32(keyStart + 8, true) & KEY_MASKS[b + 2]!) !== KEY_WORDS[b + 2]) return false;
  return KEY_MASKS[b + 3] === 0 || (view.getInt32(keyStart + 12, true) & KEY_MASKS[b + 3]!) === KEY_WORDS[b + 3];
}

function keyIndex(buf: Buffer, start: number, end: number): number {
  const length = end - start;
  if (length === 0 || length > 15) return -1;
  const index = KEY_TABLE[keyCode(length, buf[start]!, buf[end - 1]!)]!;
  if (index < 0) return -1;
  const key = KEY_NAMES[index]!;
  if (key.length !== length) return -1;
  for (let i = 1; i < length - 1; i++) if (key.charCodeAt(i) !== buf[start + i]) return -1;
  return index;
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

/** Calls `onRecord` with each whole record line of the files, in file order. */
export function scanFiles(files: readonly string[], onRecord: (view: RecordView) => void): ScanStats {
  const stats: ScanStats = { files: 0, lines: 0, records: 0, skipped: 0, bytes: 0 };
  const view = new RecordView();
  let buf = Buffer.allocUnsafe(CHUNK);
  for (const file of files) {
    const fd = openSync(file, 'r');
    stats.files++;
    try {
      let kept = 0;
      for (;;) {
        if (kept === buf.length) {
          // A single line longer than the buffer: grow (never happens with records the edge wrote).
          const bigger = Buffer.allocUnsafe(buf.length * 2);
          buf.copy(bigger, 0, 0, kept);
          buf = bigger;
        }
        const n = readSync(fd, buf, kept, buf.length - kept, null);
        stats.bytes += n;
        const filled = kept + n;
        let lineStart = 0;
        for (;;) {
          const nl = buf.indexOf(NEWLINE, lineStart);
          if (nl < 0 || nl >= filled) break;
          if (nl > lineStart) {
            stats.lines++;
            if (view.scan(buf, lineStart, nl)) {
              stats.records++;
              onRecord(view);
            } else stats.skipped++;
          }
          lineStart = nl + 1;
        }
        if (n === 0) {
          // A last line without its newline was cut short by a crash: never a record.
          if (filled > lineStart) {
            stats.lines++;
            stats.skipped++;
          }
          break;
        }
        kept = filled - lineStart;
        buf.copy(buf, 0, lineStart, filled);
      }
    } finally {
      closeSync(fd);
    }
  }
  return stats;
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
