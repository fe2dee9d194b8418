import type { Classify } from '../numbering/classifier.js';
import { PUBLIC_CLASSES, type Destination } from '../numbering/destination.js';
import type { Format } from './classify.js';

/** Each class's name as bytes, copied into rows rather than encoded again for each. */
const CLASS_BYTES = new Map<string, Buffer>(PUBLIC_CLASSES.map((c) => [c, Buffer.from(c)]));
/** A TSV row's bytes beyond its input: three tabs, a class, an E.164 number, a country and the newline. */
const TSV_EXTRA = 64;
const FIRST_SIZE = 256 * 1024;

/** Class counts in the summary's order (PUBLIC_CLASSES), as one thread hands them to another. */
export type ClassCounts = [string, number][];

/**
 * Rows for a block of input lines, written straight into bytes: a TSV row's ASCII characters are
 * copied one by one (a UTF-8 encode per row cost more than the classifying), anything else is encoded
 * whole. Each block gets buffers of its own, so the bytes it returns can be written or sent to
 * another thread while the next block is made.
 */
export class Rows {
  private buffer = Buffer.allocUnsafeSlow(FIRST_SIZE);
  private at = 0;
  private total = 0;
  private readonly counts = new Map<string, number>(PUBLIC_CLASSES.map((c) => [c, 0]));

  constructor(
    private readonly classify: Classify,
    private readonly format: Format,
  ) {}

  /** The rows of every line of `text`, each line ending at '\n' (none for the summary, which only counts). */
  block(text: string): Uint8Array {
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.add(text.slice(start, end));
      start = end + 1;
    }
    return this.take();
  }

  /** The rows of `inputs`, one line each. */
  lines(inputs: readonly string[]): Uint8Array {
    for (const input of inputs) this.add(input);
    return this.take();
  }

  /** Counts from another thread's rows, for the summary. */
  addCounts(counts: ClassCounts): void {
    for (const [cls, n] of counts) this.counts.set(cls, this.counts.get(cls)! + n);
    this.total += counts.reduce((sum, [, n]) => sum + n, 0);
  }

  /** The counts since the last take (for the summary), which start again from zero. */
  takeCounts(): ClassCounts {
    const counts = [...this.counts];
    for (const cls of this.counts.keys()) this.counts.set(cls, 0);
    this.total = 0;
    return counts;
  }

  /** The summary's lines, after the last row; nothing for the other formats. */
  finish(): Uint8Array {
    if (this.format !== 'summary') return new Uint8Array(0);
    let text = '';
    for (const [cls, n] of this.counts) if (n > 0) text += `${cls}\t${n}\n`;
    text += `total\t${this.total}\n`;
    return Buffer.from(text);
  }

  private add(input: string): void {
    const d: Destination = this.classify(input);
    this.total++;
    if (this.format === 'summary') {
      this.counts.set(d.class, this.counts.get(d.class)! + 1);
      return;
    }
    const invalid = d.class === 'invalid';
    const e164 = invalid ? '' : (d.e164 ?? '');
    const country = invalid ? '' : (d.country ?? '');
    if (this.format === 'json') {
      const row = `${JSON.stringify({ input, class: d.class, e164: e164 || null, country: country || null })}\n`;
      this.room(row.length * 3);
      this.at += this.buffer.write(row, this.at);
      return;
    }
    this.room(input.length * 3 + TSV_EXTRA);
    const b = this.buffer;
    let at = put(b, this.at, input);
    b[at++] = 9;
    const cls = CLASS_BYTES.get(d.class)!;
    for (let i = 0; i < cls.length; i++) b[at++] = cls[i]!;
    b[at++] = 9;
    at = put(b, at, e164);
    b[at++] = 9;
    at = put(b, at, country);
    b[at++] = 10;
    this.at = at;
  }

  /** Makes room for `bytes` more, moving what is written into a buffer twice as large when needed. */
  private room(bytes: number): void {
    if (this.at + bytes <= this.buffer.length) return;
    const larger = Buffer.allocUnsafeSlow(Math.max(2 * this.buffer.length, this.at + bytes));
    this.buffer.copy(larger, 0, 0, this.at);
    this.buffer = larger;
  }

  /** The bytes written since the last take, in a buffer no one else writes into again. */
  private take(): Uint8Array {
    if (this.at === 0) return new Uint8Array(0);
    const bytes = this.buffer.subarray(0, this.at);
    this.buffer = Buffer.allocUnsafeSlow(this.buffer.length);
    this.at = 0;
    return bytes;
  }
}

/** Writes `s` at `at` and returns the offset after it: ASCII byte by byte, else the whole string as UTF-8. */
function put(b: Buffer, at: number, s: string): number {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 127) return at + b.write(s, at);
    b[at + i] = c;
  }
  return at + s.length;
}
