import type { IncomingMessage } from 'node:http';
import type { Caller, Role, TokenVerifier } from '../admin/tokens.js';

export interface RateLimit {
  /** Failed authentications from one address within the window before it is refused (429). */
  maxFailures: number;
  windowMs: number;
}

export const DEFAULT_RATE_LIMIT: RateLimit = { maxFailures: 10, windowMs: 60_000 };

export type AuthOutcome = { ok: true; caller: Caller } | { ok: false; status: 401 | 403 | 429; retryAfter?: number };

/**
 * Bearer-token authentication with roles. Failures are counted per address; an address over the limit
 * is refused without its token even being checked until the window has passed. Answers say nothing
 * about why (no such token, wrong token, wrong role are 401/401/403 with the same body).
 */
export class Authenticator {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly tokens: TokenVerifier,
    private readonly limit: RateLimit = DEFAULT_RATE_LIMIT,
    private readonly now: () => number = Date.now,
  ) {}

  private recent(address: string): number[] {
    const cutoff = this.now() - this.limit.windowMs;
    const list = (this.failures.get(address) ?? []).filter((t) => t > cutoff);
    if (list.length === 0) this.failures.delete(address);
    else this.failures.set(address, list);
    return list;
  }

  async check(req: IncomingMessage, roles: readonly Role[]): Promise<AuthOutcome> {
    const address = req.socket.remoteAddress ?? 'unknown';
    const recent = this.recent(address);
    if (recent.length >= this.limit.maxFailures) {
      return { ok: false, status: 429, retryAfter: Math.max(1, Math.ceil((recent[0]! + this.limit.windowMs - this.now()) / 1000)) };
    }
    const header = req.headers.authorization ?? '';
    const match = /^Bearer\s+(\S{1,200})\s*$/i.exec(header);
    const caller = match ? await this.tokens.verify(match[1]!) : undefined;
    if (!caller) {
      recent.push(this.now());
      this.failures.set(address, recent);
      if (this.failures.size > 10_000) this.failures.delete(this.failures.keys().next().value!);
      return { ok: false, status: 401 };
    }
    if (!roles.includes(caller.role)) return { ok: false, status: 403 };
    return { ok: true, caller };
  }
}
