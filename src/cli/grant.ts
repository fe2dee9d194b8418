import type { Command } from 'commander';
import { parseAdminDate } from '../dialplan/dates.js';
import type { Grant } from '../policy/grant.js';
import { DIALPLAN_OPTION, REDIS_OPTION } from './options.js';
import { localTime, withSharedState, type StateOptions } from './sharedState.js';

interface AddOptions extends StateOptions {
  countries?: string;
  prefixes?: string;
  worldwide?: boolean;
  from?: string;
  until?: string;
  reason: string;
  approver: string;
}

function date(text: string | undefined, end: 'from' | 'until'): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseAdminDate(text, end);
  if (ms === undefined) throw new Error(`--${end} "${text}" is not a date such as 2026-03-01 or 2026-03-01T09:00Z`);
  return ms;
}

const list = (text: string | undefined) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : []);

function describeGrant(g: Grant, zone: string): string {
  const scope = [g.worldwide ? 'worldwide' : '', ...g.countries, ...g.prefixes.map((p) => `+${p}`)].filter(Boolean).join(',');
  const when = [g.from && `from ${localTime(g.from, zone)}`, g.until && `until ${localTime(g.until, zone)}`].filter(Boolean).join(' ');
  return [g.id, g.user, scope, when || 'open-ended', g.where, `${g.reason} (approved by ${g.approver})`].join('\t');
}

export function registerGrant(program: Command): void {
  const grant = program.command('grant').description('international calling grants issued at run time');

  grant
    .command('add')
    .argument('<user>', 'user id from the dialplan')
    .option('--countries <list>', 'ISO country codes, e.g. FR,DE (naming a high-risk country grants it)')
    .option('--prefixes <list>', 'E.164 prefixes for global services, e.g. +881')
    .option('--worldwide', 'every country except high-risk destinations')
    .option('--from <date>', 'start (date or time; a date means its midnight UTC)')
    .option('--until <date>', 'end (a date includes that whole day)')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--approver <name>', 'who approved it')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .description('grant a user international calling')
    .action((user: string, options: AddOptions) =>
      withSharedState(options, async (state, plan) => {
        const added = await state.addGrant({
          user,
          worldwide: options.worldwide ?? false,
          countries: list(options.countries).map((c) => c.toUpperCase()),
          prefixes: list(options.prefixes),
          from: date(options.from, 'from'),
          until: date(options.until, 'until'),
          reason: options.reason,
          approver: options.approver,
        });
        process.stdout.write(`${describeGrant(added, plan.site.timezone)}\n`);
      }),
    );

  grant
    .command('list')
    .argument('[user]', 'only this user')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .description('list grants: run-time ones and those in the dialplan files')
    .action((user: string | undefined, options: StateOptions) =>
      withSharedState(options, async (state, plan) => {
        const fromPlan = [...plan.grants.values()].flat().filter((g) => user === undefined || g.user === user);
        for (const g of [...state.grants(user), ...fromPlan]) process.stdout.write(`${describeGrant(g, plan.site.timezone)}\n`);
      }),
    );

  grant
    .command('revoke')
    .argument('<id>', 'grant id, as listed')
    .option(...REDIS_OPTION)
    .option(...DIALPLAN_OPTION)
    .description('revoke a run-time grant')
    .action((id: string, options: StateOptions) =>
      withSharedState(options, async (state) => {
        await state.revokeGrant(id);
        process.stdout.write(`grant ${id} revoked\n`);
      }),
    );
}
