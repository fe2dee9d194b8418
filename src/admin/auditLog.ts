import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { dataDir } from './tokens.js';

/** One change made through the admin API or the console: who, what, before and after, when, from where. */
export interface AuditRecord {
  at: string;
  who: string;
  role: string;
  address: string;
  action: string;
  target: string;
  before?: unknown;
  after?: unknown;
  note?: string;
}

/** CALLGUARD_AUDIT_LOG, else <data dir>/audit.jsonl. */
export function auditLogPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.CALLGUARD_AUDIT_LOG || join(dataDir(env), 'audit.jsonl');
}

/** Appends JSON lines, one write each (O_APPEND), in order. Callers never put a PIN or token in a record. */
export class AuditLog {
  private queue: Promise<void> = Promise.resolve();
  private ready: Promise<unknown> | undefined;

  constructor(readonly path: string) {}

  append(record: Omit<AuditRecord, 'at'> & { at?: string }): Promise<void> {
    const line = `${JSON.stringify({ at: record.at ?? new Date().toISOString(), ...record })}\n`;
    this.ready ??= mkdir(dirname(this.path), { recursive: true });
    const next = this.queue.then(async () => {
      await this.ready;
      await appendFile(this.path, line, { mode: 0o600 });
    });
    this.queue = next.catch(() => {});
    return next;
  }
}

/** The audit log's records at or after `since` (epoch ms); unreadable lines are skipped. */
export async function readAudit(path: string, since?: number): Promise<AuditRecord[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const out: AuditRecord[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const record = JSON.parse(line) as AuditRecord;
      if (since !== undefined && !(Date.parse(record.at) >= since)) continue;
      out.push(record);
    } catch {
      // a torn last line after a crash: skip it
    }
  }
  return out;
}
