import type { CallSession } from './session.js';

/** The calls this instance is handling, so a drain can wait for them and a shutdown can end them. */
export class CallRegistry {
  private readonly calls = new Set<CallSession>();
  private emptied: (() => void)[] = [];

  get size(): number {
    return this.calls.size;
  }

  add(session: CallSession): void {
    this.calls.add(session);
  }

  remove(session: CallSession): void {
    this.calls.delete(session);
    if (this.calls.size === 0) for (const resolve of this.emptied.splice(0)) resolve();
  }

  /** Resolves when no call is left, or after `ms`; true when every call ended by itself. */
  whenEmpty(ms: number): Promise<boolean> {
    if (this.calls.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.emptied.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  hangUpAll(): void {
    for (const call of [...this.calls]) call.hangUp();
  }
}
