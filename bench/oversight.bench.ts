/**
 * Oversight benchmark: a year of call records for 5,000 extensions (10 million calls by default),
 * then the what-if replay and the monthly report over them, in fresh child processes so peak RSS is
 * each command's own.
 *
 *   node dist/bench/oversight.bench.js [CALLS] [EXTENSIONS] [--report-only]
 *
 * The records are generated once into $OVERSIGHT_BENCH_DIR (default: a folder in the OS temp dir named
 * by the sizes) and kept for later runs.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPlan } from '../src/dialplan/load.js';
import { generateRecords, writeScalePlan } from './oversightData.js';

const [callsArg, extensionsArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const calls = Number(callsArg ?? 10_000_000);
const extensions = Number(extensionsArg ?? 5_000);
const root = process.env.OVERSIGHT_BENCH_DIR ?? join(tmpdir(), `callguard-oversight-${calls}-${extensions}`);
const planDir = join(root, 'dialplan');
const editedDir = join(root, 'dialplan-edited');
const dataDir = join(root, 'data');
// Built (dist/bench/...): the built command; from source (tsx): the source, through tsx.
const fromSource = import.meta.url.endsWith('.ts');
const main = fileURLToPath(new URL(`../src/cli/main.${fromSource ? 'ts' : 'js'}`, import.meta.url));
const runner = fromSource ? ['--import', 'tsx', main] : [main];

if (!existsSync(join(root, 'done'))) {
  mkdirSync(root, { recursive: true });
  writeScalePlan(planDir, extensions);
  writeScalePlan(editedDir, extensions);
  // The edit to prove: staff may no longer call mobiles.
  const classes = join(editedDir, 'classes.yaml');
  const { readFileSync } = await import('node:fs');
  writeFileSync(classes, readFileSync(classes, 'utf8').replace('allow: [public-service, freephone, geographic, national, mobile]', 'allow: [public-service, freephone, geographic, national]'));
  const loaded = await loadPlan(planDir);
  if (!loaded.ok) throw new Error(loaded.problems.slice(0, 3).map((p) => `${p.where}: ${p.message}`).join('\n'));
  const t = performance.now();
  const n = await generateRecords({ plan: loaded.plan, dataDir, firstDay: '2026-01-01', days: 365, calls });
  console.log(`generated ${n.toLocaleString('en-GB')} records in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  writeFileSync(join(root, 'done'), '');
}

const files = readdirSync(join(dataDir, 'calls'));
const bytes = files.reduce((sum, f) => sum + statSync(join(dataDir, 'calls', f)).size, 0);
console.log(`callguard oversight bench: node ${process.version}, ${cpus()[0]?.model.trim()} x ${cpus().length}, load average ${loadavg()[0]!.toFixed(1)}`);
console.log(`records: ${calls.toLocaleString('en-GB')} calls, ${extensions.toLocaleString('en-GB')} generated extensions, ${files.length} day files, ${(bytes / 1e9).toFixed(2)} GB`);

function timed(label: string, args: string[], budgetS: number, budgetMb?: number): void {
  const t = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...runner, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t) / 1000;
  if (r.status !== 0) throw new Error(`${label} failed: ${r.stderr}`);
  const rssMb = Number(r.stderr.trim().split('\n').at(-1)) / 1024;
  const met = seconds <= budgetS && (budgetMb === undefined || rssMb <= budgetMb);
  console.log(`${label.padEnd(44)} ${seconds.toFixed(1).padStart(6)} s  peak RSS ${rssMb.toFixed(0).padStart(4)} MB  (budget ${budgetS} s${budgetMb ? `, ${budgetMb} MB` : ''}: ${met ? 'met' : 'MISSED'})`);
  const summary = r.stdout.trim().split('\n').slice(-4).join(' | ');
  console.log(`  ${summary.slice(0, 220)}`);
}

const all = files.map((f) => join(dataDir, 'calls', f));
if (!process.argv.includes('--report-only')) timed('replay, a year, edited plan (--summary-only)', ['replay', '--records', ...all, '--dialplan', editedDir, '--summary-only'], 30);
if (existsSync(fileURLToPath(new URL(`../src/cli/report.${fromSource ? 'ts' : 'js'}`, import.meta.url)))) {
  const out = join(root, 'report.html');
  timed('report --month 2026 (a year), html', ['report', '--month', '2026', '--data-dir', dataDir, '--dialplan', planDir, '--format', 'html', '--out', out], 10, 300);
  timed('report --month 2026-11, html', ['report', '--month', '2026-11', '--data-dir', dataDir, '--dialplan', planDir, '--format', 'html', '--out', out], 10, 300);
}
