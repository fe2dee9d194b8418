import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/packageRoot.js';
import { machine, row, type Measured } from './stats.js';

/**
 * DESIGN budget: a plan of 50,000 extensions and 100,000 allow-list entries loads in <= 2 s with
 * RSS <= 250 MB. Builds such a plan from the sample (its site, classes and numbering) in a temp dir
 * and loads it in a fresh process (plan-load.ts), as a server starting up would.
 */
const EXTENSIONS = 50_000;
const ALLOW_ENTRIES = 100_000;
const FILES = 10;

const dir = mkdtempSync(join(tmpdir(), 'callguard-scale-'));
cpSync(join(packageRoot(), 'dialplan'), dir, { recursive: true });
const ext = (i: number) => String(500_000 + i); // six digits, clear of the sample's four-digit extensions
const number = (i: number) => String(2_070_000_000 + i); // London numbers, as dialled nationally without the 0
for (let f = 0; f < FILES; f++) {
  const lines = ['extensions:'];
  for (let i = f; i < EXTENSIONS; i += FILES) {
    lines.push(`  - ext: "${ext(i)}"`, `    name: Person ${i}`, `    user: u${i}`, '    class: staff', `    location: Block ${i % 40}, room ${i % 500}`);
  }
  writeFileSync(join(dir, `extensions/generated-${f}.yaml`), `${lines.join('\n')}\n`);
  const allow = ['allow:'];
  for (let i = f; i < ALLOW_ENTRIES; i += FILES) {
    allow.push(
      `  - number: "+44${number(i)}"`,
      `    for: { users: [u${i % EXTENSIONS}] }`,
      `    reason: Project line ${i}`,
      '    approver: Head of Telecoms',
      '    until: 2027-12-31',
    );
  }
  writeFileSync(join(dir, `lists-generated-${f}.yaml`), `${allow.join('\n')}\n`);
}

type LoadFigures = { extensions: number; entries: number; loadMs: number; longestStallMs: number; rssBefore: number; peakRss: number; heapUsed: number; decision: Measured };

/** One load in a fresh process; `heapCap` is the old-space limit a production unit file would set. */
function loadInChild(heapCap?: number): LoadFigures {
  const flags = ['--expose-gc', ...(heapCap ? [`--max-old-space-size=${heapCap}`] : [])];
  const args = [fileURLToPath(new URL('plan-load.js', import.meta.url)), dir, ext(0), String(EXTENSIONS), number(0), String(ALLOW_ENTRIES)];
  const child = spawnSync(process.execPath, [...flags, ...args], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout) as LoadFigures;
}

const HEAP_CAP_MB = 160;
const r = loadInChild();
const capped = loadInChild(HEAP_CAP_MB);
rmSync(dir, { recursive: true, force: true });

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
console.log(`callguard plan-scale bench: ${machine()}`);
console.log(`plan: ${r.extensions.toLocaleString('en-GB')} extensions, ${r.entries.toLocaleString('en-GB')} list entries in ${FILES * 2} generated files plus the sample's`);
console.log(`load + validate + compile, in a fresh process: ${r.loadMs.toFixed(0)} ms (budget 2000 ms: ${r.loadMs <= 2000 ? 'met' : 'MISSED'}); longest event-loop stall meanwhile: ${r.longestStallMs.toFixed(0)} ms`);
console.log(`peak RSS: ${mb(r.peakRss)} (${mb(r.rssBefore)} before loading; budget 250 MB: ${r.peakRss <= 250 * 2 ** 20 ? 'met' : 'MISSED'}); heap kept by the plan after a full GC: ${mb(r.heapUsed)}`);
console.log(`with --max-old-space-size=${HEAP_CAP_MB}: ${capped.loadMs.toFixed(0)} ms, peak RSS ${mb(capped.peakRss)} (budget 250 MB: ${capped.peakRss <= 250 * 2 ** 20 ? 'met' : 'MISSED'})`);
console.log(`${''.padEnd(34)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'calls/s'.padStart(14)}`);
console.log(row('decide, allow-listed number', r.decision));
