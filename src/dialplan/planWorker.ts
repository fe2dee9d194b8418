import { once } from 'node:events';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { loadPlan } from './load.js';
import { packPlan } from './planTransfer.js';

/**
 * Worker thread: loads the dialplan of `workerData.dir` and sends it back in pieces (planTransfer.ts),
 * the next only when the serving thread asks: Node hands a port's queued messages over in one go, so
 * pieces sent at once would be one long task there.
 */
// Lowest CPU priority for this thread alone (Linux applies setpriority to the calling thread): on a
// busy machine the serving thread, not the reload, gets the core.
try {
  setPriority(19);
} catch {
  // not permitted here: load at normal priority
}
const port = parentPort!;
const result = await loadPlan((workerData as { dir: string }).dir);
if (!result.ok) port.postMessage({ type: 'rejected', problems: result.problems });
else {
  for (const { message, transfer } of packPlan(result.plan)) {
    port.postMessage(message, transfer);
    await once(port, 'message');
  }
}
