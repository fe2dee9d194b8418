import type { Command } from 'commander';
import { DIALPLAN_OPTION } from './options.js';
import { UsageError } from './usage.js';

export type Format = 'tsv' | 'json' | 'summary';

export interface ClassifyOptions {
  country?: string;
  outsidePrefix?: string;
  areaCode?: string;
  format: Format;
  dialplan?: string;
}

export function registerClassify(program: Command): void {
  program
    .command('classify')
    .description('classify dial strings (arguments, or one per line on stdin) into destination classes')
    .argument('[number...]', 'dial strings; read from stdin when none are given')
    .option('--country <code>', 'site country: GB, US or CA (default: the dialplan site)')
    .option('--outside-prefix <digits>', "the site's outside-line prefix, e.g. 9")
    .option('--area-code <digits>', "NANP: the site's home area code, for 7-digit local dialling (e.g. 212)")
    .option('--format <format>', 'tsv, json (one object per line) or summary', 'tsv')
    .option(...DIALPLAN_OPTION)
    .action(async (numbers: string[], options: ClassifyOptions) => {
      if (!['tsv', 'json', 'summary'].includes(options.format)) throw new UsageError(`unknown format "${options.format}" (tsv, json or summary)`);
      if (options.outsidePrefix !== undefined && !/^[0-9]{1,2}$/.test(options.outsidePrefix)) throw new UsageError('--outside-prefix must be one or two digits');
      if (options.areaCode !== undefined && !/^[0-9]{2,5}$/.test(options.areaCode)) throw new UsageError('--area-code must be the digits of an area code, e.g. 212');
      // Loaded only when the command runs, so `callguard --help` and the other commands start quickly.
      const { runClassify } = await import('./classifyRun.js');
      await runClassify(numbers, options);
    });
}
