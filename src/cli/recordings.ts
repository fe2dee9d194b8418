import type { Command } from 'commander';
import { relative } from 'node:path';
import { DIALPLAN_OPTION } from './options.js';

interface RecordingsOptions {
  dialplan?: string;
  directory?: string;
}

const DIRECTORY_OPTION = ['--directory <dir>', 'recording directory (default: the plan\'s site.recording.directory)'] as const;

/** The site settings the commands need: from the plan, with the directory overridable. */
async function siteOf(options: RecordingsOptions): Promise<{ directory: string; retentionDays: number; timezone: string }> {
  const { planFrom } = await import('./planOrThrow.js');
  const { site } = await planFrom(options.dialplan);
  return { directory: options.directory ?? site.recording.directory, retentionDays: site.recording.retentionDays, timezone: site.timezone };
}

function localStamp(instant: number, zone: string): string {
  const p = new Intl.DateTimeFormat('en-CA', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(instant);
  const get = (type: string) => p.find((x) => x.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}:${get('second')}`;
}

export function registerRecordings(program: Command): void {
  const recordings = program.command('recordings').description('call recordings under site.recording.directory, and their retention');

  recordings
    .command('sweep')
    .description('delete recordings (and their sidecars) whose call started more than site.recording.retentionDays ago, and the directories left empty')
    .option(...DIALPLAN_OPTION)
    .option(...DIRECTORY_OPTION)
    .option('--dry-run', 'only say what would be deleted')
    .action(async (options: RecordingsOptions & { dryRun?: boolean }) => {
      const { sweepRecordings } = await import('../media/recordings.js');
      const site = await siteOf(options);
      const verb = options.dryRun ? 'would remove' : 'removed';
      const result = await sweepRecordings({
        ...site,
        dryRun: options.dryRun,
        logger: {
          info: (o) => {
            const { file, startedAt } = o as { file: string; startedAt: string };
            process.stdout.write(`${verb} ${file} (call started ${localStamp(Date.parse(startedAt), site.timezone)})\n`);
          },
          warn: (o, msg) => process.stderr.write(`${msg ?? 'warning'}: ${JSON.stringify(o)}\n`),
          error: (o, msg) => {
            process.stderr.write(`${msg ?? 'error'}: ${JSON.stringify(o)}\n`);
            process.exitCode = 1;
          },
        },
      });
      process.stdout.write(
        `${site.directory}: ${verb} ${result.removed.length} file${result.removed.length === 1 ? '' : 's'} (${(result.bytes / 1e6).toFixed(1)} MB) ` +
          `older than ${site.retentionDays} days (before ${localStamp(result.cutoff, site.timezone)}), ${result.removedDirs.length} empty director${result.removedDirs.length === 1 ? 'y' : 'ies'}; ${result.kept} kept\n`,
      );
    });

  recordings
    .command('list')
    .description('list recordings, oldest first, with who, direction and duration from their sidecars')
    .option(...DIALPLAN_OPTION)
    .option(...DIRECTORY_OPTION)
    .option('--ext <ext>', 'only this extension\'s recordings')
    .option('--from <date>', 'only calls that started on or after this date (YYYY-MM-DD or YYYY-MM-DDTHH:MM in the site\'s time zone)')
    .option('--to <date>', 'only calls that started before this date')
    .option('--json', 'print one JSON object a line')
    .action(async (options: RecordingsOptions & { ext?: string; from?: string; to?: string; json?: boolean }) => {
      const { listRecordings, parseAdminDate } = await import('../media/recordings.js');
      const site = await siteOf(options);
      const from = options.from === undefined ? undefined : parseAdminDate(options.from, site.timezone);
      const to = options.to === undefined ? undefined : parseAdminDate(options.to, site.timezone);
      const found = await listRecordings({ directory: site.directory, timezone: site.timezone, ext: options.ext, from, to });
      if (options.json) {
        process.stdout.write(found.map((r) => `${JSON.stringify({ path: r.path, ext: r.ext, callId: r.callId, at: new Date(r.at).toISOString(), ...(r.sidecar ? { sidecar: r.sidecar } : {}) })}\n`).join(''));
        return;
      }
      const lines = found.map((r) => {
        const s = r.sidecar;
        const who = s ? `${s.direction} ${s.direction === 'inbound' ? 'from' : 'to'} ${s.other}` : '(no sidecar)';
        const duration = s?.durationSeconds == null ? '' : ` ${s.durationSeconds} s`;
        return `${localStamp(r.at, site.timezone)}  ${r.ext}  ${who}${duration}  ${relative(site.directory, r.path)}\n`;
      });
      process.stdout.write(lines.join('') + `${found.length} recording${found.length === 1 ? '' : 's'} in ${site.directory}\n`);
    });
}
