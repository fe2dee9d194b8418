import { MessageChannel, receiveMessageOnPort, type MessagePort, type Worker } from 'node:worker_threads';
import type { Plan } from '../policy/plan.js';
import { startWorker } from '../workerThread.js';
import type { LoadResult } from './compile.js';
import { PlanAssembly, type PlanCore, type PlanMessage } from './planTransfer.js';
import type { Problem } from './problem.js';

/** A load asked of the loader thread: the plan's directory, the port its pieces go on, and the version of the core this thread holds. */
export interface LoadRequest {
  dir: string;
  port: MessagePort;
  coreHeld: number | undefined;
}

/**
 * What the loader thread says when a load is over: its pieces are all on the load's port (with the
 * version of its core, which the thread numbers anew whenever it compiles the core), or the plan was refused.
 */
export type LoaderReply = { type: 'sent'; core: number } | { type: 'rejected'; problems: Problem[] };

/**
 * Loads, validates and compiles plans in one worker thread kept as long as this loader, so a serving
 * process keeps answering calls meanwhile, and a reload finds the thread's code already compiled and
 * the parts of the plan whose files did not change already built (planWorker.ts). The thread queues the plan's pieces
 * (planTransfer.ts) all at once on a port of the load's own; this thread takes one per turn of the
 * event loop, each a short task, and the Plan exists here only once complete, for the caller to swap
 * in at once. The last plan's core (all but its list index) is kept here with its version, so a reload
 * after an edit to a list file receives only the new index. Loads run one after another.
 */
export class PlanLoaderThread {
  private worker: Worker | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** The core of the last plan the current thread sent, by the thread's version of it. */
  private held: { version: number; core: PlanCore } | undefined;

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
    if (!this.worker) {
      this.worker = startWorker(new URL('./planWorker.js', import.meta.url), undefined);
      this.held = undefined; // versions are the thread's own
    }
    const worker = this.worker;
    const held = this.held;
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
          assemble(mine, new PlanAssembly(reply.core === held?.version ? held.core : undefined), (plan) => {
            done();
            const { lists: _lists, ...core } = plan;
            if (this.worker === worker) this.held = { version: reply.core, core };
            resolve({ ok: true, plan });
          }, failed);
        }
      };
      worker.once('message', onReply).on('error', failed).on('exit', onExit);
      worker.postMessage({ dir, port: theirs, coreHeld: held?.version } satisfies LoadRequest, [theirs]);
    });
  }
}

/** Takes the plan's pieces queued on `port`, one per turn of the event loop. */
function assemble(port: MessagePort, assembly: PlanAssembly, done: (plan: Plan) => void, failed: (error: Error) => void): void {
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
