import type { Command } from 'commander';
import { UsageError } from './usage.js';

const FILE_OPTION = ['--file <path>', 'token file (default: $CALLGUARD_TOKENS, else $CALLGUARD_DATA_DIR/tokens.json, else ./data/tokens.json)'] as const;

export function registerToken(program: Command): void {
  const token = program.command('token').description('API tokens for the admin API and the Security Control console');

  token
    .command('add')
    .description('create a token and print it once (only its scrypt hash is kept)')
    .argument('<name>', 'who holds it: shown in the audit log and on acknowledgements')
    .requiredOption('--role <role>', 'admin (everything), security (console, acknowledge), auditor (read-only, reports) or recordings (fetch recordings of --areas)')
    .option('--areas <ids>', 'recordings role: the service areas (recording notice ids, comma-separated) whose recordings it may fetch')
    .option(...FILE_OPTION)
    .action(async (name: string, options: { role: string; areas?: string; file?: string }) => {
      const { addToken, ROLES, tokensPath } = await import('../admin/tokens.js');
      const { PIN_HASH_COST } = await import('../state/pinHash.js');
      if (!(ROLES as readonly string[]).includes(options.role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const path = options.file ?? tokensPath();
      const areas = options.areas?.split(',').map((a) => a.trim()).filter(Boolean);
      const secret = await addToken(path, name, options.role as (typeof ROLES)[number], PIN_HASH_COST, areas);
      process.stdout.write(`${secret}\n`);
      process.stderr.write(`token ${name} (${options.role}) added to ${path}; it is shown only this once\n`);
    });

  token
    .command('list')
    .description('list token names and roles (never the tokens)')
    .option(...FILE_OPTION)
    .action(async (options: { file?: string }) => {
      const { readTokenFile, tokensPath } = await import('../admin/tokens.js');
      for (const t of readTokenFile(options.file ?? tokensPath())) process.stdout.write(`${t.name}\t${t.role}${t.areas ? ` (${t.areas.join(', ')})` : ''}\t${t.created}\n`);
    });

  token
    .command('remove')
    .description('revoke a token')
    .argument('<name>', 'token name')
    .option(...FILE_OPTION)
    .action(async (name: string, options: { file?: string }) => {
      const { removeToken, tokensPath } = await import('../admin/tokens.js');
      if (!removeToken(options.file ?? tokensPath(), name)) throw new Error(`no token named ${name}`);
      process.stdout.write(`token ${name} removed\n`);
    });
}
