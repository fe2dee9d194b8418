import type { Command } from 'commander';
import type { UnlockResult } from '../state/index.js';
import { DIALPLAN_OPTION, REDIS_OPTION } from './options.js';
import { localTime, readSecretLine, withSharedState, type StateOptions } from './sharedState.js';

interface PhoneOptions extends StateOptions {
  json?: boolean;
}

function unlockMessage(ext: string, result: UnlockResult, zone: string): string {
  switch (result.outcome) {
    case 'unlocked':
      return `${ext} unlocked`;
    case 'wrong-pin':
      return `wrong PIN for ${ext}: ${result.attemptsLeft} attempt${result.attemptsLeft === 1 ? '' : 's'} left before PIN entry locks`;
    case 'locked-out':
      return `PIN entry for ${ext} is locked out until ${localTime(result.until, zone)}; Security Control has been told`;
    case 'no-pin':
      return `${ext} has no PIN yet: an admin sets one with "callguard pin set ${ext}"`;
  }
}

export function registerPhone(program: Command): void {
  const phone = program.command('phone').description('PIN-locked desk phones of users allowed to call abroad');

  phone
    .command('status')
    .argument('<ext>', 'extension')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .option('--json', 'print one JSON object')
    .description('show whether a phone is locked, and its PIN attempts')
    .action((ext: string, options: PhoneOptions) =>
      withSharedState(options, async (state, plan) => {
        const s = state.status(ext, Date.now());
        const zone = plan.site.timezone;
        if (options.json) return void process.stdout.write(`${JSON.stringify(s)}\n`);
        const parts = [
          s.lock === 'unlocked' ? `unlocked until ${localTime(s.relocksAt!, zone)}` : s.lock,
          s.hasPin ? 'PIN set' : 'no PIN set',
          `${s.failures} failed attempt${s.failures === 1 ? '' : 's'}`,
          ...(s.lockoutUntil ? [`PIN entry locked out until ${localTime(s.lockoutUntil, zone)}`] : []),
        ];
        process.stdout.write(`${ext} (${plan.extensions.get(ext)!.name}): ${parts.join('; ')}\n`);
      }),
    );

  phone
    .command('lock')
    .argument('<ext>', 'extension')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .description('lock a phone now')
    .action((ext: string, options: StateOptions) =>
      withSharedState(options, async (state) => {
        await state.lock(ext);
        process.stdout.write(`${ext} locked\n`);
      }),
    );

  phone
    .command('unlock')
    .argument('<ext>', 'extension')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .description('unlock a phone with its PIN, read from stdin (never an argument)')
    .action((ext: string, options: StateOptions) =>
      withSharedState(options, async (state, plan) => {
        const result = await state.unlock(ext, await readSecretLine('PIN: '), Date.now());
        process.stdout.write(`${unlockMessage(ext, result, plan.site.timezone)}\n`);
        if (result.outcome !== 'unlocked') process.exitCode = 1;
      }),
    );
}
