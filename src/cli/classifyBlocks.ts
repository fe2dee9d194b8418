import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ClassifyHelper, Slot } from './classifyHelper.js';
import type { Rows } from './classifyRows.js';

/**
 * A block of stdin this long (a full read of a pipe or file) starts a second thread to classify
 * alongside this one: the input is a bulk one, and the thread's start (about 0.1 s of the other core)
 * is paid back within a few hundred thousand lines. Shorter input is done before the thread could help.
 */
export const HELPER_FROM_CHARS = 60_000;
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

  constructor(
    private readonly rows: Rows,
    private readonly startHelper: () => ClassifyHelper,
    private readonly out: Writable,
  ) {}

  /** Classifies `text` (whole lines, each ending at '\n') and writes what rows are due. */
  async add(text: string): Promise<void> {
    if (!this.helper && text.length >= HELPER_FROM_CHARS) this.helper = this.startHelper();
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
      if (slot.rows.length > 0) this.out.write(slot.rows);
    }
    if (this.out.writableNeedDrain) await once(this.out, 'drain');
  }
}
