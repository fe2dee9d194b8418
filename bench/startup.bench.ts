import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/packageRoot.js';
import { machine } from './stats.js';

/**
 * DESIGN budget: `callguard --help` within 50 ms of a bare `node -e ""`, a first `classify` / `check`
 * answer within 150 ms of it. Runs each command and the bare node alternately, ROUNDS times, on the
 * built CLI with the sample dialplan, and compares medians.
 */
const ROUNDS = 15;
const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const cases: [string, string[], number | undefined][] = [
  ['node -e ""', ['-e', ''], undefined],
  ['callguard --help', [main, '--help'], 50],
  ['callguard classify 02079460000', [main, 'classify', '02079460000'], 150],
  ['callguard classify --country GB 999', [main, 'classify', '--country', 'GB', '999'], 150],
  ['callguard check --from 4101 --to 909011234567', [main, 'check', '--from', '4101', '--to', '909011234567'], 150],
];

const times = cases.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) {
  cases.forEach(([label, args], i) => {
    const start = process.hrtime.bigint();
    const r = spawnSync(process.execPath, args, { cwd: packageRoot(), encoding: 'utf8' });
    times[i]!.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  });
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
const bare = median(times[0]!);
console.log(`callguard start-up bench: ${machine()}, median of ${ROUNDS} runs each`);
cases.forEach(([label, , budget], i) => {
  const m = median(times[i]!);
  const over = budget === undefined ? '' : `  +${(m - bare).toFixed(0)} ms over bare node (budget ${budget} ms: ${m - bare <= budget ? 'met' : 'MISSED'})`;
  console.log(`${label.padEnd(48)}${`${m.toFixed(0)} ms`.padStart(8)}${over}`);
});
