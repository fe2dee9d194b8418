import type { Command } from 'commander';
import { relative } from 'node:path';
import { DIALPLAN_OPTION } from './options.js';

export function registerNotices(program: Command): void {
  const notices = program.command('notices').description('recording notices and prompts: the audio callers hear');
  notices
    .command('render')
    .description('render every notice and prompt without its own audio file to <dialplan>/audio/<notices|prompts>/<id>.wav (espeak-ng, sox: 8 kHz mono); files whose text has not changed are kept')
    .option(...DIALPLAN_OPTION)
    .option('--force', 'render again even the files that are up to date')
    .action(async (options: { dialplan?: string; force?: boolean }) => {
      const [{ renderSpoken }, { dialplanDir }] = await Promise.all([import('../media/render.js'), import('../dialplan/load.js')]);
      const dir = dialplanDir(options.dialplan);
      let rendered = 0;
      let kept = 0;
      await renderSpoken(dir, {
        force: options.force,
        onItem: (o) => {
          if (o.status === 'up-to-date') return void kept++;
          rendered++;
          process.stdout.write(`rendered ${o.kind}/${o.id} (${o.seconds.toFixed(1)} s) -> ${relative(process.cwd(), o.path) || o.path}\n`);
        },
      });
      process.stdout.write(`${dir}: ${rendered} rendered, ${kept} up to date\n`);
    });
}
