import { watch, type FSWatcher } from 'node:fs';
import type { Plan } from '../policy/plan.js';
import type { LoadResult } from './compile.js';
import { loadPlan } from './load.js';
import { PlanLoaderThread } from './offThread.js';
import type { Problem } from './problem.js';

export interface PlanWatcherEvents {
  onReload(plan: Plan): void;
  /** A bad edit: the previous plan stays in force. */
  onRejected(problems: Problem[]): void;
}

/**
 * Loads in the loader thread, so calls are answered throughout (a 50,000-extension plan takes a second
 * to read); if the thread cannot run, loads here, yielding between files; but a thread stopped because
 * the watcher was `closed` is no reason to load at all.
 */
async function load(loader: PlanLoaderThread, dir: string, closed = () => false): Promise<LoadResult> {
  try {
    return await loader.load(dir);
  } catch (error) {
    if (closed()) throw error;
    return loadPlan(dir);
  }
}

/** Debounce: editors write a file in several steps; reload once they have finished. */
const SETTLE_MS = 150;

/**
 * Holds the plan in force and swaps it atomically when the files change. Readers call `current`
 * per call, so a call in progress keeps the snapshot it started with; a bad edit never replaces a good plan.
 */
export class PlanWatcher {
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reloading: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    private readonly dir: string,
    private plan: Plan,
    private readonly events: PlanWatcherEvents,
    private readonly loader: PlanLoaderThread,
  ) {}

  /** Loads the plan once (failing if it is invalid) and starts watching. */
  static async start(dir: string, events: PlanWatcherEvents): Promise<PlanWatcher> {
    const loader = new PlanLoaderThread();
    const first = await load(loader, dir);
    if (!first.ok) {
      await loader.close();
      throw new Error(`dialplan ${dir} is invalid:\n${first.problems.map((p) => `${p.where}: ${p.message}`).join('\n')}`);
    }
    const w = new PlanWatcher(dir, first.plan, events, loader);
    w.watcher = watch(dir, { recursive: true }, () => w.schedule());
    return w;
  }

  get current(): Plan {
    return this.plan;
  }

  /** Reloads now; resolves when the new plan is in force or has been refused. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(async () => {
      if (this.closed) return;
      let result: LoadResult;
      try {
        result = await load(this.loader, this.dir, () => this.closed);
      } catch (error) {
        result = { ok: false, problems: [{ where: this.dir, message: `cannot load the dialplan: ${(error as Error).message}` }] };
      }
      // A load that close() cut short is neither applied nor reported.
      if (this.closed) return;
      if (result.ok) {
        this.plan = result.plan;
        this.events.onReload(result.plan);
      } else {
        this.events.onRejected(result.problems);
      }
    });
    return this.reloading;
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watcher?.close();
    void this.loader.close();
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.reload(), SETTLE_MS);
  }
}
