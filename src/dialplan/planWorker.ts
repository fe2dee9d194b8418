import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { KeptParts, loadPlan } from './load.js';
import type { LoadRequest, LoaderReply } from './offThread.js';
import { packPlan } from './planTransfer.js';

/**
 * The loader thread of offThread.ts: loads the dialplan of each request and queues the plan's pieces
 * (planTransfer.ts) on the request's port, then says so. It lives as long as its loader, keeping the
 * compiled parts of the last plan: a reload after an edit to a list file compiles that file alone.
 */
// Lowest CPU priority for this thread alone (Linux applies setpriority to the calling thread): on a
// busy machine the serving thread, not the reload, gets the core.
try {
  setPriority(19);
} catch {
  // not permitted here: load at normal priority
}
// The first ArrayBuffer a thread detaches (this thread transfers each list index it sends) tells V8 that
// buffers can be detached, and all the typed-array code it has optimised is thrown away: the first reload
// would compile the list compiler again, on compiler threads that run at normal priority beside the
// serving thread. Detach one now, before anything is optimised.
const buffer = new ArrayBuffer(0);
structuredClone(buffer, { transfer: [buffer] });

const parent = parentPort!;
const kept = new KeptParts();
parent.on('message', ({ dir, port, coreHeld }: LoadRequest) => {
  void loadPlan(dir, kept).then((result) => {
    if (!result.ok) return parent.postMessage({ type: 'rejected', problems: result.problems } satisfies LoaderReply);
    const core = kept.version('core')!;
    for (const { message, transfer } of packPlan(result.plan, core === coreHeld)) port.postMessage(message, transfer);
    parent.postMessage({ type: 'sent', core } satisfies LoaderReply);
  });
});
