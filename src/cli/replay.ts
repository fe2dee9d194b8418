import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from './usage.js';

interface ReplayCliOptions {
  records?: string[];
  month?: string;
  dialplan: string;
  dataDir?: string;
  at?: string;
  json?: boolean;
  summaryOnly?: boolean;
}

export function dataDirOption(option: string | undefined): string {
  return option ?? (process.env.CALLGUARD_DATA_DIR || 'data');
}

/**
 * What `report` and `replay` both say when there were no calls to read, in the same words: it is no
 * error (a quiet month, a new site), and their figures are zero.
 */
export function noCallsLine(month: string | undefined, dataDir: string | undefined): string {
  const where = dataDir === undefined ? 'the call record files given' : `the call records under ${join(dataDir, 'calls')}`;
  return `no calls${month === undefined ? '' : ` made in ${month}`} in ${where}\n`;
}

export function checkMonth(month: string): string {
  if (!/^\d{4}(-(0[1-9]|1[0-2]))?$/.test(month)) throw new UsageError(`--month "${month}" is not a month (yyyy-mm, or yyyy for a whole year)`);
  return month;
}

export function registerReplay(program: Command): void {
  program
    .command('replay')
    .description('what-if: decide every recorded call again with another dialplan and list the calls whose decision changes')
    .requiredOption('--dialplan <dir>', 'the new dialplan directory to prove')
    .option('--records <files...>', 'call record files (JSON lines)')
    .option('--month <yyyy-mm>', 'the records of the calls made in this month')
    .option('--data-dir <dir>', 'where the call records are (default: $CALLGUARD_DATA_DIR or ./data)')
    .option('--at <iso8601>', 'decide every call as of this time instead of its own')
    .option('--json', 'one JSON object per changed call, then the summary')
    .option('--summary-only', 'only the summary per reason')
    .action(async (options: ReplayCliOptions) => {
      const [{ planFrom }, { parallelReplay }, { monthFiles }, { readingProgress }, { count }] = await Promise.all([
        import('./planOrThrow.js'),
        import('../oversight/parallelScan.js'),
        import('../oversight/recordScan.js'),
        import('./progress.js'),
        import('../plural.js'),
      ]);
      if (!options.records && !options.month) throw new UsageError('give --records FILES or --month yyyy-mm');
      const month = options.month === undefined ? undefined : checkMonth(options.month);
      const at = options.at === undefined ? undefined : Date.parse(options.at);
      if (at !== undefined && Number.isNaN(at)) throw new UsageError(`--at "${options.at}" is not an ISO-8601 date or time`);
      const plan = await planFrom(options.dialplan);
      const files = options.records ?? monthFiles(dataDirOption(options.dataDir), month!);
      let out = '';
      const emit = (text: string) => {
        out += text;
        if (out.length > 1 << 16) {
          process.stdout.write(out);
          out = '';
        }
      };
      // Large sets of day files are replayed on every core; the changed calls still come out in file order.
      const reading = readingProgress(files);
      const summary = await parallelReplay(plan, options.dialplan, files, { at, month }, options.summaryOnly ? undefined : { json: options.json === true, out: process.stdout }, reading?.progress);
      reading?.done();
      if (summary.replayed === 0) process.stderr.write(noCallsLine(month, options.records ? undefined : dataDirOption(options.dataDir)));
      const { limits } = summary;
      if (options.json) {
        emit(`${JSON.stringify({ summary: { replayed: summary.replayed, changed: summary.changed, skippedLines: summary.scan.skipped, byChange: Object.fromEntries(summary.byChange), byNewReason: Object.fromEntries(summary.byNewReason), limits } })}\n`);
      } else {
        if (!options.summaryOnly && summary.changed > 0) emit('\n');
        emit(`${count(summary.replayed, 'call')} replayed, ${summary.changed.toLocaleString('en-GB')} would be decided differently` +
          `${summary.scan.skipped ? ` (${count(summary.scan.skipped, 'torn line')} skipped)` : ''}\n`);
        for (const [change, n] of summary.byChange) emit(`  ${String(n).padStart(9)}  ${change}\n`);
        if (summary.byNewReason.length > 0) emit('by new reason:\n');
        for (const [reason, n] of summary.byNewReason) emit(`  ${String(n).padStart(9)}  ${reason}\n`);
        if (limits.withUsage > 0) {
          emit(`toll-fraud limits: ${count(limits.withUsage, 'call')} abroad decided against the usage recorded when made; ` +
            `refused by a limit: ${limits.refusedBefore.toLocaleString('en-GB')} as recorded, ${limits.refusedNow.toLocaleString('en-GB')} as replayed\n`);
        }
        if (limits.withoutUsage > 0) emit(`toll-fraud limits: ${count(limits.withoutUsage, 'call')} abroad recorded without the usage they met (older records), decided without limits\n`);
      }
      process.stdout.write(out);
    });
}
