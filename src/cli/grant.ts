import type { Command } from 'commander';
import { parseAdminDate } from '../dialplan/dates.js';
import type { Grant } from '../policy/grant.js';
import type { Plan } from '../policy/plan.js';
import { planFrom } from './planOrThrow.js';
import { onState, redisTarget, stateCommand, withSharedState, type StateContext, type StateOptions } from './sharedState.js';
import { UsageError } from './usage.js';
import { zonedTime } from '../zonedTime.js';

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
  if (ms === undefined) throw new UsageError(`--${end} "${text}" is not a date such as 2026-03-01 or 2026-03-01T09:00Z`);
  return ms;
}

const list = (text: string | undefined) => (text ? text.split(',').map((s) => s.trim()).filter(Boolean) : []);

/** A grant's dates mean midnight UTC (parseAdminDate): shown in UTC, they read as the admin wrote them. */
function describeGrant(g: Grant): string {
  const zone = 'UTC';
  const scope = [g.worldwide ? 'worldwide' : '', ...g.countries, ...g.prefixes.map((p) => `+${p}`)].filter(Boolean).join(',');
  const when = [g.from && `from ${zonedTime(g.from, zone)}`, g.until && `until ${zonedTime(g.until, zone)}`].filter(Boolean).join(' ');
  return [g.id, g.user, scope, when || 'open-ended', g.where, `${g.reason} (approved by ${g.approver})`].join('\t');
}

export function registerGrant(program: Command): void {
  const grant = program.command('grant').description('international calling grants issued at run time');

  stateCommand(grant, 'add', 'grant a user international calling')
    .argument('<user>', 'user id from the dialplan')
    .option('--countries <list>', 'ISO country codes, e.g. FR,DE (naming a high-risk country grants it)')
    .option('--prefixes <list>', 'E.164 prefixes for global services, e.g. +881')
    .option('--worldwide', 'every country except high-risk destinations')
    .option('--from <date>', 'start (date or time; a date means its midnight UTC)')
    .option('--until <date>', 'end (a date includes that whole day)')
    .requiredOption('--reason <text>', 'why')
    .requiredOption('--approver <name>', 'who approved it')
    .action(
      onState(async ({ state, options }: StateContext<AddOptions>, user: string) => {
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
        process.stdout.write(`${describeGrant(added)}\n`);
      }),
    );

  stateCommand(grant, 'list', "list grants: run-time ones (from Redis), then the dialplan's")
    .argument('[user]', 'only this user')
    .action(async (user: string | undefined, options: StateOptions) => {
      const ofUser = (g: Grant) => user === undefined || g.user === user;
      const show = (plan: Plan, runTime: Grant[]) => {
        const fromPlan = [...plan.grants.values()].flat().filter(ofUser);
        process.stdout.write([...runTime, ...fromPlan].map((g) => `${describeGrant(g)}\n`).join(''));
      };
      if (redisTarget(options)) return withSharedState(options, async (state, plan) => show(plan, state.grants(user)));
      show(await planFrom(options.dialplan), []);
      process.stderr.write("no Redis (--redis URL or REDIS_URL): only the dialplan's grants; run-time grants (grant add) live in Redis\n");
    });

  stateCommand(grant, 'revoke', 'revoke a run-time grant')
    .argument('<id>', 'grant id, as listed')
    .action(
      onState(async ({ state }, id: string) => {
        await state.revokeGrant(id);
        process.stdout.write(`grant ${id} revoked\n`);
      }),
    );
}
