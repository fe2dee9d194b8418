import type { CallSession } from './session.js';

/** The calls this instance is handling, so a drain can wait for them and a shutdown can end them. */
export class CallRegistry {
  private readonly calls = new Set<CallSession>();
  private readonly byCallId = new Map<string, CallSession>();
  private emptied: (() => void)[] = [];

  get size(): number {
    return this.calls.size;
  }

  add(session: CallSession): void {
    this.calls.add(session);
    this.byCallId.set(session.callId, session);
  }

  /** The call an in-dialog request (an INFO in the early dialog) belongs to. */
  find(callId: string): CallSession | undefined {
    return this.byCallId.get(callId);
  }

  remove(session: CallSession): void {
    this.calls.delete(session);
    if (this.byCallId.get(session.callId) === session) this.byCallId.delete(session.callId);
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
