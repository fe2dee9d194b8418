import { startWorker } from '../workerThread.js';
import type { LoadResult } from './compile.js';
import { PlanAssembly, type PlanMessage } from './planTransfer.js';

/**
 * Loads, validates and compiles the plan of `dir` in a worker thread, so a serving process keeps
 * answering calls meanwhile. The result arrives in small messages (planTransfer.ts), one per turn of
 * the event loop, each a short task on this thread; the Plan exists here only once complete, for the caller to swap in at once.
 */
export function loadPlanOffThread(dir: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(new URL('./planWorker.js', import.meta.url), { dir });
    const assembly = new PlanAssembly();
    let settled = false;
    const settle = (result: LoadResult) => {
      settled = true;
      resolve(result);
      void worker.terminate();
    };
    worker.on('message', (message: PlanMessage) => {
      if (settled) return;
      if (message.type === 'rejected') return settle({ ok: false, problems: message.problems });
      try {
        const plan = assembly.receive(message);
        if (plan) settle({ ok: true, plan });
        // The next piece once calls waiting meanwhile have had their turn.
        else setImmediate(() => settled || worker.postMessage('next'));
      } catch (error) {
        settled = true;
        reject(error as Error);
        void worker.terminate();
      }
    });
    worker.on('error', (error) => {
      if (!settled) reject(error);
      settled = true;
    });
    worker.on('exit', (code) => {
      if (!settled) reject(new Error(`the dialplan loader thread stopped (exit code ${code}) before finishing`));
      settled = true;
    });
  });
}
