import type { Command } from 'commander';

export function registerValidate(program: Command): void {
  program
    .command('validate')
    .description('check the dialplan files; exit 1 with one line per problem')
    .argument('[dir]', 'dialplan directory (default: $CALLGUARD_DIALPLAN or ./dialplan)')
    .action(async (dir: string | undefined) => {
      const [{ dialplanDir, loadPlan }, { formatProblem }, { count }] = await Promise.all([import('../dialplan/load.js'), import('../dialplan/problem.js'), import('../plural.js')]);
      const planDir = dialplanDir(dir);
      const result = await loadPlan(planDir);
      if (!result.ok) {
        process.stdout.write(result.problems.map((p) => `${formatProblem(p)}\n`).join(''));
        process.exitCode = 1;
        return;
      }
      const { plan } = result;
      process.stdout.write(
        `${planDir}: valid — site ${plan.site.name} (${plan.site.country}), ${count(plan.extensions.size, 'extension')}, ` +
          `${count(plan.classes.size, 'class of service', 'classes of service')}, ${count([...plan.grants.values()].flat().length, 'grant')}, ${count(plan.lists.size, 'list entry', 'list entries')}\n`,
      );
    });
}
