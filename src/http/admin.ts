import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { AuditLog } from '../admin/auditLog.js';
import { PlanEditor } from '../admin/planEditor.js';
import { TokenVerifier } from '../admin/tokens.js';
import type { AlertChannel } from '../audit/alertDispatcher.js';
import { recordsDir } from '../oversight/callRecords.js';
import type { Plan } from '../policy/plan.js';
import type { RedisTarget, RuntimeState } from '../state/index.js';
import type { LiveCallBoard } from '../state/liveCalls.js';
import { AlertFeed, consoleChannel, RedisAlertReader } from './alertFeed.js';
import { AdminApi, type AdminDeps } from './api.js';
import type { RateLimit } from './auth.js';

export interface AdminSettings {
  tokensFile: string;
  auditLog: string;
}

export interface AdminParts {
  api: AdminApi;
  feed: AlertFeed;
  /** For the alert dispatcher: this instance's alerts to its console (only without Redis). */
  channel?: AlertChannel | undefined;
  close(): Promise<void>;
}

/**
 * The admin API and the console feed as `callguard serve` runs them: with Redis the console follows
 * the shared alert stream (every instance's alerts, acknowledgements shared); without, this instance's own.
 */
export function createAdmin(options: {
  settings: AdminSettings;
  redis?: RedisTarget | undefined;
  dialplanDir: string;
  plan: () => Plan;
  state: RuntimeState;
  reload: () => Promise<void>;
  logger: Logger;
  rateLimit?: RateLimit;
  heartbeatMs?: number;
  /** Where the call records are (dry runs replay the last 31 days); default CALLGUARD_DATA_DIR, else ./data. */
  dataDir?: string;
  /** Every instance's calls in progress, for the web admin. */
  liveCalls?: LiveCallBoard | undefined;
  /** Security on emergency calls: the states the console shows, and officers' requests to be called in. */
  joins?: Pick<AdminDeps, 'joins' | 'requestJoin'>;
}): AdminParts {
  const { logger } = options;
  const feed = new AlertFeed(options.redis ? 'redis' : 'local');
  const reader = options.redis ? new RedisAlertReader(options.redis, feed, logger) : undefined;
  reader?.start();
  const tokens = new TokenVerifier(options.settings.tokensFile, (message) => logger.error({ file: options.settings.tokensFile, err: message }, 'token file unreadable: every API request is refused'));
  if (tokens.count === 0) logger.warn({ file: options.settings.tokensFile }, 'no API tokens yet: create one with `callguard token add NAME --role admin`');
  const api = new AdminApi({
    tokens,
    audit: new AuditLog(options.settings.auditLog),
    editor: new PlanEditor(options.dialplanDir, options.reload, () => recentCallFiles(options.dataDir ?? (process.env.CALLGUARD_DATA_DIR || 'data'))),
    plan: options.plan,
    state: options.state,
    feed,
    publishAck: reader && ((id, ack) => reader.publishAck(id, ack)),
    logger,
    rateLimit: options.rateLimit,
    heartbeatMs: options.heartbeatMs,
    dataDir: options.dataDir,
    liveCalls: options.liveCalls,
    ...options.joins,
  });
  return {
    api,
    feed,
    channel: reader ? undefined : consoleChannel(feed),
    async close() {
      api.closeStreams();
      await reader?.close();
    },
  };
}

/** The call-record day files of the last 31 days (`<dataDir>/calls/<yyyy-mm-dd>.jsonl`). */
function recentCallFiles(dataDir: string, now = Date.now()): string[] {
  const dir = recordsDir(dataDir);
  if (!existsSync(dir)) return [];
  const first = new Date(now - 31 * 86_400_000).toISOString().slice(0, 10);
  return readdirSync(dir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(name) && name.slice(0, 10) >= first)
    .sort()
    .map((name) => join(dir, name));
}
