import { EventEmitter } from 'node:events';
import type { JoinState } from '../media/securityJoin.js';

/** How many calls' join states the console keeps (as many as the alerts it shows). */
const KEEP = 300;

/**
 * Security's part in each recent emergency call, as the console shows it on the call's card: the
 * latest state per Call-ID; emits `join` on each change.
 */
export class JoinFeed extends EventEmitter<{ join: [JoinState] }> {
  private readonly states = new Map<string, JoinState>();

  constructor() {
    super();
    this.setMaxListeners(0);
  }

  /** Takes `state` unless a later one of the same call is already here (Redis echoes what this instance said). */
  update(state: JoinState): void {
    const known = this.states.get(state.callId);
    if (known && known.at > state.at) return;
    this.states.delete(state.callId);
    this.states.set(state.callId, state);
    for (const oldest of this.states.keys()) {
      if (this.states.size <= KEEP) break;
      this.states.delete(oldest);
    }
    this.emit('join', state);
  }

  get(callId: string): JoinState | undefined {
    return this.states.get(callId);
  }

  snapshot(): JoinState[] {
    return [...this.states.values()];
  }
}
