import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { packageRoot } from '../src/packageRoot.js';
import { machine, row, type Measured } from './stats.js';

/**
 * DESIGN budget: a plan of 50,000 extensions and 100,000 list entries loads cold in <= 1 s with peak
 * RSS <= 200 MB and <= 60 MB of heap kept by the plan; a hot reload never stalls the event loop more
 * than 10 ms and is live within 1 s. Builds such a plan from the sample (its site, classes and
 * numbering) in a temp dir and loads it in a fresh process (plan-load.ts), as a server starting up would.
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

type LoadFigures = {
  extensions: number;
  entries: number;
  loadMs: number;
  coldStallMs: number;
  rssBefore: number;
  peakRss: number;
  heapUsed: number;
  decision: Measured;
  firstLoadMs: number;
  reloadMs: number;
  rssAfterReload: number;
  reloadStallMs: number;
  reloadLongestGapMs: number;
  reloadDecisions: number;
};

/** Some of the figures, from plan-load.ts in a fresh process. */
function loadInChild(mode: 'cold' | 'serve'): Partial<LoadFigures> {
  const args = [fileURLToPath(new URL('plan-load.js', import.meta.url)), mode, dir, ext(0), String(EXTENSIONS), number(0), String(ALLOW_ENTRIES)];
  const child = spawnSync(process.execPath, ['--expose-gc', ...args], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(child.stderr);
  return JSON.parse(child.stdout) as Partial<LoadFigures>;
}

const r = { ...loadInChild('cold'), ...loadInChild('serve') } as LoadFigures;
rmSync(dir, { recursive: true, force: true });

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;
const verdict = (ok: boolean) => (ok ? 'met' : 'MISSED');
console.log(`callguard plan-scale bench: ${machine()}`);
console.log(`plan: ${r.extensions.toLocaleString('en-GB')} extensions, ${r.entries.toLocaleString('en-GB')} list entries in ${FILES * 2} generated files plus the sample's`);
console.log(`cold load + validate + compile, in a fresh process: ${r.loadMs.toFixed(0)} ms (budget 1000 ms: ${verdict(r.loadMs <= 1000)}); longest event-loop stall meanwhile: ${r.coldStallMs.toFixed(0)} ms`);
console.log(`peak RSS: ${mb(r.peakRss)} (${mb(r.rssBefore)} before loading; budget 200 MB: ${verdict(r.peakRss <= 200 * 2 ** 20)}); heap kept by the plan after a full GC: ${mb(r.heapUsed)} (budget 60 MB: ${verdict(r.heapUsed <= 60 * 2 ** 20)})`);
console.log(`callguard serve's first load, in its loader thread (another fresh process): ${r.firstLoadMs.toFixed(0)} ms`);
console.log(
  `hot reload after one list file's edit, in that thread, decisions running: live in ${r.reloadMs.toFixed(0)} ms (budget 1000 ms: ${verdict(r.reloadMs <= 1000)}); ` +
    `longest stall ${r.reloadStallMs.toFixed(1)} ms by timer, ${r.reloadLongestGapMs.toFixed(1)} ms between decision batches (budget 10 ms: ${verdict(Math.max(r.reloadStallMs, r.reloadLongestGapMs) <= 10)}); ${r.reloadDecisions.toLocaleString('en-GB')} decisions meanwhile`,
);
console.log(`RSS after the reload (this thread's two plans until the old one is collected, the loader thread's files): ${mb(r.rssAfterReload)}`);
console.log(`${''.padEnd(34)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'calls/s'.padStart(14)}`);
console.log(row('decide, allow-listed number', r.decision));
