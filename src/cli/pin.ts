import type { Command } from 'commander';
import { onState, readSecretLine, stateCommand } from './sharedState.js';

export function registerPin(program: Command): void {
  const pin = program.command('pin').description('desk-phone PINs');
  stateCommand(pin, 'set', "set (reset) a phone's PIN, read from stdin; the phone locks and its failure count restarts")
    .argument('<ext>', 'extension')
    .action(
      onState(async ({ state }, ext: string) => {
        await state.setPin(ext, await readSecretLine('new PIN: '));
        process.stdout.write(`PIN set for ${ext}; the phone is locked\n`);
      }),
    );
}
