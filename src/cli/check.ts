import type { Command } from 'commander';
import { DIALPLAN_OPTION, REDIS_OPTION } from './options.js';
import type { StateOptions } from './sharedState.js';

export interface CheckOptions extends StateOptions {
  from: string;
  to: string;
  locked?: boolean;
  unlocked?: boolean;
  at?: string;
  json?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check')
    .description('show the decision for one call and why')
    .requiredOption('--from <ext>', 'calling extension (or outside number for inbound calls)')
    .requiredOption('--to <dialled>', 'dialled string or extension')
    .option(...DIALPLAN_OPTION)
    .option(...REDIS_OPTION)
    .option('--locked', 'assume the caller\'s phone is PIN-locked (the default without --redis)')
    .option('--unlocked', 'assume the caller\'s phone is unlocked')
    .option('--at <iso8601>', 'decide as of this time (grants and list entries have dates)')
    .option('--json', 'print one JSON object')
    .action(async (options: CheckOptions) => {
      // The policy core and the dialplan loader (YAML, schema, numbering metadata) load only when the command runs.
      const { runCheck } = await import('./checkRun.js');
      await runCheck(options);
    });
}
