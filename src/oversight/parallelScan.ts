import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Plan } from '../policy/plan.js';
import { startWorker } from '../workerThread.js';
import { scanFiles, zeroStats, type ScanStats } from './recordScan.js';
import { changeLine, noLimitReplay, replayFiles, sortedCounts, type ReplayChange, type ReplayOptions, type ReplaySummary } from './replay.js';
import { ReportBuilder, type Report, type ReportOptions, type ReportPartial } from './report.js';
import type { ScanMessage, ScanTask } from './scanWorker.js';

/** Below this much record data a thread costs more than it saves. */
const MIN_BYTES_FOR_THREADS = 32 << 20;

/**
 * How many threads scan the day files: CALLGUARD_SCAN_WORKERS when set, else one per core for a
 * large set of files, else none (this thread alone).
 */
function threadsFor(files: readonly string[]): number {
  const set = Number(process.env.CALLGUARD_SCAN_WORKERS);
  if (Number.isInteger(set) && set > 0) return Math.min(set, files.length);
  const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
  return bytes < MIN_BYTES_FOR_THREADS ? 1 : Math.min(availableParallelism(), files.length);
}

/** Consecutive runs of files of about equal size, one per thread, so results merge in file order. */
function shares(files: readonly string[], n: number): string[][] {
  const sizes = files.map((f) => statSync(f).size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const out: string[][] = [[]];
  let acc = 0;
  files.forEach((f, i) => {
    if (acc >= (total * out.length) / n && out.length < n && out.at(-1)!.length > 0) out.push([]);
    out.at(-1)!.push(f);
    acc += sizes[i]!;
  });
  return out;
}

/** Told the bytes of each record file once it has been read, whichever thread read it. */
export type ReadProgress = (bytes: number) => void;

/** A share's job on a thread of its own: its result, and the thread (to stop early). The thread tells of each file it has read before its result. */
function start<T>(job: ScanTask, progress?: ReadProgress): { worker: Worker; result: Promise<T> } {
  const worker = startWorker(new URL('./scanWorker.js', import.meta.url), job);
  const result = new Promise<T>((resolve, reject) => {
    worker.on('message', (message: ScanMessage<T>) => {
      if ('read' in message) return progress?.(message.read);
      worker.terminate().then(() => resolve(message.result), reject);
    });
    worker.once('error', reject);
  });
  // Handled where awaited; a thread that fails while nobody awaits it yet (the plan failed first) is no crash.
  result.catch(() => undefined);
  return { worker, result };
}

async function run<T>(job: ScanTask, progress?: ReadProgress): Promise<T> {
  return start<T>(job, progress).result;
}

function addStats(into: ScanStats, s: ScanStats): void {
  into.files += s.files;
  into.lines += s.lines;
  into.records += s.records;
  into.skipped += s.skipped;
  into.bytes += s.bytes;
}

/**
 * The monthly report, the day files spread over threads; the same report as one thread gives. The
 * threads for all shares but the first start at once, each loading the plan of `dialplanDir` while this
 * thread waits for `plan`; this thread scans the first share, then adds the others' in file order.
 */
export async function parallelReport(plan: Plan | Promise<Plan>, dialplanDir: string, files: readonly string[], options: ReportOptions, progress?: ReadProgress): Promise<Report> {
  const n = threadsFor(files);
  if (n <= 1) {
    const builder = new ReportBuilder(await plan, options);
    return builder.finish(scanFiles(files, (v) => builder.add(v), progress));
  }
  const [first, ...later] = shares(files, n);
  const others = later.map((share) => start<{ partial: ReportPartial; stats: ScanStats }>({ task: 'report', dialplanDir, files: share, options, progress: progress !== undefined }, progress));
  try {
    const builder = new ReportBuilder(await plan, options);
    const stats = scanFiles(first!, (v) => builder.add(v), progress);
    for (const r of await Promise.all(others.map((o) => o.result))) {
      builder.merge(r.partial);
      addStats(stats, r.stats);
    }
    return builder.finish(stats);
  } catch (error) {
    await Promise.all(others.map((o) => o.worker.terminate()));
    throw error;
  }
}

/**
 * What-if replay over threads: each replays its share and writes its changed calls (`format`) to a file
 * of its own, copied to `out` in file order once all are done; the summaries add up.
 */
export async function parallelReplay(plan: Plan, dialplanDir: string, files: readonly string[], options: Omit<ReplayOptions, 'onChange'>, changes?: { json: boolean; out: NodeJS.WritableStream }, progress?: ReadProgress): Promise<ReplaySummary> {
  const n = threadsFor(files);
  if (n <= 1) {
    let text = '';
    const summary = replayFiles(plan, files, {
      ...options,
      onChange: changes && ((c) => {
        text += changeText(c, changes.json);
        if (text.length > 1 << 16) (changes.out.write(text), (text = ''));
      }),
    }, progress);
    if (text) changes?.out.write(text);
    return summary;
  }
  const dir = mkdtempSync(join(tmpdir(), 'callguard-replay-'));
  try {
    const jobs = shares(files, n).map((share, i) => ({ task: 'replay' as const, dialplanDir, files: share, options, changes: changes && { path: join(dir, `${i}.txt`), json: changes.json }, progress: progress !== undefined }));
    const parts = await Promise.all(jobs.map((job) => run<{ summary: ReplaySummary }>(job, progress)));
    if (changes) for (const job of jobs) await pipeline(createReadStream(job.changes!.path), changes.out, { end: false });
    return mergeSummaries(parts.map((p) => p.summary));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** One changed call as the listing shows it: a JSON object, or the human line. */
export function changeText(c: ReplayChange, json: boolean): string {
  return json ? `${JSON.stringify(c)}\n` : `${changeLine(c)}\n`;
}

function mergeSummaries(parts: ReplaySummary[]): ReplaySummary {
  const scan = zeroStats();
  const byChange = new Map<string, number>();
  const byNewReason = new Map<string, number>();
  let replayed = 0;
  let changed = 0;
  const limits = noLimitReplay();
  for (const p of parts) {
    addStats(scan, p.scan);
    for (const k of Object.keys(limits) as (keyof typeof limits)[]) limits[k] += p.limits[k];
    replayed += p.replayed;
    changed += p.changed;
    for (const [k, v] of p.byChange) byChange.set(k, (byChange.get(k) ?? 0) + v);
    for (const [k, v] of p.byNewReason) byNewReason.set(k, (byNewReason.get(k) ?? 0) + v);
  }
  return { scan, replayed, changed, byChange: sortedCounts(byChange), byNewReason: sortedCounts(byNewReason), limits };
}
