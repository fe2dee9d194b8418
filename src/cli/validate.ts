import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the dialplan files; exit 1 with one line per problem')
    .argument('[dir]', 'dialplan directory (default: $CALLGUARD_DIALPLAN or ./dialplan)')
    .action(async (dir: string | undefined) => {
      const [{ dialplanDir, loadPlan }, { formatProblem }] = await Promise.all([import('../dialplan/load.js'), import('../dialplan/problem.js')]);
      const planDir = dialplanDir(dir);
      const result = await loadPlan(planDir);
      if (!result.ok) {
        process.stdout.write(result.problems.map((p) => `${formatProblem(p)}\n`).join(''));
        process.exitCode = 1;
        return;
      }
      const { plan } = result;
      process.stdout.write(
        `${planDir}: valid — site ${plan.site.name} (${plan.site.country}), ${plan.extensions.size} extensions, ` +
          `${plan.classes.size} classes of service, ${[...plan.grants.values()].flat().length} grants, ${plan.lists.size} list entries\n`,
      );
    });
}
