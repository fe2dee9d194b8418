import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadPlan } from '../src/dialplan/load.js';
import { decide } from '../src/policy/decide.js';
import { packageRoot } from '../src/packageRoot.js';
import { machine, measure, row } from './stats.js';

/**
 * DESIGN budget: a plan of 50,000 extensions and 100,000 allow-list entries loads in <= 2 s with
 * RSS <= 250 MB. Builds such a plan from the sample (its site, classes and numbering) in a temp dir.
 */
const EXTENSIONS = 50_000;
const ALLOW_ENTRIES = 100_000;
const FILES = 10;

const dir = mkdtempSync(join(tmpdir(), 'callguard-scale-'));
cpSync(join(packageRoot(), 'dialplan'), dir, { recursive: true });
const ext = (i: number) => String(500_000 + i); // six digits, clear of the sample's four-digit extensions
for (let f = 0; f < FILES; f++) {
  const lines = ['extensions:'];
  for (let i = f; i < EXTENSIONS; i += FILES) {
    lines.push(`  - ext: "${ext(i)}"`, `    name: Person ${i}`, `    user: u${i}`, '    class: staff', `    location: Block ${i % 40}, room ${i % 500}`);
  }
  writeFileSync(join(dir, `extensions/generated-${f}.yaml`), `${lines.join('\n')}\n`);
  const allow = ['allow:'];
  for (let i = f; i < ALLOW_ENTRIES; i += FILES) {
    allow.push(
      `  - number: "+4420${String(70_000_000 + i)}"`,
      `    for: { users: [u${i % EXTENSIONS}] }`,
      `    reason: Project line ${i}`,
      '    approver: Head of Telecoms',
      '    until: 2027-12-31',
    );
  }
  writeFileSync(join(dir, `lists-generated-${f}.yaml`), `${allow.join('\n')}\n`);
}

const rssBefore = process.memoryUsage().rss;
const start = process.hrtime.bigint();
const result = await loadPlan(dir);
const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
global.gc?.();
const { rss, heapUsed } = process.memoryUsage();
rmSync(dir, { recursive: true, force: true });
if (!result.ok) throw new Error(result.problems.slice(0, 5).map((p) => `${p.where}: ${p.message}`).join('\n'));
const { plan } = result;

const phone = { lock: 'unlocked' as const, grants: [] };
const now = Date.now();
const decision = measure(200_000, (i) => decide(plan, phone, { from: ext(i % EXTENSIONS), to: `9020${String(70_000_000 + (i % ALLOW_ENTRIES))}` }, now).action);

console.log(`callguard plan-scale bench: ${machine()}`);
console.log(`plan: ${plan.extensions.size.toLocaleString('en-GB')} extensions, ${plan.lists.size.toLocaleString('en-GB')} list entries in ${FILES * 2 + 9} files`);
console.log(`load + validate + compile: ${loadMs.toFixed(0)} ms (budget 2000 ms: ${loadMs <= 2000 ? 'met' : 'MISSED'})`);
console.log(`RSS after load: ${(rss / 2 ** 20).toFixed(0)} MB (was ${(rssBefore / 2 ** 20).toFixed(0)} MB before; budget 250 MB: ${rss <= 250 * 2 ** 20 ? 'met' : 'MISSED'})`);
console.log(`heap in use after load${global.gc ? ' and a full GC' : ' (run with --expose-gc for the retained figure)'}: ${(heapUsed / 2 ** 20).toFixed(0)} MB`);
console.log(`${''.padEnd(34)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'calls/s'.padStart(14)}`);
console.log(row('decide, allow-listed number', decision));
