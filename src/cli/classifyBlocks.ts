import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ClassifyHelper, Slot } from './classifyHelper.js';
import type { Rows } from './classifyRows.js';

/**
 * Input this long (read so far, or the size of a file on stdin) starts a second thread to classify
 * alongside this one. The thread's start and its own warm-up cost about 0.2 s of CPU, mostly while this
 * thread is still warming up too; measured on the bench mix, 300,000 lines (4.2 million characters) ran
 * faster without it on 2 cores (0.50 s against 0.60 s wall) and a million faster with it.
 */
export const HELPER_FROM_CHARS = 5_000_000;
/** Blocks whose rows may wait for an earlier block's the helper holds, before this thread classifies that one itself. */
const MAX_WAITING = 32;

/**
 * Blocks of lines classified in input order, by this thread or, for a long input, partly by a helper
 * thread; each block's rows are written as soon as every earlier block's are. This thread never waits
 * for the helper: a block the helper has not answered when its rows are due (too many blocks behind it,
 * or the end of the input) is classified here, so a helper that gets no turn on a busy machine holds
 * nothing up.
 */
export class Blocks {
  private readonly waiting: Slot[] = [];
  private helper: ClassifyHelper | undefined;
  private read = 0;

  /** `length`: the input's length when known before reading it (a file on stdin), so a long one gets the helper at once. */
  constructor(
    private readonly rows: Rows,
    private readonly startHelper: () => ClassifyHelper,
    private readonly out: Writable,
    private readonly length?: number,
  ) {}

  /** Classifies `text` (whole lines, each ending at '\n') and writes what rows are due. */
  async add(text: string): Promise<void> {
    this.read += text.length;
    if (!this.helper && (this.length ?? this.read) >= HELPER_FROM_CHARS) this.helper = this.startHelper();
    const slot: Slot = { text, rows: undefined };
    this.waiting.push(slot);
    if (this.helper?.free) this.helper.classify(slot);
    else slot.rows = this.rows.block(text);
    await this.write(false);
  }

  /** Writes every block's rows, then the summary's lines. */
  async end(): Promise<void> {
    await this.write(true);
    await this.helper?.stop();
    const summary = this.rows.finish();
    if (summary.length > 0) this.out.write(summary);
  }

  /** Writes the rows due: those ready in order, and with `all` or too many waiting, the next block's even if this thread must classify it. */
  private async write(all: boolean): Promise<void> {
    this.helper?.poll();
    while (this.waiting.length > 0) {
      const slot = this.waiting[0]!;
      if (slot.rows === undefined) {
        if (!all && this.waiting.length <= MAX_WAITING) break;
        slot.rows = this.rows.block(slot.text);
      } else if (slot.counts) this.rows.addCounts(slot.counts);
      this.waiting.shift();
      const { rows } = slot;
      if (rows.length > 0) this.out.write(rows, () => this.rows.release(rows));
    }
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }
}
