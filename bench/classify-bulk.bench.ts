import { spawn } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/packageRoot.js';
import { machine } from './stats.js';

/**
 * DESIGN budget: `callguard classify --format tsv` streams >= 1,000,000 lines/s to a pipe with flat
 * memory, and whole process against whole process it is >= 15x a script that runs libphonenumber-js/max
 * parse+getType on each line. Generated GB-site dial strings of every kind; the output is read and
 * counted by this process through a pipe.
 */
const main = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'callguard-bulk-'));
const kinds = [
  (r: string) => `01707${r.slice(0, 6)}`,
  (r: string) => `020${r.slice(0, 8)}`,
  (r: string) => `07${r.slice(0, 9)}`,
  (r: string) => `+44 20 ${r.slice(0, 4)} ${r.slice(4, 8)}`,
  (r: string) => `0800${r.slice(0, 6)}`,
  (r: string) => `0909${r.slice(0, 6)}`,
  (r: string) => `+33 1 ${r.slice(0, 8)}`,
  (r: string) => `+1 212 ${r.slice(0, 7)}`,
  () => '999',
  (r: string) => `901${r.slice(0, 9)}`,
  (r: string) => `118${r.slice(0, 3)}`,
  (r: string) => `00491${r.slice(0, 9)}`,
];
function writeInput(lines: number): string {
  const path = join(dir, `${lines}.txt`);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return String(seed).padStart(10, '0');
  };
  const out: string[] = [];
  for (let i = 0; i < lines; i++) out.push(kinds[i % kinds.length]!(random()));
  writeFileSync(path, `${out.join('\n')}\n`);
  return path;
}

/** Runs a command with `input` on stdin and its stdout into a pipe; wall time, output lines, peak RSS. */
function run(args: string[], input: string): Promise<{ ms: number; lines: number; maxRssMb: number }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { cwd: packageRoot(), stdio: ['pipe', 'pipe', 'pipe'] });
    createReadStream(input).pipe(child.stdin);
    let lines = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      if (status !== 0) return reject(new Error(stderr));
      resolve({ ms: Number(process.hrtime.bigint() - start) / 1e6, lines, maxRssMb: Number(stderr.trim().split('\n').at(-1)) / 1024 });
    });
  });
}

const libraryScript = join(dir, 'library.mjs');
writeFileSync(
  libraryScript,
  `import { createInterface } from 'node:readline';
import { parsePhoneNumberFromString } from ${JSON.stringify(import.meta.resolve('libphonenumber-js/max'))};
const counts = new Map();
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  const d = line.startsWith('9') && line.length > 4 ? line.slice(1) : line;
  const type = parsePhoneNumberFromString(d, 'GB')?.getType() ?? 'invalid';
  counts.set(type, (counts.get(type) ?? 0) + 1);
}
for (const [t, n] of counts) console.log(t + '\\t' + n);
`,
);

const classify = ['classify', '--country', 'GB', '--outside-prefix', '9'];
console.log(`callguard bulk classify bench: ${machine()}`);
const small = writeInput(300_000);
const ours = await run([main, ...classify, '--format', 'summary'], small);
const library = await run([libraryScript], small);
console.log(
  `300,000 lines, whole process: callguard classify --format summary ${ours.ms.toFixed(0)} ms, libphonenumber-js/max parse+getType script ${library.ms.toFixed(0)} ms: ` +
    `${(library.ms / ours.ms).toFixed(1)}x (budget 15x: ${library.ms / ours.ms >= 15 ? 'met' : 'MISSED'})`,
);
for (const lines of [1_000_000, 10_000_000]) {
  const input = writeInput(lines);
  const r = await run([main, ...classify, '--format', 'tsv'], input);
  if (r.lines !== lines) throw new Error(`expected ${lines} output lines, got ${r.lines}`);
  const perSecond = (lines / r.ms) * 1000;
  console.log(
    `${lines.toLocaleString('en-GB')} lines --format tsv to a pipe, whole process: ${r.ms.toFixed(0)} ms, ${Math.round(perSecond).toLocaleString('en-GB')} lines/s ` +
      `(budget 1,000,000: ${perSecond >= 1e6 ? 'met' : 'MISSED'}), peak RSS ${r.maxRssMb.toFixed(0)} MB`,
  );
  rmSync(input);
}
rmSync(dir, { recursive: true, force: true });
