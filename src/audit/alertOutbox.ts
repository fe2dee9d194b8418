import { join } from 'node:path';
import type { Logger } from 'pino';
import type { AlertChannel } from './alertDispatcher.js';
import { JournalFile, readJournal } from './outboxJournal.js';
import type { SecurityAlert } from './securityAlert.js';

/**
 * How much one channel's outbox holds. At the bound one alert is dropped to make room, with an error
 * log and a count: the oldest that is not an emergency, else the oldest emergency. An officer acts on
 * what is happening now; an alert that has waited behind tens of thousands of others has long been
 * overtaken (the call records and the decision log still hold every call), and no flood of PIN
 * lockouts or fraud alerts may push a 999 out.
 */
export interface OutboxLimits {
  alerts: number;
  bytes: number;
}

/** Probing a channel that is down: the first retry after `firstMs`, then twice as long each time, up to `maxMs`. */
export interface ProbeBackoff {
  firstMs: number;
  maxMs: number;
}

export interface OutboxOutcomes {
  /** An alert delivered late from the outbox, or dropped at the bound. */
  count(channel: string, outcome: 'late' | 'dropped'): void;
  /** How many alerts wait for the channel now. */
  size(channel: string, pending: number): void;
}

export interface OutboxOptions {
  /** A folder of its own: `<dir>/<channel>.jsonl` per channel. */
  dir: string;
  channels: readonly AlertChannel[];
  logger: Logger;
  outcomes: OutboxOutcomes;
  limits?: OutboxLimits;
  probe?: ProbeBackoff;
}

const LIMITS: OutboxLimits = { alerts: 10_000, bytes: 8 * 1024 * 1024 };
const PROBE: ProbeBackoff = { firstMs: 1_000, maxMs: 30_000 };
/** Disk trouble is reported at most this often per channel. */
const DISK_PROBLEM_EVERY_MS = 60_000;

/**
 * Journal lines: `kept` an alert (with its sequence number), then `delivered` or `dropped` it. The
 * file only grows, fsync'd, until its outbox empties or the lines outnumber the alerts still waiting;
 * then it is compacted to the `kept` lines of those.
 */
type JournalLine = { op: 'kept'; seq: number; alert: SecurityAlert } | { op: 'delivered' | 'dropped'; seq: number };

interface Waiting {
  seq: number;
  alert: SecurityAlert;
  line: string;
  bytes: number;
}

/**
 * Alerts a channel could not take, on disk in CALLGUARD_DATA_DIR, delivered oldest first and marked
 * late when the channel is back; loaded again at start, so a restart loses none. Nothing here is ever
 * awaited on a call's path: `keep` returns at once and the disk is written in the background.
 */
export class AlertOutbox {
  private constructor(private readonly outboxes: ReadonlyMap<string, ChannelOutbox>) {}

  static async open(options: OutboxOptions): Promise<AlertOutbox> {
    const outboxes = new Map<string, ChannelOutbox>();
    for (const channel of options.channels) {
      if (!/^[a-z0-9-]+$/.test(channel.name)) throw new Error(`alert channel name "${channel.name}" cannot name an outbox file`);
      outboxes.set(channel.name, await ChannelOutbox.load(channel, join(options.dir, `${channel.name}.jsonl`), options));
    }
    return new AlertOutbox(outboxes);
  }

  /** Keeps an alert `channel` could not take, to deliver it late. */
  keep(channel: string, alert: SecurityAlert): void {
    this.outboxes.get(channel)?.keep(alert);
  }

  /** `channel` has just taken an alert: try what waits for it now rather than at the next probe. */
  channelWorks(channel: string): void {
    this.outboxes.get(channel)?.probeNow();
  }

  /** The alerts waiting for `channel`, oldest first. */
  waiting(channel: string): SecurityAlert[] {
    return this.outboxes.get(channel)?.waiting.map((w) => w.alert) ?? [];
  }

