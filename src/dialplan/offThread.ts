import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { LoadResult } from './compile.js';
import { PlanAssembly, type PlanMessage } from './planTransfer.js';

/**
 * The worker that loads a plan: the compiled planWorker.js, or, when running from the TypeScript
 * sources (tests, tsx), the .ts file through tsx's loader, which a worker thread must register itself.
 */
function startWorker(dir: string): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./planWorker.js', here), { workerData: { dir } });
  const tsx = pathToFileURL(createRequire(here).resolve('tsx/esm/api')).href.replace(/\.cjs$/, '.mjs');
  const entry = new URL('./planWorker.ts', here).href;
  const code = `import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(code)}`), { workerData: { dir } });
}

/**
 * Loads, validates and compiles the plan of `dir` in a worker thread, so a serving process keeps
 * answering calls meanwhile. The result arrives in small messages (planTransfer.ts), one per turn of
 * the event loop, each a short task on this thread; the Plan exists here only once complete, for the caller to swap in at once.
 */
export function loadPlanOffThread(dir: string): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const worker = startWorker(dir);
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
