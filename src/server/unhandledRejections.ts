import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';

/**
 * A promise rejected with no handler (a library's async callback, a path that forgot its catch) ends a
 * Node process by default, and with `serve` every call it carries, 999s included. One call's missed
 * rejection is logged at error, with its stack, and counted; the other calls go on.
 */
export function keepServingThrough(process: EventEmitter, logger: Pick<Logger, 'error'>, count: () => void): void {
  process.on('unhandledRejection', (reason: unknown) => {
    count();
    logger.error({ err: reason instanceof Error ? reason.message : String(reason), stack: reason instanceof Error ? reason.stack : undefined }, 'a rejection nothing handled: logged and counted, the other calls go on');
  });
}
