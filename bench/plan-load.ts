import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadPlan } from '../src/dialplan/load.js';
import { decide } from '../src/policy/decide.js';
import { measure } from './stats.js';

/**
 * Child of plan-scale.bench: loads one plan in a fresh process, as a server starting up would, and
 * prints its figures as JSON. Usage: node --expose-gc dist/bench/plan-load.js DIR FIRST_EXT EXTENSIONS FIRST_NUMBER ENTRIES
 */
const [dir, firstExt, extensions, firstNumber, entries] = process.argv.slice(2);
if (!dir) throw new Error('usage: plan-load DIR FIRST_EXT EXTENSIONS FIRST_NUMBER ENTRIES');

const rssBefore = process.memoryUsage().rss;
// How long calls arriving during a (re)load would wait for the event loop.
const stalls = monitorEventLoopDelay({ resolution: 5 });
stalls.enable();
const start = process.hrtime.bigint();
const result = await loadPlan(dir);
const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
stalls.disable();
const peakRss = process.resourceUsage().maxRSS * 1024;
global.gc?.();
const { heapUsed } = process.memoryUsage();
if (!result.ok) throw new Error(result.problems.slice(0, 5).map((p) => `${p.where}: ${p.message}`).join('\n'));
const { plan } = result;

const phone = { lock: 'unlocked' as const, grants: [] };
const now = Date.now();
const exts = Number(extensions);
const numbers = Number(entries);
const decision = measure(200_000, (i) => decide(plan, phone, { from: String(Number(firstExt) + (i % exts)), to: `90${Number(firstNumber) + (i % numbers)}` }, now).action);

const longestStallMs = stalls.max / 1e6;
console.log(JSON.stringify({ extensions: plan.extensions.size, entries: plan.lists.size, loadMs, longestStallMs, rssBefore, peakRss, heapUsed, decision }));
