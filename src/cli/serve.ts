import type { Command } from 'commander';
import { dialplanDir } from '../dialplan/load.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('Run the SIP application server: decide every INVITE drachtio-server hands over and carry the decision out (settings from the environment; see README)')
    .option('--dialplan <dir>', 'dialplan directory (default $CALLGUARD_DIALPLAN, else ./dialplan)')
    .action(async (options: { dialplan?: string }) => {
      const { readSettings } = await import('../server/settings.js');
      const read = readSettings(process.env);
      if (!read.ok) {
        for (const problem of read.problems) process.stderr.write(`callguard serve: ${problem}\n`);
        process.exit(2);
      }
      const { pino } = await import('pino');
      const { startServer } = await import('../server/serve.js');
      const logger = pino({ name: 'callguard', level: read.settings.logLevel, redact: { paths: ['pin', '*.pin', 'newPin', '*.newPin', 'secret', '*.secret'], remove: true } });
      const server = await startServer(read.settings, dialplanDir(options.dialplan), logger);
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        server.drain().then(
          () => process.exit(0),
          (error: Error) => {
            logger.error({ err: error.message }, 'drain failed');
            process.exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
