import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/packageRoot.js';
import { dialMix, MIX_SHARES } from './dialMix.js';
import { machine } from './stats.js';

/**
 * DESIGN budget: `callguard classify --format tsv` streams >= 1,000,000 lines/s to a pipe with flat
 * memory, and whole process against whole process it is >= 15x a script that runs libphonenumber-js/max
 * parse+getType on each line (libphonenumberClassify.ts). The lines are dialMix.ts's realistic mix for a
 * GB site with outside prefix 9; the output goes through a pipe to `wc -l`. Wall
 * time decides the budgets; CPU time (user + sys) and the load average are printed beside it, since on a
 * shared machine the wall time says as much about the neighbours as about the program.
 */
const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const libraryScript = fileURLToPath(new URL('./libphonenumberClassify.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'callguard-bulk-'));
/** The mix's first `lines` lines in a file, written a batch at a time so 10 million never sit in memory. */
function writeInput(lines: number): string {
  const path = join(dir, `${lines}.txt`);
  const fd = openSync(path, 'w');
  let batch: string[] = [];
  for (const { text } of dialMix(lines)) {
    batch.push(text);
    if (batch.length === 100_000) {
      writeSync(fd, `${batch.join('\n')}\n`);
      batch = [];
    }
  }
  if (batch.length > 0) writeSync(fd, `${batch.join('\n')}\n`);
  closeSync(fd);
  return path;
}

interface Run {
  ms: number;
  cpuMs: number;
  lines: number;
  maxRssMb: number;
}

/**
 * Every command runs without NODE_EXTRA_CA_CERTS: set (as on the development box, to the system's whole
 * CA bundle), it makes every node process parse the bundle before its first line of code, about 40 ms
 * here, for TLS neither command uses.
 */
const { NODE_EXTRA_CA_CERTS: extraCaCerts, ...commandEnv } = process.env;

/**
 * Runs a command with the file `input` as its stdin (`command < file`: this process does not copy the
 * input through a pipe of its own, which took CPU from the same two cores) and its stdout into a pipe
 * that `wc -l` reads (`command < file | wc -l`: counting the lines here, in JavaScript, took about
 * 0.15 s of the same two cores on a million lines); wall time, CPU time, output lines, peak RSS.
 */
function run(args: string[], input: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const counter = spawn('wc', ['-l'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const stdin = openSync(input, 'r');
    const child = spawn('/usr/bin/time', ['-f', '%U %S %M', process.execPath, ...args], { cwd: packageRoot(), env: commandEnv, stdio: [stdin, counter.stdin!, 'pipe'] });
    closeSync(stdin);
    // The command holds the pipe's writing end now: wc sees its end when the command exits.
    counter.stdin!.destroy();
    let counted = '';
    counter.stdout!.on('data', (chunk: Buffer) => (counted += chunk));
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    counter.on('error', reject);
    const status = new Promise<number | null>((done) => child.on('close', done));
    counter.on('close', () => {
      void status.then((code) => {
        if (code !== 0) return reject(new Error(stderr));
        const [user, sys, maxRssKb] = stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
        resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, cpuMs: (user! + sys!) * 1000, lines: Number(counted.trim()), maxRssMb: maxRssKb! / 1024 });
      });
    });
  });
}

const load = () => `load average ${loadavg()[0]!.toFixed(1)}`;
const times = (r: Run) => `${r.ms.toFixed(0)} ms (CPU ${r.cpuMs.toFixed(0)} ms)`;

const classify = ['classify', '--country', 'GB', '--outside-prefix', '9'];
const mix = Object.entries(MIX_SHARES).map(([kind, share]) => `${share} % ${kind}`).join(', ');
console.log(`callguard bulk classify bench: ${machine()}; dialMix.ts lines (${mix}) for a GB site, outside prefix 9${extraCaCerts ? '; both commands run without NODE_EXTRA_CA_CERTS' : ''}`);
const small = writeInput(300_000);
const ours = await run([main, ...classify, '--format', 'summary'], small);
const library = await run([libraryScript], small);
const ratio = library.ms / ours.ms;
console.log(
  `300,000 lines, whole process: callguard classify --format summary ${times(ours)}, libphonenumber-js/max parsePhoneNumber+getType script ${times(library)}: ` +
    `${ratio.toFixed(1)}x (budget 15x: ${ratio >= 15 ? 'met' : 'MISSED'}; CPU ${(library.cpuMs / ours.cpuMs).toFixed(1)}x), ${load()}`,
);
for (const lines of [1_000_000, 10_000_000]) {
  const input = writeInput(lines);
  const r = await run([main, ...classify, '--format', 'tsv'], input);
  if (r.lines !== lines) throw new Error(`expected ${lines} output lines, got ${r.lines}`);
  const perSecond = (lines / r.ms) * 1000;
  const perCpuSecond = (lines / r.cpuMs) * 1000;
  console.log(
    `${lines.toLocaleString('en-GB')} lines --format tsv to a pipe, whole process: ${times(r)}, ${Math.round(perSecond).toLocaleString('en-GB')} lines/s ` +
      `(budget 1,000,000: ${perSecond >= 1e6 ? 'met' : 'MISSED'}; ${Math.round(perCpuSecond).toLocaleString('en-GB')} lines per CPU second), peak RSS ${r.maxRssMb.toFixed(0)} MB, ${load()}`,
  );
  rmSync(input);
}
rmSync(dir, { recursive: true, force: true });
