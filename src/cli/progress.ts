import { statSync } from 'node:fs';
import type { ReadProgress } from '../oversight/parallelScan.js';
import { count } from '../plural.js';

/**
 * "reading call records: 45 % of 812 MB" on stderr while a report or a replay reads, for a person
 * watching a terminal; nothing when stderr is a file or a pipe (a log, a cron mail).
 */
export function readingProgress(files: readonly string[]): { progress: ReadProgress; done(): void } | undefined {
  if (!process.stderr.isTTY) return undefined;
  const total = files.reduce((sum, f) => sum + statSync(f).size, 0);
  const size = total < 1e6 ? count(Math.ceil(total / 1e3), 'kB', 'kB') : count(Math.round(total / 1e6), 'MB', 'MB');
  let read = 0;
  let shown = -1;
  const show = () => {
    const percent = total === 0 ? 100 : Math.floor((read * 100) / total);
    if (percent === shown) return;
    shown = percent;
    process.stderr.write(`\rreading call records: ${percent} % of ${size} in ${count(files.length, 'file')}`);
  };
  show();
  return {
    progress: (bytes) => {
      read += bytes;
      show();
    },
    // The line is cleared: what follows (the summary, an error) starts on a clean line.
    done: () => process.stderr.write('\r\x1b[K'),
  };
}
