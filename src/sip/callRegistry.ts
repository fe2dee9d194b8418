import type Srf from 'drachtio-srf';
import type { LiveCall, LiveCallSource } from '../state/liveCalls.js';
import type { CallSession } from './session.js';

/** What the web admin shows of a call in progress, known at its decision. */
export type CallSummary = Omit<LiveCall, 'instance' | 'callId' | 'answered'>;

/**
 * The calls this instance is handling, so a drain can wait for them and a shutdown can end them; as a
 * live-call source, what the web admin lists and ends (src/state/liveCalls.ts shares it between instances).
 */
export class CallRegistry implements LiveCallSource {
  private readonly sessions = new Map<CallSession, CallSummary | undefined>();
  private readonly byCallId = new Map<string, CallSession>();
  private emptied: (() => void)[] = [];

  get size(): number {
    return this.sessions.size;
  }

  add(session: CallSession, summary?: CallSummary): void {
    this.sessions.set(session, summary);
    this.byCallId.set(session.callId, session);
  }

  /** The call an in-dialog request (an INFO in the early dialog) belongs to. */
  find(callId: string): CallSession | undefined {
    return this.byCallId.get(callId);
  }

  /**
   * The other leg of the connected call one of whose dialogs is `callId` with our tag `localTag` and
   * the far end's `remoteTag`. A scan of the calls in progress: only an INVITE with Replaces asks.
   */
  otherLeg(callId: string, localTag: string, remoteTag: string): Srf.Dialog | undefined {
    const named = (d: Srf.Dialog) => d.sip.callId === callId && d.sip.localTag === localTag && d.sip.remoteTag === remoteTag;
    for (const session of this.sessions.keys()) {
      const call = session.connected;
      if (!call || session.ended) continue;
      if (named(call.caller)) return call.callee;
      if (named(call.callee)) return call.caller;
    }
    return undefined;
  }

  remove(session: CallSession): void {
    this.sessions.delete(session);
    if (this.byCallId.get(session.callId) === session) this.byCallId.delete(session.callId);
    if (this.sessions.size === 0) for (const resolve of this.emptied.splice(0)) resolve();
  }

  /** Resolves when no call is left, or after `ms`; true when every call ended by itself. */
  whenEmpty(ms: number): Promise<boolean> {
    if (this.sessions.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.emptied.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  hangUpAll(): void {
    for (const call of [...this.sessions.keys()]) call.hangUp();
  }

  calls(): Omit<LiveCall, 'instance'>[] {
    const now = Date.now();
    const out: Omit<LiveCall, 'instance'>[] = [];
    for (const [session, summary] of this.sessions) {
      if (!summary || session.ended) continue;
      const seconds = session.answeredSeconds();
      out.push({ callId: session.callId, ...summary, answered: seconds > 0 ? new Date(now - seconds * 1000).toISOString() : undefined });
    }
    return out;
  }

  /** Ends one call from our side (BYE, or 503 while it is still being set up). */
  end(callId: string): boolean {
    const session = this.byCallId.get(callId);
    if (!session || session.ended) return false;
    session.hangUp();
    return true;
  }
}
