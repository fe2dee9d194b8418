import { mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AlertDispatcher } from '../audit/alertDispatcher.js';
import { LineBytes } from '../audit/lineBytes.js';
import type { SecurityAlert } from '../audit/securityAlert.js';
import type { Decision } from '../policy/decision.js';
import type { LockState } from '../policy/phoneState.js';
import type { Disposition } from '../sip/session.js';
import { callRecord, type CallRecord, type CallStart } from './callRecord.js';

/** Where the call records of one day live: `<dataDir>/calls/<yyyy-mm-dd>.jsonl`, the day in the site's zone. */
export function recordsDir(dataDir: string): string {
  return join(dataDir, 'calls');
}

export function dayFile(dataDir: string, day: string): string {
  return join(recordsDir(dataDir), `${day}.jsonl`);
}

const QUARTER_HOUR = 15 * 60_000;

/**
 * `yyyy-mm-dd` of an instant in a time zone. Every zone's offset is a multiple of 15 minutes, so the
 * answer is the same across a quarter hour: the last one is kept and most calls cost one division.
 */
export class DayOf {
  private bucket = Number.NaN;
  private day = '';
  private zone = '';
  private format: Intl.DateTimeFormat | undefined;

  of(ms: number, zone: string): string {
    const bucket = Math.floor(ms / QUARTER_HOUR);
    if (bucket === this.bucket && zone === this.zone) return this.day;
    if (zone !== this.zone || !this.format) {
      this.format = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
      this.zone = zone;
    }
    this.bucket = bucket;
    this.day = this.format.format(new Date(ms));
    return this.day;
  }
}

export interface CallRecorderOptions {
  dataDir: string;
  /** The site's time zone now (the plan may be reloaded). */
  timezone(): string;
  logger: Logger;
  /** Pending lines beyond this are dropped (counted and logged) rather than held: a stuck disk never grows the heap. */
  maxPending?: number;
  /** How long a record may wait before it is written. */
  flushMs?: number;
  now?(): number;
}

/** What happens to a call in progress that its record will tell. */
interface CallNotes {
  failover?: string;
  unanswered?: boolean;
  pinFailures?: number;
  pinLockedOut?: boolean;
  decidedAgain?: { decision: Decision; lock: LockState };
}

/** One call between its decision and its end. */
export interface CallTrace {
  finalResponse(status: number, at: number): void;
  ended(disposition: Disposition, at: number): void;
}

/**
 * The call records writer. The edge hands it each call's start and end; the record is serialised when
 * the call ends and appended in the background, batched, so no call ever waits for the disk and a
 * failing disk never fails a call (records are then dropped, counted and logged).
 *
 * Appends survive a crash: each batch is whole lines in one write, and a file reopened after a crash
 * that left a torn last line first gets a newline, so the fragment stands alone and readers skip it
 * (a torn JSON object never parses). Files rotate at midnight in the site's time zone.
 */
export class CallRecorder {
  /** Records not yet written, by day file. */
  private pending = new LineBytes();
  private readonly traces = new Map<string, CallNotes>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private file: { day: string; handle: FileHandle } | undefined;
  private readonly days = new DayOf();
  private readonly maxPending: number;
  private readonly flushMs: number;
  private closed = false;
  private lastProblemLogged = 0;
  /** Records written, and dropped (disk failure or overflow). */
  readonly counts = { written: 0, dropped: 0 };

  constructor(private readonly options: CallRecorderOptions) {
    this.maxPending = options.maxPending ?? 100_000;
    // A batch a second: each batch is fsync'd, and at 1,000 calls/s fsyncs of 200 ms batches cost
    // about 1 µs of CPU a call more than a second's.
    this.flushMs = options.flushMs ?? 1000;
  }

  /** Called by the edge once the call is decided; the trace is told the call's final response and end. */
  begin(start: CallStart): CallTrace {
    let finalStatus: number | undefined;
    let answeredAt: number | undefined;
    const notes = {};
    this.traces.set(start.callId, notes);
    return {
      finalResponse: (status, at) => {
        finalStatus ??= status;
        if (status >= 200 && status < 300) answeredAt ??= at;
      },
      ended: (disposition, at) => {
        const noted: CallNotes = this.traces.get(start.callId) ?? notes;
        this.traces.delete(start.callId);
        const { decidedAgain, failover, unanswered, pinFailures, pinLockedOut } = noted;
        try {
          // Fields named, not spread: `{ ...fresh, more }` takes V8's slow path in Node 20.
          this.add(callRecord(decidedAgain ? { ...start, ...decidedAgain } : start, { finalStatus, answeredAt, endedAt: at, disposition, failover, unanswered, pinFailures, pinLockedOut }), at);
        } catch (error) {
          this.problem('could not build a call record', error);
        }
      },
    };
  }

