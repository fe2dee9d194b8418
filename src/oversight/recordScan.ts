import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { recordsDir } from './callRecords.js';

/**
 * A fast reader of call record files for the report and the replay (ten million lines in seconds). It
 * reads each file in large chunks and scans each line's flat JSON object in place: no JSON.parse, no
 * object per record. A consumer gets one reused `RecordView` per line and asks only for the fields it
 * needs; values from a small set (class, reason, department, ...) come interned, so a month of
 * records allocates a string only for what is new or asked for as text (the number dialled).
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

/** Interned strings of one field: byte hash to entries, verified byte for byte. */
class InternTable {
  private readonly map = new Map<number, { raw: Buffer; text: string }[]>();

  get(buf: Buffer, start: number, end: number, escaped: boolean): string {
    const length = end - start;
    // Values of a field differ early or late (extensions, rule ids): hashing the first and last four bytes
    // tells them apart as well as hashing every byte, for less work; equal hashes are compared whole below.
    let h = 0x811c9dc5 ^ length;
    const head = Math.min(end, start + 4);
    for (let i = start; i < head; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    for (let i = Math.max(head, end - 4); i < end; i++) h = Math.imul(h ^ buf[i]!, 0x01000193);
    const bucket = this.map.get(h);
    if (bucket) {
      for (const entry of bucket) {
        const raw = entry.raw;
        if (raw.length !== length) continue;
        let same = true;
        for (let i = 0; i < length && same; i++) same = raw[i] === buf[start + i];
        if (same) return entry.text;
      }
    }
    const raw = Buffer.from(buf.subarray(start, end));
    const text = decode(buf, start, end, escaped);
    if (bucket) bucket.push({ raw, text });
    else this.map.set(h, [{ raw, text }]);
    return text;
  }
}

function digits(b: Buffer, at: number, n: number): number {
  let v = 0;
  for (let k = 0; k < n; k++) v = v * 10 + (b[at + k]! - 0x30);
  return v;
}

function decode(buf: Buffer, start: number, end: number, escaped: boolean): string {
  if (escaped) return JSON.parse(`"${buf.toString('utf8', start, end)}"`) as string;
  for (let i = start; i < end; i++) if (buf[i]! >= 0x80) return buf.toString('utf8', start, end);
  // ASCII (nearly every value): latin1 is the same text, decoded faster.
  return buf.toString('latin1', start, end);
}

/** One record line, valid until the next line is scanned. */
export class RecordView {
  buf: Buffer = Buffer.alloc(0);
  /** Per field: value start and end in `buf` (strings without their quotes); -1 when absent. */
  readonly start = new Int32Array(FIELD_COUNT);
  readonly end = new Int32Array(FIELD_COUNT);
  readonly escaped = new Uint8Array(FIELD_COUNT);
  private readonly tables: InternTable[] = Array.from({ length: FIELD_COUNT }, () => new InternTable());
  private readonly lastDay = new Uint8Array(10);
  private lastDayMs = Number.NaN;

  has(f: Field): boolean {
    return this.start[f]! >= 0;
  }

  /** A value from a small set, interned: the same string object every time it recurs. */
  intern(f: Field): string | undefined {
    const s = this.start[f]!;
    return s < 0 ? undefined : this.tables[f]!.get(this.buf, s, this.end[f]!, this.escaped[f] === 1);
  }

  /** A value as a new string (the number dialled, the call id). */
  text(f: Field): string | undefined {
    const s = this.start[f]!;
    return s < 0 ? undefined : decode(this.buf, s, this.end[f]!, this.escaped[f] === 1);
  }

  /** An integer field (dur, status); NaN when absent. */
  int(f: Field): number {
    const s = this.start[f]!;
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
    const s = this.start[f]!;
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
    const s = this.start[f]!;
    if (s < 0 || this.end[f]! - s !== ascii.length) return false;
    for (let i = 0; i < ascii.length; i++) if (this.buf[s + i] !== ascii.charCodeAt(i)) return false;
    return true;
  }

  /**
   * Scans the object on buf[start, end) (one line, without its newline). False when the line is not one
   * whole flat object: a torn line, or something else.
   */
  scan(buf: Buffer, start: number, end: number): boolean {
    this.buf = buf;
    this.start.fill(-1);
    this.escaped.fill(0);
    let i = start;
    while (end > i && (buf[end - 1] === 0x0d || buf[end - 1] === 0x20)) end--;
    if (buf[i] !== 0x7b || buf[end - 1] !== 0x7d) return false;
    i++;
    for (;;) {
      if (buf[i] !== QUOTE) return i === end - 1 && buf[i] === 0x7d;
      const keyStart = i + 1;
      let k = keyStart;
      while (k < end && buf[k] !== QUOTE) k++;
      if (k >= end || buf[k + 1] !== 0x3a) return false;
      const field = keyIndex(buf, keyStart, k);
      i = k + 2;
      let vStart = i;
      let vEnd: number;
      if (buf[i] === QUOTE) {
        vStart = ++i;
        let escaped = 0;
        while (i < end && buf[i] !== QUOTE) {
          if (buf[i] === BACKSLASH) {
            escaped = 1;
            i++;
          }
          i++;
        }
        if (i >= end) return false;
        vEnd = i++;
        if (field >= 0) this.escaped[field] = escaped;
      } else {
        while (i < end && buf[i] !== 0x2c && buf[i] !== 0x7d) i++;
        vEnd = i;
        if (vEnd === vStart) return false;
      }
      if (field >= 0) {
        this.start[field] = vStart;
        this.end[field] = vEnd;
      }
      if (buf[i] === 0x2c) i++;
      else if (buf[i] === 0x7d) return i === end - 1;
      else return false;
    }
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

const CHUNK = 4 << 20;

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
