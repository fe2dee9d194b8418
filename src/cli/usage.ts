import type { Command, CommanderError } from 'commander';

/** A mistake in the command line found by a command itself (a bad --format, a date that is none): exit 2 with the help hint. */
export class UsageError extends Error {}

/** The way to the help of `command`: `callguard help check`, `callguard phone help status`, `callguard help`. */
export function helpHint(command: Command): string {
  const path: string[] = [];
  for (let c: Command | null = command; c; c = c.parent) path.unshift(c.name());
  const name = path.pop()!;
  return path.length === 0 ? `try ${name} help` : `try ${path.join(' ')} help ${name}`;
}

/** Commander's "error: unknown option '--foo'\n(Did you mean --for?)" as one line: "unknown option --foo (did you mean --for?)". */
function oneLine(message: string): string {
  return message
    .replace(/^error: /, '')
    .replace(/'([^'\s][^']*)'/g, '$1')
    .trim()
    .split('\n')
    .map((part) => part.replace(/^\((.)(.*)\)$/, (_all, first: string, rest: string) => `(${first.toLowerCase()}${rest})`))
    .join(' ');
}

/**
 * Every command, subcommands included, says what is wrong with its arguments in one line on stderr
 * with where to read more, and exits 2: a screenful of help after an error hides the error.
 * Asked-for help and --version still exit 0.
 */
export function reportUsageErrors(command: Command, program = command): void {
  command
    .configureOutput({ outputError: (message, write) => write(`${program.name()}: ${oneLine(message)} (${helpHint(command)})\n`) })
    .exitOverride((error: CommanderError) => {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(0);
      process.exit(error.code === 'commander.help' ? error.exitCode : 2);
    });
  for (const sub of command.commands) reportUsageErrors(sub, program);
}
