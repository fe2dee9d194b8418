import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Plan } from '../policy/plan.js';
import { startWorker } from '../workerThread.js';
import type { LoadResult } from './compile.js';
import { PlanAssembly, type PlanMessage } from './planTransfer.js';
import type { Problem } from './problem.js';

/** A load asked of the loader thread: the plan's directory, and the port its pieces go on. */
export interface LoadRequest {
  dir: string;
  port: MessagePort;
}

/** What the loader thread says when a load is over: its pieces are all on the load's port, or the plan was refused. */
export type LoaderReply = { type: 'sent' } | { type: 'rejected'; problems: Problem[] };

/**
 * Loads, validates and compiles plans in one worker thread kept as long as this loader, so a serving
 * process keeps answering calls meanwhile, and a reload finds the thread's code already compiled and
 * the parts of the plan whose files did not change already built (planWorker.ts). The thread queues the plan's pieces
 * (planTransfer.ts) all at once on a port of the load's own; this thread takes one per turn of the
 * event loop, each a short task, and the Plan exists here only once complete, for the caller to swap
 * in at once. Loads run one after another.
 */
export class PlanLoaderThread {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();

  load(dir: string): Promise<LoadResult> {
    const loading = this.queue.then(() => this.loadNow(dir));
    this.queue = loading.catch(() => undefined);
    return loading;
  }

  /** Stops the thread; a later load starts another. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private loadNow(dir: string): Promise<LoadResult> {
    const worker = (this.worker ??= startWorker(new URL('./planWorker.js', import.meta.url), undefined));
    // Loading, the thread keeps the process alive; idle, it keeps nobody's.
    worker.ref();
    const { port1: mine, port2: theirs } = new MessageChannel();
    return new Promise<LoadResult>((resolve, reject) => {
      const done = () => {
        worker.off('message', onReply).off('error', failed).off('exit', onExit);
        mine.close();
        if (this.worker === worker) worker.unref();
      };
      const failed = (error: Error) => {
        done();
        // A thread that failed or stopped is not used again.
        if (this.worker === worker) this.worker = undefined;
        void worker.terminate();
        reject(error);
      };
      const onExit = (code: number) => failed(new Error(`the dialplan loader thread stopped (exit code ${code}) before finishing`));
      const onReply = (reply: LoaderReply) => {
        if (reply.type === 'rejected') {
          done();
          resolve({ ok: false, problems: reply.problems });
        } else {
          assemble(mine, (plan) => {
            done();
            resolve({ ok: true, plan });
          }, failed);
        }
      };
      worker.once('message', onReply).on('error', failed).on('exit', onExit);
      worker.postMessage({ dir, port: theirs } satisfies LoadRequest, [theirs]);
    });
  }
}

/** Takes the plan's pieces queued on `port`, one per turn of the event loop. */
function assemble(port: MessagePort, done: (plan: Plan) => void, failed: (error: Error) => void): void {
  const assembly = new PlanAssembly();
  const next = () => {
    try {
      const piece = receiveMessageOnPort(port);
      if (!piece) throw new Error('the dialplan loader thread sent part of a plan');
      const plan = assembly.receive(piece.message as PlanMessage);
      if (plan) done(plan);
      else setImmediate(next);
    } catch (error) {
      failed(error as Error);
    }
  };
  next();
}