  /**
   * Security alerts about a call in progress say which failover was taken: a hotline answered by a
   * failover target, an emergency call routed via the public trunk, or nobody answering.
   */
  noteAlert(alert: SecurityAlert): void {
    const notes = alert.callId ? this.traces.get(alert.callId) : undefined;
    if (!notes || !alert.note) return;
    const byFailover = /^answered by failover (.+)$/.exec(alert.note);
    if (byFailover) notes.failover = byFailover[1];
    else if (/routed via the public trunk/.test(alert.note)) notes.failover = 'public-trunk';
    if (/^not answered|failed on every route/.test(alert.note)) notes.unanswered = true;
  }

  /** A wrong PIN entered during call `callId` (the count only: the digits never reach a record); `lockedOut` when it locked PIN entry. */
  notePinFailure(callId: string, lockedOut: boolean): void {
    const notes = this.traces.get(callId);
    if (!notes) return;
    notes.pinFailures = (notes.pinFailures ?? 0) + 1;
    if (lockedOut) notes.pinLockedOut = true;
  }

  /**
   * The call was decided again after the caller gave the PIN: its record carries that final decision
   * (the grant that allowed it, the phone unlocked), so the report counts the grant as used.
   */
  noteDecidedAgain(callId: string, decision: Decision, lock: LockState): void {
    const notes = this.traces.get(callId);
    if (notes) notes.decidedAgain = { decision, lock };
  }

  /** Queues one record (`endedAt`: its end in epoch ms, when the caller has it); returns at once. */
  add(record: CallRecord, endedAt = Date.parse(record.end)): void {
    if (this.closed) return;
    if (this.pending.lines >= this.maxPending) {
      this.counts.dropped++;
      this.problem('call records are not being written fast enough: dropping', undefined);
      return;
    }
    const day = this.days.of(endedAt, this.options.timezone());
    this.pending.append(`${JSON.stringify(record)}\n`, day);
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.flushMs).unref();
  }

  /** Writes everything queued so far; resolves when it is on disk (or given up). Never rejects. */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.lines === 0) return;
    this.flushing = this.writePending().finally(() => {
      this.flushing = undefined;
    });
    await this.flushing;
  }

  /** Flushes and closes the current file; later records are ignored. */
  async close(): Promise<void> {
    // Calls that end while the last records are written get theirs written too.
    do await this.flush();
    while (this.pending.lines > 0);
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.file?.handle.close().catch(() => {});
    this.file = undefined;
  }

  /**
   * Writes what is queued now. Records that arrive meanwhile wait for the next flush (add() arms its
   * timer): writing until the queue was empty kept a busy instance writing and fsyncing a few records
   * at a time, hundreds of times a second.
   */
  private async writePending(): Promise<void> {
    const runs = this.pending.take();
    for (const [i, run] of runs.entries()) {
      try {
        const handle = await this.handleFor(run.key);
        await handle.write(run.bytes);
        // A day's records may span several runs: one fsync after its last.
        if (runs[i + 1]?.key !== run.key) await handle.datasync();
        this.counts.written += run.lines;
      } catch (error) {
        this.counts.dropped += run.lines;
        this.problem('call records could not be written', error);
        await this.file?.handle.close().catch(() => {});
        this.file = undefined;
      }
    }
  }

  private async handleFor(day: string): Promise<FileHandle> {
    if (this.file?.day === day) return this.file.handle;
    await this.file?.handle.close().catch(() => {});
    this.file = undefined;
    mkdirSync(recordsDir(this.options.dataDir), { recursive: true, mode: 0o750 });
    const handle = await open(dayFile(this.options.dataDir, day), 'a+', 0o640);
    const { size } = await handle.stat();
    if (size > 0) {
      // A crash may have left half a line: end it, so the next record starts on a line of its own.
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) await handle.write('\n');
    }
    this.file = { day, handle };
    return handle;
  }

  private problem(message: string, error: unknown): void {
    const now = (this.options.now ?? Date.now)();
    if (now - this.lastProblemLogged < 60_000) return;
    this.lastProblemLogged = now;
    this.options.logger.error({ err: error instanceof Error ? error.message : undefined, dropped: this.counts.dropped }, message);
  }
}

/** The Security alert dispatcher, also telling the call records which failover a call took. */
export class RecordingAlertDispatcher extends AlertDispatcher {
  constructor(
    private readonly records: CallRecorder,
    ...rest: ConstructorParameters<typeof AlertDispatcher>
  ) {
    super(...rest);
  }

  override send(alert: SecurityAlert): void {
    this.records.noteAlert(alert);
    super.send(alert);
  }
}
