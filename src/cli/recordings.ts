import type { Command } from 'commander';
import { relative } from 'node:path';
import { DIALPLAN_OPTION } from './options.js';
import { count } from '../plural.js';
import { zonedTime } from '../zonedTime.js';
import { UsageError } from './usage.js';

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
            process.stdout.write(`${verb} ${file} (call started ${zonedTime(Date.parse(startedAt), site.timezone, true)})\n`);
          },
          warn: (o, msg) => process.stderr.write(`${msg ?? 'warning'}: ${JSON.stringify(o)}\n`),
          error: (o, msg) => {
            process.stderr.write(`${msg ?? 'error'}: ${JSON.stringify(o)}\n`);
            process.exitCode = 1;
          },
        },
      });
      process.stdout.write(
        `${site.directory}: ${verb} ${count(result.removed.length, 'file')} (${(result.bytes / 1e6).toFixed(1)} MB) ` +
          `older than ${count(site.retentionDays, 'day')} (before ${zonedTime(result.cutoff, site.timezone, true)}), ${count(result.removedDirs.length, 'empty directory', 'empty directories')}; ${result.kept} kept\n`,
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
      const { listRecordings, parseAdminDate, holdPath } = await import('../media/recordings.js');
      const { existsSync } = await import('node:fs');
      const site = await siteOf(options);
      const from = options.from === undefined ? undefined : parseAdminDate(options.from, site.timezone);
      const to = options.to === undefined ? undefined : parseAdminDate(options.to, site.timezone);
      const found = await listRecordings({ directory: site.directory, timezone: site.timezone, ext: options.ext, from, to });
      if (options.json) {
        // `id` is what `recordings get` takes: the call's Call-ID as its sidecar keeps it (the file name has it made file-safe).
        process.stdout.write(found.map((r) => `${JSON.stringify({ id: r.sidecar?.callId ?? r.callId, path: r.path, ext: r.ext, callId: r.callId, at: new Date(r.at).toISOString(), held: existsSync(holdPath(r.path)), ...(r.sidecar ? { sidecar: r.sidecar } : {}) })}\n`).join(''));
        return;
      }
      const lines = found.map((r) => {
        const s = r.sidecar;
        const who = s ? `${s.direction} ${s.direction === 'inbound' ? 'from' : 'to'} ${s.other}` : '(no sidecar)';
        const duration = s?.durationSeconds == null ? '' : ` ${s.durationSeconds} s`;
        return `${zonedTime(r.at, site.timezone, true)}  ${r.ext}  ${who}${duration}  ${relative(site.directory, r.path)}${existsSync(holdPath(r.path)) ? '  [legal hold]' : ''}\n`;
      });
      process.stdout.write(lines.join('') + `${count(found.length, 'recording')} in ${site.directory}\n`);
    });

  recordings
    .command('get')
    .description('fetch one recording for a stated purpose (a recordings token for its service area in $CALLGUARD_TOKEN); audited')
    .argument('<id>', "the recording's id: the call's Call-ID")
    // Not a required option: a get without a purpose is refused by the governance, and so written to the access log.
    .option('--purpose <purpose>', 'quality, training, verification, dispute or abuse (required)')
    .option('--out <file>', 'write the WAV here (default: standard output, which must not be a terminal)')
    .option(...DIALPLAN_OPTION)
    .action(async (id: string, options: { purpose?: string; out?: string; dialplan?: string }) => {
      if (!options.out && process.stdout.isTTY) throw new UsageError('give --out FILE, or pipe the WAV somewhere: it is not for a terminal');
      const { recording } = await governed(options.dialplan, { id, action: 'get', purpose: options.purpose });
      const { copyFile, chmod } = await import('node:fs/promises');
      if (options.out) {
        await copyFile(recording.path, options.out);
        await chmod(options.out, 0o640);
        process.stderr.write(`${recording.name} -> ${options.out} (purpose ${options.purpose}; logged)\n`);
      } else {
        const { createReadStream } = await import('node:fs');
        const { pipeline } = await import('node:stream/promises');
        await pipeline(createReadStream(recording.path), process.stdout);
      }
    });

  recordings
    .command('hold')
    .description('place a recording under legal hold: the retention sweep leaves it until released (admin or recordings token in $CALLGUARD_TOKEN); audited')
    .argument('<id>', "the recording's id: the call's Call-ID")
    .requiredOption('--reason <text>', 'why it is held (investigation, complaint reference)')
    .option(...DIALPLAN_OPTION)
    .action(async (id: string, options: { reason: string; dialplan?: string }) => {
      const { recording } = await governed(options.dialplan, { id, action: 'hold', reason: options.reason });
      process.stdout.write(`${recording.name} is under legal hold\n`);
    });

  recordings
    .command('release')
    .description('release a legal hold: the recording is swept again once past retention (admin or recordings token in $CALLGUARD_TOKEN); audited')
    .argument('<id>', "the recording's id: the call's Call-ID")
    .option(...DIALPLAN_OPTION)
    .action(async (id: string, options: { dialplan?: string }) => {
      const { recording } = await governed(options.dialplan, { id, action: 'release' });
      process.stdout.write(`${recording.name} released from legal hold\n`);
    });

  recordings
    .command('access-log')
    .description('every recording fetched, held or released, and every refusal: who, which, purpose, when')
    .option('--id <id>', 'only this recording')
    .option('--json', 'print one JSON object a line')
    .action(async (options: { id?: string; json?: boolean }) => {
      const { readAccessLog } = await import('../media/recordingAccess.js');
      const { dataDir } = await import('../admin/tokens.js');
      const entries = (await readAccessLog(dataDir())).filter((e) => options.id === undefined || e.id === options.id);
      for (const e of entries) {
        process.stdout.write(
          options.json
            ? `${JSON.stringify(e)}\n`
            : `${e.at}  ${e.who}  ${e.action} ${e.outcome}  ${e.recording ?? e.id}${e.purpose ? `  purpose ${e.purpose}` : ''}${e.reason ? `  reason: ${e.reason}` : ''}${e.why ? `  (${e.why})` : ''}\n`,
        );
      }
    });
}

/** One governed access by the holder of $CALLGUARD_TOKEN (never an argument: arguments show in ps); throws with the reason when refused. */
async function governed(dialplan: string | undefined, request: Omit<import('../media/recordingAccess.js').AccessRequest, 'who'>) {
  const token = process.env.CALLGUARD_TOKEN;
  if (!token) throw new Error('set CALLGUARD_TOKEN to your token (callguard token add NAME --role recordings --areas AREA)');
  const [{ TokenVerifier, tokensPath, dataDir }, { requestAccess }, { planFrom }] = await Promise.all([import('../admin/tokens.js'), import('../media/recordingAccess.js'), import('./planOrThrow.js')]);
  const who = await new TokenVerifier(tokensPath()).verify(token);
  if (!who) throw new Error('CALLGUARD_TOKEN is not a valid token');
  const outcome = await requestAccess(await planFrom(dialplan), dataDir(), { ...request, who });
  if (!outcome.ok) throw new Error(`refused (${outcome.status}): ${outcome.why}; logged`);
  return outcome;
}
