/** A run of whole lines, as UTF-8 bytes, all under one key (a day file). */
export interface LineRun {
  key: string;
  bytes: Buffer;
  lines: number;
}

/**
 * Lines waiting to be written, kept as UTF-8 bytes in a few large slabs rather than as one string (and
 * object) each: under load a second's worth of call records or a batch of log lines would otherwise
 * outlive young-generation collections, be copied and promoted on each, and feed full collections.
 * Each line's string dies as soon as it is appended.
 */
export class LineBytes {
  private runs: { key: string; slab: Buffer; used: number; lines: number }[] = [];
  /** Lines held. */
  lines = 0;
  /** Bytes held. */
  bytes = 0;

  constructor(private readonly slabSize = 64 * 1024) {}

  /** Appends `text`, one or more whole lines, under `key`; consecutive lines of one key share a run. */
  append(text: string, key = ''): void {
    const length = Buffer.byteLength(text);
    let run = this.runs[this.runs.length - 1];
    if (!run || run.key !== key || run.used + length > run.slab.length) {
      run = { key, slab: Buffer.allocUnsafeSlow(Math.max(this.slabSize, length)), used: 0, lines: 0 };
      this.runs.push(run);
    }
    run.used += run.slab.write(text, run.used);
    run.lines++;
    this.lines++;
    this.bytes += length;
  }

  /** Everything held, in order, one run per key change or slab; the queue is then empty. */
  take(): LineRun[] {
    const taken = this.runs.map(({ key, slab, used, lines }) => ({ key, bytes: slab.subarray(0, used), lines }));
    this.runs = [];
    this.lines = 0;
    this.bytes = 0;
    return taken;
  }
}
