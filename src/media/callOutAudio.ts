import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { CallOutMessage } from '../audit/callOut.js';
import type { SecurityAlert } from '../audit/securityAlert.js';
import { renderText } from './render.js';

/** Played instead of the message when it could not be rendered: an alarm, with EMERGENCY in the caller ID. */
export const CALL_OUT_ALARM = 'tone_stream://%(400,200,880);%(400,200,660);loops=6';

const CONFIRMATION = 'Acknowledged. Security Control can see that you are responding. Thank you.';

/** Digits read one at a time ("4 1 0 0", "9 9 9"), a leading + as "plus". */
function spokenDigits(digits: string): string {
  return digits.replace(/^\+/, 'plus ').replace(/(\d)(?=\d)/g, '$1 ');
}

/** What a responder hears: what was dialled, from which phone, whose, where, and what to press. */
export function callOutText(alert: SecurityAlert): string {
  const phone = alert.ext ? `extension ${spokenDigits(alert.ext)}${alert.name ? `, ${alert.name}` : ''}` : 'an unknown phone';
  return `Emergency call. ${spokenDigits(alert.dialled)} was dialled from ${phone}. Location: ${alert.location || 'unknown'}. Press 1 to acknowledge.`;
}

/**
 * The call-out's audio, rendered with the project's speech renderer (espeak-ng and sox, as notices are)
 * into a directory FreeSWITCH reads by the same path: one message per emergency, removed when its calls
 * are done, and the confirmation a responder hears after pressing 1, rendered once.
 */
export class CallOutAudio {
  private confirmationFile: Promise<string | undefined> | undefined;

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Messages left by a process that ended mid call-out are removed (the directory itself may be a mount point: it stays). */
  static async open(dir: string, logger: Logger): Promise<CallOutAudio> {
    await mkdir(dir, { recursive: true });
    await Promise.all((await readdir(dir)).map((name) => rm(join(dir, name), { recursive: true, force: true })));
    return new CallOutAudio(dir, logger);
  }

  /** Never rejects: a message that cannot be rendered is logged and replaced by the alarm tone. */
  async message(alert: SecurityAlert): Promise<CallOutMessage> {
    const file = join(this.dir, `${randomUUID()}.wav`);
    const started = performance.now();
    try {
      await renderText(callOutText(alert), file);
    } catch (error) {
      this.logger.error({ callId: alert.callId, err: (error as Error).message }, 'call-out message could not be rendered: responders hear an alarm tone instead');
      return { file: CALL_OUT_ALARM, release: async () => {} };
    }
    this.logger.info({ callId: alert.callId, ms: Math.round(performance.now() - started) }, 'call-out message rendered');
    return { file, release: () => rm(file, { force: true }) };
  }

  /** The confirmation's WAV, rendered at first use; undefined when it cannot be (that call then just ends). */
  confirmation(): Promise<string | undefined> {
    this.confirmationFile ??= (async () => {
      const file = join(this.dir, 'acknowledged.wav');
      try {
        await renderText(CONFIRMATION, file);
        return file;
      } catch (error) {
        this.logger.error({ err: (error as Error).message }, 'call-out confirmation could not be rendered');
        this.confirmationFile = undefined; // tried again at the next acknowledgement
        return undefined;
      }
    })();
    return this.confirmationFile;
  }
}
