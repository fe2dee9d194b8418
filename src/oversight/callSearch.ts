import { createReadStream, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { CallRecord } from './callRecord.js';
import { recordsDir } from './callRecords.js';
import { csvField } from './reportFormats.js';

/** What the web admin searches the call records by; every field is optional and they all must match. */
export interface CallQuery {
  /** The caller's extension, or the extension called. */
  ext?: string | undefined;
  /** Part of the number dialled, as dialled or as E.164. */
  number?: string | undefined;
  /** First and last day (yyyy-mm-dd, the INVITE's UTC day), inclusive. */
  from: string;
  to: string;
  class?: string | undefined;
  action?: string | undefined;
  /** The disposition: answered, rejected, busy, no-answer, cancelled, failed. */
  outcome?: string | undefined;
  /** Newest first, at most this many. */
  limit: number;
}

export interface CallSearchResult {
  calls: CallRecord[];
  /** Matching calls beyond `limit`, left out. */
  more: number;
  /** Record lines read. */
  scanned: number;
}

const DAY = 86_400_000;
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + DAY).toISOString().slice(0, 10);

/** Day files that can hold calls invited between `from` and `to` (a call is filed by the day it ended, in the site's zone). */
function filesFor(dataDir: string, from: string, to: string): string[] {
  const dir = recordsDir(dataDir);
  if (!existsSync(dir)) return [];
  const first = new Date(Date.parse(`${from}T00:00:00Z`) - DAY).toISOString().slice(0, 10);
  const last = nextDay(nextDay(to));
  return readdirSync(dir)
    .filter((name) => /^\d{4}-\d{2}-\d{2}\.jsonl$/.test(name) && name.slice(0, 10) >= first && name.slice(0, 10) <= last)
    .sort()
    .map((name) => join(dir, name));
}

function matches(r: CallRecord, q: CallQuery, end: string): boolean {
  if (r.invite < q.from || r.invite >= end) return false;
  if (q.ext && r.from !== q.ext && r.to !== q.ext) return false;
  if (q.number && !r.to.includes(q.number) && !(r.e164 ?? '').includes(q.number.replace(/^\+/, ''))) return false;
  if (q.class && r.class !== q.class) return false;
  if (q.action && r.action !== q.action) return false;
  if (q.outcome && r.disp !== q.outcome) return false;
  return true;
}

/** The matching call records, newest first; reads the day files line by line (a torn line is skipped). */
export async function searchCalls(dataDir: string, q: CallQuery): Promise<CallSearchResult> {
  const end = nextDay(q.to);
  const found: CallRecord[] = [];
  let scanned = 0;
  for (const file of filesFor(dataDir, q.from, q.to)) {
    for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
      if (!line) continue;
      scanned++;
      let record: CallRecord;
      try {
        record = JSON.parse(line) as CallRecord;
      } catch {
        continue;
      }
      if (record?.v === 1 && typeof record.invite === 'string' && matches(record, q, end)) found.push(record);
    }
  }
  found.sort((a, b) => b.invite.localeCompare(a.invite));
  return { calls: found.slice(0, q.limit), more: Math.max(0, found.length - q.limit), scanned };
}

const COLUMNS: [string, (r: CallRecord) => unknown][] = [
  ['invite', (r) => r.invite],
  ['answer', (r) => r.answer],
  ['end', (r) => r.end],
  ['seconds', (r) => r.dur],
  ['outcome', (r) => r.disp],
  ['status', (r) => r.status],
  ['from', (r) => r.from],
  ['user', (r) => r.user],
  ['department', (r) => r.dept],
  ['dialled', (r) => r.to],
  ['e164', (r) => r.e164],
  ['country', (r) => r.country],
  ['class', (r) => r.class],
  ['action', (r) => r.action],
  ['reason', (r) => r.reason],
  ['rule', (r) => r.rule],
  ['lock', (r) => r.lock],
  ['failover', (r) => r.failover],
  ['PIN failures', (r) => r.pinFail],
  ['call id', (r) => r.id],
];

/** One row per call (RFC 4180, CRLF, a header row). */
export function callsCsv(calls: readonly CallRecord[]): string {
  return [COLUMNS.map(([name]) => name), ...calls.map((r) => COLUMNS.map(([, get]) => get(r)))].map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n';
}
