import type { Command } from 'commander';
import type { UnlockResult } from '../state/index.js';
import type { PhoneListOptions } from './phoneList.js';
import { onState, readSecretLine, stateCommand, type StateContext, type StateOptions } from './sharedState.js';
import { zonedTime } from '../zonedTime.js';

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
      return `PIN entry for ${ext} is locked out until ${zonedTime(result.until, zone)}; a Security alert has been raised`;
    case 'no-pin':
      return `${ext} has no PIN yet: an admin sets one with "callguard pin set ${ext}"`;
  }
}

export function registerPhone(program: Command): void {
  const phone = program.command('phone').description('PIN-locked desk phones of users allowed to call abroad');

  stateCommand(phone, 'list', "every extension with its lock state and when it last changed (without Redis: as the plan sets them)")
    .option('--json', 'print one JSON object a line')
    .action(async (options: PhoneListOptions) => {
      const { runPhoneList } = await import('./phoneList.js');
      await runPhoneList(options);
    });

  stateCommand(phone, 'status', 'show whether a phone is locked, and its PIN attempts')
    .argument('<ext>', 'extension')
    .option('--json', 'print one JSON object')
    .action(
      onState(async ({ state, plan, options }: StateContext<PhoneOptions>, ext: string) => {
        const s = state.status(ext, Date.now());
        const zone = plan.site.timezone;
        if (options.json) return void process.stdout.write(`${JSON.stringify(s)}\n`);
        const parts = [
          s.lock === 'unlocked' ? `unlocked until ${zonedTime(s.relocksAt!, zone)}` : s.lock,
          s.hasPin ? 'PIN set' : 'no PIN set',
          `${s.failures} failed attempt${s.failures === 1 ? '' : 's'}`,
          ...(s.lockoutUntil ? [`PIN entry locked out until ${zonedTime(s.lockoutUntil, zone)}`] : []),
        ];
        process.stdout.write(`${ext} (${plan.extensions.get(ext)!.name}): ${parts.join('; ')}\n`);
      }),
    );

  stateCommand(phone, 'lock', 'lock a phone now')
    .argument('<ext>', 'extension')
    .action(
      onState(async ({ state }, ext: string) => {
        await state.lock(ext);
        process.stdout.write(`${ext} locked\n`);
      }),
    );

  stateCommand(phone, 'unlock', 'unlock a phone with its PIN, read from stdin (never an argument)')
    .argument('<ext>', 'extension')
    .action(
      onState(async ({ state, plan }, ext: string) => {
        const pin = await readSecretLine('PIN: ');
        // An empty line is a slip, not a guess: it does not use up an attempt.
        if (pin === '') throw new Error('no PIN given on stdin');
        const result = await state.unlock(ext, pin, Date.now());
        process.stdout.write(`${unlockMessage(ext, result, plan.site.timezone)}\n`);
        if (result.outcome !== 'unlocked') process.exitCode = 1;
      }),
    );
}
