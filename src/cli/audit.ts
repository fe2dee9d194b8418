import type { Command } from 'commander';
import { UsageError } from './usage.js';

/** A value on one line, short enough to read in a terminal. */
function brief(value: unknown): string {
  if (value === undefined) return '-';
  const text = JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

export function registerAudit(program: Command): void {
  program
    .command('audit')
    .description('show the changes made through the admin API and the console (who, what, before, after, when, from where)')
    .option('--since <date>', 'only changes at or after this date or time (e.g. 2026-03-01)')
    .option('--file <path>', 'audit log (default: $CALLGUARD_AUDIT_LOG, else $CALLGUARD_DATA_DIR/audit.jsonl, else ./data/audit.jsonl)')
    .option('--json', 'print the records as JSON lines')
    .action(async (options: { since?: string; file?: string; json?: boolean }) => {
      const [{ auditLogPath, readAudit }, { parseAdminDate }] = await Promise.all([import('../admin/auditLog.js'), import('../dialplan/dates.js')]);
      let since: number | undefined;
      if (options.since !== undefined) {
        since = parseAdminDate(options.since, 'from');
        if (since === undefined) throw new UsageError(`--since "${options.since}" is not a date such as 2026-03-01 or 2026-03-01T09:00Z`);
      }
      const records = await readAudit(options.file ?? auditLogPath(), since);
      for (const r of records) {
        process.stdout.write(
          options.json ? `${JSON.stringify(r)}\n` : `${r.at}  ${r.who} (${r.role}) from ${r.address}  ${r.action} ${r.target}\n    before: ${brief(r.before)}\n    after:  ${brief(r.after)}\n`,
        );
      }
    });
}