  /** Stops probing and writes what is queued; what still waits stays on disk for the next start. */
  async close(): Promise<void> {
    await Promise.all([...this.outboxes.values()].map((o) => o.close()));
  }
}

class ChannelOutbox {
  /** Oldest first. */
  readonly waiting: Waiting[] = [];
  private bytes = 0;
  private seq = 0;
  private linesInFile = 0;
  /** None when the file could not be read at start: then alerts wait in memory only, and the file is left as it is. */
  private journal: JournalFile | undefined;
  private readonly limits: OutboxLimits;
  private readonly probe: ProbeBackoff;
  private probing = false;
  private delivering: Waiting | undefined;
  private wake: (() => void) | undefined;
  private closed = false;
  private lastDiskProblem = Number.NEGATIVE_INFINITY;

  private constructor(
    private readonly channel: AlertChannel,
    path: string,
    private readonly options: OutboxOptions,
  ) {
    this.limits = options.limits ?? LIMITS;
    this.probe = options.probe ?? PROBE;
    this.journal = new JournalFile(path, () => this.waiting.map((w) => w.line), (error) => this.diskProblem(error));
  }

  static async load(channel: AlertChannel, path: string, options: OutboxOptions): Promise<ChannelOutbox> {
    const outbox = new ChannelOutbox(channel, path, options);
    let journal: Awaited<ReturnType<typeof readJournal>>;
    try {
      journal = await readJournal(path);
    } catch (error) {
      // Never a reason not to start: calls, emergencies first, matter more than the alerts in that file.
      options.logger.error({ channel: channel.name, file: path, err: (error as Error).message }, 'alert outbox cannot be read: its alerts are not delivered, and new ones are kept in memory only');
      outbox.journal = undefined;
      return outbox;
    }
    const { lines, torn } = journal;
    const kept = new Map<number, SecurityAlert>();
    let unreadable = torn ? 1 : 0;
    for (const line of lines) {
      const entry = parseLine(line);
      if (!entry) unreadable++;
      else if (entry.op === 'kept') kept.set(entry.seq, entry.alert);
      else kept.delete(entry.seq);
      if (entry) outbox.seq = Math.max(outbox.seq, entry.seq);
    }
    for (const [seq, alert] of kept) outbox.add(seq, alert);
    outbox.linesInFile = outbox.waiting.length;
    if (unreadable > 0) options.logger.warn({ channel: channel.name, file: path, unreadable }, 'alert outbox: skipped unreadable lines (a write cut short by a crash)');
    if (lines.length > 0 || torn) outbox.journal?.compact();
    options.outcomes.size(channel.name, outbox.waiting.length);
    if (outbox.waiting.length > 0) {
      options.logger.warn({ channel: channel.name, waiting: outbox.waiting.length, oldest: outbox.waiting[0]!.alert.at }, 'alert outbox: alerts from before the restart wait for their channel');
      outbox.startProbing();
    }
    return outbox;
  }

  keep(alert: SecurityAlert): void {
    if (this.closed) {
      this.options.logger.error({ channel: this.channel.name, callId: alert.callId, kind: alert.kind }, 'alert outbox closed: an alert could not be kept');
      return;
    }
    const seq = ++this.seq;
    this.record(this.add(seq, alert).line);
    this.makeRoom();
    this.options.outcomes.size(this.channel.name, this.waiting.length);
    this.startProbing();
  }

  probeNow(): void {
    this.wake?.();
  }

