/**
 * The admin API on a real HTTP server (startHttp) over a temp copy of the sample dialplan, with the
 * plan watcher, the embedded runtime state and a token file holding one token per role.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { addToken } from '../../src/admin/tokens.js';
import { PlanWatcher } from '../../src/dialplan/watch.js';
import { createAdmin, type AdminParts } from '../../src/http/admin.js';
import type { RateLimit } from '../../src/http/auth.js';
import { Metrics } from '../../src/audit/metrics.js';
import { startHttp } from '../../src/http/server.js';
import { openState, type RuntimeState } from '../../src/state/index.js';
import { planCopy } from '../support/plans.js';

/** Cheap scrypt for test tokens; the parameters travel with the hash, so verification uses them. */
export const TEST_COST = { N: 2 ** 10, r: 8, p: 1 };

export interface Reply {
  status: number;
  headers: Headers;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export class ApiServer {
  private constructor(
    readonly http: Server,
    readonly plan: ReturnType<typeof planCopy>,
    readonly dataDir: string,
    readonly tokens: Record<'admin' | 'security' | 'auditor', string>,
    readonly watcher: PlanWatcher,
    readonly state: RuntimeState,
    readonly admin: AdminParts,
    readonly logs: string[],
  ) {}

  static async start(opts: { rateLimit?: RateLimit; redisUrl?: string; heartbeatMs?: number } = {}): Promise<ApiServer> {
    const plan = planCopy();
    const dataDir = mkdtempSync(join(tmpdir(), 'callguard-api-'));
    const tokensFile = join(dataDir, 'tokens.json');
    const tokens = {
      admin: await addToken(tokensFile, 'alice', 'admin', TEST_COST),
      security: await addToken(tokensFile, 'sam', 'security', TEST_COST),
      auditor: await addToken(tokensFile, 'audrey', 'auditor', TEST_COST),
    };
    const logs: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
    let state: RuntimeState | undefined;
    const watcher = await PlanWatcher.start(plan.dir, { onReload: (p) => state?.usePlan(p), onRejected: () => {} });
    const redis = opts.redisUrl ? { url: opts.redisUrl } : undefined;
    state = await openState({ plan: watcher.current, logger, redis });
    const admin = createAdmin({
      settings: { tokensFile, auditLog: join(dataDir, 'audit.jsonl') },
      redis,
      dialplanDir: plan.dir,
      plan: () => watcher.current,
      state,
      reload: () => watcher.reload(),
      logger,
      rateLimit: opts.rateLimit ?? { maxFailures: 1000, windowMs: 60_000 },
      heartbeatMs: opts.heartbeatMs,
      dataDir,
    });
    const http = await startHttp('127.0.0.1', 0, { health: () => ({ ok: true }), metrics: new Metrics(), admin: admin.api });
    return new ApiServer(http, plan, dataDir, tokens, watcher, state, admin, logs);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.http.address() as AddressInfo).port}`;
  }

  file(name: string): string {
    return readFileSync(join(this.plan.dir, name), 'utf8');
  }

  get auditText(): string {
    try {
      return readFileSync(join(this.dataDir, 'audit.jsonl'), 'utf8');
    } catch {
      return '';
    }
  }

  async request(method: string, path: string, opts: { token?: string | null; body?: unknown; raw?: string; headers?: Record<string, string> } = {}): Promise<Reply> {
    const headers: Record<string, string> = { ...opts.headers };
    const token = opts.token === undefined ? this.tokens.admin : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${this.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }

  async stop(): Promise<void> {
    await this.admin.close();
    this.http.closeAllConnections();
    await new Promise((resolve) => this.http.close(resolve));
    this.watcher.close();
    await this.state.backend.close();
    this.plan.remove();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
