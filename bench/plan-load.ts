import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { loadPlan } from '../src/dialplan/load.js';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlanLoaderThread } from '../src/dialplan/offThread.js';
import { decide } from '../src/policy/decide.js';
import type { Plan } from '../src/policy/plan.js';
import { measure } from './stats.js';

/**
 * Child of plan-scale.bench: loads one plan in a fresh process, as a server starting up would, then
 * reloads it in a worker thread (as PlanWatcher does on an edit) while a loop of decisions runs, and
 * prints its figures as JSON. Usage: node --expose-gc dist/bench/plan-load.js DIR FIRST_EXT EXTENSIONS FIRST_NUMBER ENTRIES
 */
const [dir, firstExt, extensions, firstNumber, entries] = process.argv.slice(2);
if (!dir) throw new Error('usage: plan-load DIR FIRST_EXT EXTENSIONS FIRST_NUMBER ENTRIES');

const rssBefore = process.memoryUsage().rss;
const coldStalls = monitorEventLoopDelay({ resolution: 1 });
coldStalls.enable();
const start = process.hrtime.bigint();
const result = await loadPlan(dir);
const loadMs = Number(process.hrtime.bigint() - start) / 1e6;
coldStalls.disable();
const peakRss = process.resourceUsage().maxRSS * 1024;
global.gc?.();
const { heapUsed } = process.memoryUsage();
if (!result.ok) throw new Error(result.problems.slice(0, 5).map((p) => `${p.where}: ${p.message}`).join('\n'));
let plan: Plan = result.plan;

const phone = { lock: 'unlocked' as const, grants: [] };
const now = Date.now();
const exts = Number(extensions);
const numbers = Number(entries);
const call = (i: number) => ({ from: String(Number(firstExt) + (i % exts)), to: `90${Number(firstNumber) + (i % numbers)}` });
const decision = measure(200_000, (i) => decide(plan, phone, call(i), now).action);

/**
 * A serving process loads its plan in its loader thread at start (PlanWatcher), then reloads there on
 * every edit. Here: that first load, then an admin's edit (one entry added to one of the list files)
 * and the reload it causes, while calls keep coming: a timer histogram (1 ms resolution) and a loop of
 * decisions (100 per turn of the event loop) measure the longest stall.
 */
const loader = new PlanLoaderThread();
const firstStart = performance.now();
if (!(await loader.load(dir)).ok) throw new Error('the loader thread refused the plan');
const firstLoadMs = performance.now() - firstStart;
appendFileSync(
  join(dir, 'lists-generated-0.yaml'),
  '  - number: "+442079460999"\n    for: { users: [u1] }\n    reason: Added by the reload bench\n    approver: Head of Telecoms\n',
);
const stalls = monitorEventLoopDelay({ resolution: 1 });
let reloading = true;
let decisions = 0;
let longestGapMs = 0;
const decisionLoop = (async () => {
  let last = performance.now();
  while (reloading) {
    for (let k = 0; k < 100; k++) decide(plan, phone, call(decisions++), now);
    await nextTurn();
    const t = performance.now();
    longestGapMs = Math.max(longestGapMs, t - last);
    last = t;
  }
})();
stalls.enable();
const reloadStart = performance.now();
const reloaded = await loader.load(dir);
if (!reloaded.ok || reloaded.plan.lists.size !== plan.lists.size + 1) throw new Error('the reload was refused or missed the edit');
plan = reloaded.plan;
const reloadMs = performance.now() - reloadStart;
reloading = false;
await decisionLoop;
stalls.disable();
const rssAfterReload = process.memoryUsage().rss;
await loader.close();

console.log(
  JSON.stringify({
    extensions: plan.extensions.size,
    entries: plan.lists.size,
    loadMs,
    coldStallMs: coldStalls.max / 1e6,
    rssBefore,
    peakRss,
    heapUsed,
    decision,
    firstLoadMs,
    reloadMs,
    rssAfterReload,
    reloadStallMs: stalls.max / 1e6,
    reloadLongestGapMs: longestGapMs,
    reloadDecisions: decisions,
  }),
);
