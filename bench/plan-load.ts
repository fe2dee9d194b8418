import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { loadPlan } from '../src/dialplan/load.js';
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlanLoaderThread } from '../src/dialplan/offThread.js';
import { decide } from '../src/policy/decide.js';
import { tuneHeapForServing } from '../src/server/servingHeap.js';
import type { Plan } from '../src/policy/plan.js';
import type { LoadResult } from '../src/dialplan/compile.js';
import { measure } from './stats.js';

/**
 * Child of plan-scale.bench, in a fresh process each time, printing its figures as JSON:
 * - `cold`: loads the plan here, as a command does (validate, classify, the report), and times decisions on it;
 * - `serve`: as `callguard serve` does, tunes the heap for serving and loads the plan in its loader
 *   thread (PlanWatcher); lets a loop of decisions run and the collector tidy up, as in the minutes
 *   before an admin's edit; then edits one list file and reloads while the loop goes on.
 * Usage: node --expose-gc dist/bench/plan-load.js cold|serve DIR FIRST_EXT EXTENSIONS FIRST_NUMBER ENTRIES
 */
const [mode, dir, firstExt, extensions, firstNumber, entries] = process.argv.slice(2);
if (!dir || (mode !== 'cold' && mode !== 'serve')) throw new Error('usage: plan-load cold|serve DIR FIRST_EXT EXTENSIONS FIRST_NUMBER ENTRIES');

const phone = { lock: 'unlocked' as const, grants: [] };
const now = Date.now();
const exts = Number(extensions);
const numbers = Number(entries);
const call = (i: number) => ({ from: String(Number(firstExt) + (i % exts)), to: `90${Number(firstNumber) + (i % numbers)}` });
const planOf = (result: LoadResult): Plan => {
  if (!result.ok) throw new Error(result.problems.slice(0, 5).map((p) => `${p.where}: ${p.message}`).join('\n'));
  return result.plan;
};

if (mode === 'cold') {
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
  const plan = planOf(result);
  const decision = measure(200_000, (i) => decide(plan, phone, call(i), now).action);
  console.log(JSON.stringify({ extensions: plan.extensions.size, entries: plan.lists.size, loadMs, coldStallMs: coldStalls.max / 1e6, rssBefore, peakRss, heapUsed, decision }));
} else {
  tuneHeapForServing();
  const loader = new PlanLoaderThread();
  const firstStart = performance.now();
  let plan = planOf(await loader.load(dir));
  const firstLoadMs = performance.now() - firstStart;
  /** A loop of decisions, 100 per turn of the event loop; while `measuring`, the longest gap between turns is a stall. */
  let running = true;
  let measuring = false;
  let decisions = 0;
  let longestGapMs = 0;
  let reloadStart = Infinity;
  const decisionLoop = (async () => {
    let last = performance.now();
    while (running) {
      for (let k = 0; k < 100; k++) decide(plan, phone, call(decisions++), now);
      await nextTurn();
      const t = performance.now();
      if (measuring) longestGapMs = Math.max(longestGapMs, t - Math.max(last, reloadStart));
      last = t;
    }
  })();
  // A serving process has answered calls, and its collector has tidied up, in the minutes before an
  // admin's edit: the loop runs a while first, so the reload meets the decision code compiled.
  await sleep(1000);
  global.gc?.();
  appendFileSync(
    join(dir, 'lists-generated-0.yaml'),
    '  - number: "+442079460999"\n    for: { users: [u1] }\n    reason: Added by the reload bench\n    approver: Head of Telecoms\n',
  );
  /** A timer histogram (1 ms resolution) and the loop of decisions measure the longest stall. */
  const stalls = monitorEventLoopDelay({ resolution: 1 });
  stalls.enable();
  measuring = true;
  const decisionsBefore = decisions;
  reloadStart = performance.now();
  const reloaded = planOf(await loader.load(dir));
  if (reloaded.lists.size !== plan.lists.size + 1) throw new Error('the reload missed the edit');
  plan = reloaded;
  const reloadMs = performance.now() - reloadStart;
  measuring = false;
  stalls.disable();
  const reloadDecisions = decisions - decisionsBefore;
  running = false;
  await decisionLoop;
  const rssAfterReload = process.memoryUsage().rss;
  await loader.close();
  console.log(JSON.stringify({ firstLoadMs, reloadMs, rssAfterReload, reloadStallMs: stalls.max / 1e6, reloadLongestGapMs: longestGapMs, reloadDecisions }));
}
