import type { Command } from 'commander';
import { checkMonth, dataDirOption, noCallsLine } from './replay.js';
import { UsageError } from './usage.js';

interface ReportCliOptions {
  month: string;
  department?: string;
  format: string;
  out?: string;
  records?: string[];
  dataDir?: string;
  dialplan?: string;
}

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the monthly usage and exception report from the call records (per department and user)')
    .requiredOption('--month <yyyy-mm>', 'the month of the calls')
    .option('--department <name>', 'only this department')
    .option('--format <html|csv|json>', 'html (one printable page), csv (one file per table, in the --out directory) or json', 'html')
    .option('--out <path>', 'file to write (a directory for csv); default: standard output (html, json), ./report-<month>-csv (csv)')
    .option('--records <files...>', 'call record files (default: the month\'s in the data directory)')
    .option('--data-dir <dir>', 'where the call records are (default: $CALLGUARD_DATA_DIR or ./data)')
    .option('--dialplan <dir>', 'dialplan directory (default: $CALLGUARD_DIALPLAN or ./dialplan)')
    .action(async (options: ReportCliOptions) => {
      const month = checkMonth(options.month);
      if (!['html', 'csv', 'json'].includes(options.format)) throw new UsageError(`--format "${options.format}" is not html, csv or json`);
      const [{ planFrom }, { parallelReport }, { reportCsv, reportHtml }, { monthFiles }, { dialplanDir }, { readingProgress }, { count }, fs, path] = await Promise.all([
        import('./planOrThrow.js'),
        import('../oversight/parallelScan.js'),
        import('../oversight/reportFormats.js'),
        import('../oversight/recordScan.js'),
        import('../dialplan/load.js'),
        import('./progress.js'),
        import('../plural.js'),
        import('node:fs'),
        import('node:path'),
      ]);
      const files = options.records ?? monthFiles(dataDirOption(options.dataDir), month);
      // A year of day files is scanned on every core (the threads start while the plan loads here); the figures are the same as one thread's.
      const reading = readingProgress(files);
      const report = await parallelReport(planFrom(options.dialplan), dialplanDir(options.dialplan), files, { month, department: options.department }, reading?.progress);
      reading?.done();
      if (report.totals.calls + report.totals.inbound === 0) process.stderr.write(noCallsLine(month, options.records ? undefined : dataDirOption(options.dataDir)));
      if (options.department !== undefined && report.departments.length === 0) throw new Error(`no department "${options.department}" in the plan or the records`);
      if (options.format === 'csv') {
        const dir = options.out ?? `report-${month}-csv`;
        fs.mkdirSync(dir, { recursive: true });
        const tables = reportCsv(report);
        for (const [name, text] of tables) fs.writeFileSync(path.join(dir, name), text);
        process.stderr.write(`wrote the report tables as ${count(tables.size, 'CSV file')} to ${dir}\n`);
        return;
      }
      const text = options.format === 'json' ? `${JSON.stringify(report, null, 1)}\n` : reportHtml(report);
      if (options.out) fs.writeFileSync(options.out, text);
      else process.stdout.write(text);
    });
}
