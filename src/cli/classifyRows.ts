import type { Classify } from '../numbering/classifier.js';
import { PUBLIC_CLASSES, type Destination } from '../numbering/destination.js';
import type { Format } from './classify.js';

/** Bytes of output a buffer holds before another is started. */
const BUFFER_SIZE = 1 << 20;
/**
 * Rows joined into one string before a native write: a write a row cost about twice as much, and a
 * whole block's string (thousands of rows) as much again, in flattening it.
 */
const ROWS_A_WRITE = 256;

/**
 * The most bytes the row of an input `chars` long can take: in JSON a character takes at most six bytes
 * (\u001f), in TSV three (UTF-8), and the rest of a row is ASCII well under 128 bytes.
 */
const maxRowBytes = (chars: number) => 6 * chars + 128;

/** Class counts in the summary's order (PUBLIC_CLASSES), as one thread hands them to another. */
export type ClassCounts = [string, number][];

/**
 * Rows for blocks of input lines, written into buffers of bytes: ROWS_A_WRITE rows at a time with one
 * native UTF-8 write (copying characters one by one in JavaScript cost more). A block's rows are a view
 * of the bytes it wrote, which nothing writes over until the view is released: once a buffer is full the
 * next rows go into another, one whose views have all been released if there is one. A fresh buffer
 * costs a page fault every 4 KB as it fills, about 0.2 s of a million lines' 60 MB of rows here.
 */
export class Rows {
  private buffer: Buffer = Buffer.allocUnsafe(BUFFER_SIZE);
  /** Views handed out and not yet released, by the memory they are in. */
  private readonly unreleased = new Map<ArrayBufferLike, { buffer: Buffer; views: number }>();
  /** Buffers full before and with no view left, for the next rows. */
  private readonly spare: Buffer[] = [];
  /** Where the bytes not yet taken start, and where the next rows go. */
  private start = 0;
  private at = 0;
  /** Rows not yet written into the buffer, how many, and the most bytes they can take there. */
  private joined = '';
  private joinedRows = 0;
  private joinedBytes = 0;
  private total = 0;
  private readonly counts = new Map<string, number>(PUBLIC_CLASSES.map((c) => [c, 0]));

  constructor(
    private readonly classify: Classify,
    private readonly format: Format,
  ) {}

  /** The rows of every line of `text`, each line ending at '\n' (none for the summary, which only counts). */
  block(text: string): Uint8Array {
    for (let from = this.addLines(text, 0); from < text.length; from = this.addLines(text, from)) this.grow(text.indexOf('\n', from) - from);
    return this.take();
  }

  /** The rows of `inputs`, one line each. */
  lines(inputs: readonly string[]): Uint8Array {
    for (const input of inputs) {
      if (!this.fits(input.length)) this.grow(input.length);
      this.add(input);
    }
    return this.take();
  }

  /** `rows` (from block() or lines()) have been written out: their bytes may be written over. */
  release(rows: Uint8Array): void {
    const held = this.unreleased.get(rows.buffer);
    if (!held || --held.views > 0) return;
    this.unreleased.delete(rows.buffer);
    if (held.buffer !== this.buffer) this.spare.push(held.buffer);
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

  /**
   * Rows for the lines of `text` from `from` on while the buffer has room for them; where it stopped.
   * The loop has a function of its own, and leaves it for a new buffer: V8 compiles a hot loop while the
   * first block runs (on-stack replacement) and reuses that code for every later block, and a call it had
   * not seen by then (the take() after the loop, the start of a new buffer a megabyte later) threw the
   * code away (214 deoptimisations over a million lines, then one and a recompile in each thread).
   */
  private addLines(text: string, from: number): number {
    let start = from;
    for (let end = text.indexOf('\n', start); end !== -1; end = text.indexOf('\n', start)) {
      if (!this.fits(end - start)) return start;
      this.add(text.slice(start, end));
      start = end + 1;
    }
    return start;
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
    this.joined += this.format === 'json' ? `${JSON.stringify({ input, class: d.class, e164: e164 || null, country: country || null })}\n` : `${input}\t${d.class}\t${e164}\t${country}\n`;
    this.joinedBytes += maxRowBytes(input.length);
    if (++this.joinedRows === ROWS_A_WRITE) this.writeJoined();
  }

  private writeJoined(): void {
    this.at += this.buffer.write(this.joined, this.at);
    this.joined = '';
    this.joinedRows = 0;
    this.joinedBytes = 0;
  }

  /** True when the buffer has room for the rows not yet written and the row of an input `chars` long. */
  private fits(chars: number): boolean {
    return this.at + this.joinedBytes + maxRowBytes(chars) <= this.buffer.length;
  }

  /**
   * A new buffer with room for a row of `chars`, holding the bytes not yet taken, and as many again:
   * rows not taken yet (many arguments) are copied once a doubling, not once a row.
   */
  private grow(chars: number): void {
    this.writeJoined();
    const size = Math.max(BUFFER_SIZE, 2 * (this.at - this.start) + maxRowBytes(chars));
    const spare = this.spare.findIndex((b) => b.length >= size);
    const next = spare === -1 ? Buffer.allocUnsafe(size) : this.spare.splice(spare, 1)[0]!;
    this.at = this.buffer.copy(next, 0, this.start, this.at);
    this.start = 0;
    if (!this.unreleased.has(this.buffer.buffer)) this.spare.push(this.buffer);
    this.buffer = next;
  }

  /** The bytes written since the last take. */
  private take(): Uint8Array {
    this.writeJoined();
    const bytes = this.buffer.subarray(this.start, this.at);
    this.start = this.at;
    if (bytes.length > 0) {
      const held = this.unreleased.get(this.buffer.buffer);
      if (held) held.views++;
      else this.unreleased.set(this.buffer.buffer, { buffer: this.buffer, views: 1 });
    }
    return bytes;
  }
}
