import { closeSync, openSync, writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPlan } from '../dialplan/load.js';
import { changeText } from './parallelScan.js';
import { replayFiles, type ReplayOptions } from './replay.js';
import { ReportBuilder, type ReportOptions } from './report.js';
import { scanFiles } from './recordScan.js';

/** One share of the day files for `parallelScan.ts`: the plan loaded here, the files scanned, the result posted back. */
export type ScanTask =
  | { task: 'report'; dialplanDir: string; files: string[]; options: ReportOptions; progress?: boolean }
  | { task: 'replay'; dialplanDir: string; files: string[]; options: Omit<ReplayOptions, 'onChange'>; changes?: { path: string; json: boolean } | undefined; progress?: boolean };

/** What a thread posts: with `progress`, the bytes of each file it has read; then its result. */
export type ScanMessage<T> = { read: number } | { result: T };

const job = workerData as ScanTask;
const onFile = job.progress ? (bytes: number) => parentPort!.postMessage({ read: bytes }) : undefined;
const loaded = await loadPlan(job.dialplanDir);
if (!loaded.ok) throw new Error(`dialplan ${job.dialplanDir} is invalid`);
if (job.task === 'report') {
  const builder = new ReportBuilder(loaded.plan, job.options);
  const stats = scanFiles(job.files, (v) => builder.add(v), onFile);
  parentPort!.postMessage({ result: { partial: builder.partial(), stats } });
} else {
  // Changed calls go to a file of this share's own, in order; the main thread copies the files out in turn.
  const fd = job.changes && openSync(job.changes.path, 'w', 0o600);
  let out = '';
  const flush = () => {
    if (fd !== undefined) writeSync(fd, out);
    out = '';
  };
  const summary = replayFiles(loaded.plan, job.files, {
    ...job.options,
    onChange: job.changes && ((c) => {
      out += changeText(c, job.changes!.json);
      if (out.length > 1 << 16) flush();
    }),
  }, onFile);
  flush();
  if (fd !== undefined) closeSync(fd);
  parentPort!.postMessage({ result: { summary } });
}