  /** Does not wait for a delivery under way (a MESSAGE may take 32 s to time out): it is tried again after the restart. */
  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.journal?.close();
  }

  private add(seq: number, alert: SecurityAlert): Waiting {
    const line = JSON.stringify({ op: 'kept', seq, alert } satisfies JournalLine);
    const entry = { seq, alert, line, bytes: Buffer.byteLength(line) + 1 };
    this.waiting.push(entry);
    this.bytes += entry.bytes;
    return entry;
  }

  /** Drops alerts (see OutboxLimits) until the outbox is within its bound; never the one being delivered. */
  private makeRoom(): void {
    while (this.waiting.length > this.limits.alerts || (this.bytes > this.limits.bytes && this.waiting.length > 1)) {
      const candidates = this.waiting.filter((w) => w !== this.delivering);
      const victim = candidates.find((w) => w.alert.kind !== 'emergency') ?? candidates[0];
      if (!victim) return;
      this.remove(victim, 'dropped');
      this.options.outcomes.count(this.channel.name, 'dropped');
      const { kind, ext, at, callId } = victim.alert;
      this.options.logger.error({ channel: this.channel.name, kind, ext, at, callId, limits: this.limits }, 'alert outbox full: an undelivered alert was dropped');
    }
  }

  private remove(entry: Waiting, op: 'delivered' | 'dropped'): void {
    const index = this.waiting.indexOf(entry);
    if (index < 0) return;
    this.waiting.splice(index, 1);
    this.bytes -= entry.bytes;
    this.record(JSON.stringify({ op, seq: entry.seq } satisfies JournalLine));
    this.options.outcomes.size(this.channel.name, this.waiting.length);
  }

  private record(line: string): void {
    if (!this.journal) return;
    this.journal.append(line);
    this.linesInFile++;
    if (this.waiting.length === 0 || this.linesInFile > 2 * this.waiting.length + 100) {
      this.journal.compact();
      this.linesInFile = this.waiting.length;
    }
  }

  private startProbing(): void {
    if (this.probing) return;
    this.probing = true;
    void this.deliverWaiting();
  }

  /** Delivers what waits, oldest first; a failure means the channel is still down: wait, longer each time. */
  private async deliverWaiting(): Promise<void> {
    let pause = this.probe.firstMs;
    let failures = 0;
    let delivered = 0;
    await this.sleep(pause);
    while (!this.closed && this.waiting.length > 0) {
      const oldest = this.waiting[0]!;
      this.delivering = oldest;
      try {
        await this.channel.deliver(oldest.alert, { deliveredAt: new Date().toISOString() });
      } catch (error) {
        if (failures++ === 0) this.options.logger.warn({ channel: this.channel.name, waiting: this.waiting.length, err: (error as Error).message }, 'alert outbox: channel still down, probing with back-off');
        await this.sleep(pause);
        pause = Math.min(pause * 2, this.probe.maxMs);
        continue;
      } finally {
        this.delivering = undefined;
      }
      if (this.closed) break;
      pause = this.probe.firstMs;
      delivered++;
      this.remove(oldest, 'delivered');
      this.options.outcomes.count(this.channel.name, 'late');
    }
    if (delivered > 0) this.options.logger.info({ channel: this.channel.name, delivered, waiting: this.waiting.length }, 'alert outbox: channel back, kept alerts delivered late');
    // Cleared with no await since the loop's last check, so any later `keep` starts probing again.
    this.probing = false;
  }

  private sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms).unref();
      this.wake = done;
    });
  }

  private diskProblem(error: Error): void {
    const now = Date.now();
    if (now - this.lastDiskProblem < DISK_PROBLEM_EVERY_MS) return;
    this.lastDiskProblem = now;
    this.options.logger.error({ channel: this.channel.name, file: this.journal?.path, err: error.message, waiting: this.waiting.length }, 'alert outbox could not be written: its alerts are still delivered but would not survive a restart');
  }
}

function parseLine(line: string): JournalLine | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { op, seq, alert } = value as Record<string, unknown>;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq)) return undefined;
  if (op === 'delivered' || op === 'dropped') return { op, seq };
  if (op !== 'kept' || typeof alert !== 'object' || alert === null) return undefined;
  const { kind, at } = alert as Record<string, unknown>;
  return typeof kind === 'string' && typeof at === 'string' ? { op, seq, alert: alert as SecurityAlert } : undefined;
}
