import type { Command } from 'commander';
import { DIALPLAN_OPTION, REDIS_OPTION } from './options.js';
import { readSecretLine, withSharedState, type StateOptions } from './sharedState.js';

export function registerPin(program: Command): void {
  program
    .command('pin')
    .description('desk-phone PINs')
    .command('set')
    .argument('<ext>', 'extension')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .description('set (reset) a phone\'s PIN, read from stdin; the phone locks and its failure count restarts')
    .action((ext: string, options: StateOptions) =>
      withSharedState(options, async (state) => {
        await state.setPin(ext, await readSecretLine('new PIN: '));
        process.stdout.write(`PIN set for ${ext}; the phone is locked\n`);
      }),
    );
}
