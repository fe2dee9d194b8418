import type { Command } from 'commander';
import type { RunningServer } from '../server/serve.js';

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
      // drachtio-srf reads process.env.DRACHTIO_PRESERVE_HEADER_NAMES for every header it parses or sets,
      // and Node's process.env reads the C environment each time (about 135 ns): 40 % of parsing an INVITE
      // and reading six of its headers.
      // A plain copy holds the same variables (children and workers get them); serve never changes them.
      process.env = { ...process.env };
      const [{ pino }, { NEVER_LOGGED_OPTIONS }, { logDestination }] = await Promise.all([import('pino'), import('../audit/neverLogged.js'), import('../audit/logDestination.js')]);
      const [{ startServer }, { dialplanDir }, { keepServingThrough }] = await Promise.all([import('../server/serve.js'), import('../dialplan/load.js'), import('../server/unhandledRejections.js')]);
      // Buffered, asynchronous writes: a synchronous write(2) per decision line was the largest cost of a
      // barred call (bench:sip profile). Flushed every 250 ms and before exit.
      const destination = logDestination();
      setInterval(() => destination.flush(), 250).unref();
      const exit = (code: number): never => {
        try {
          destination.flushSync();
        } catch {
          // a write was still in flight; sonic-boom finishes it before the process ends
        }
        process.exit(code);
      };
      const logger = pino({ name: 'callguard', level: read.settings.logLevel, ...NEVER_LOGGED_OPTIONS }, destination.stream);
      let server: RunningServer;
      try {
        server = await startServer(read.settings, dialplanDir(options.dialplan), logger);
      } catch (error) {
        logger.fatal({ err: (error as Error).message }, 'callguard cannot start: no calls taken');
        return exit(2);
      }
      keepServingThrough(process, logger, () => server.countUnhandledRejection());
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        logger.info({ signal }, 'stopping');
        server.drain().then(
          () => exit(0),
          (error: Error) => {
            logger.error({ err: error.message }, 'drain failed');
            exit(1);
          },
        );
      };
      process.on('SIGTERM', () => stop('SIGTERM'));
      process.on('SIGINT', () => stop('SIGINT'));
    });
}
