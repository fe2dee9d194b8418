import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../src/packageRoot.js';
import { freePort, LabProcess, waitFor, WaitAbort, type Drachtio } from '../test/support/lab.js';

export interface BuiltCallguardOptions {
  drachtio: Pick<Drachtio, 'controlPort' | 'secret'>;
  dialplanDir: string;
  /** Working directory: the log file (callguard.log) and the call records (data/) go here. */
  root: string;
  /** Node options before the script (profilers, --expose-gc, --import). */
  nodeArgs?: string[];
  /** More environment (REDIS_URL, FREESWITCH_*, LOG_LEVEL, ...). */
  env?: Record<string, string>;
  /** Also wait for drachtio-fsmrf's connection (FREESWITCH_* given): /health is 200 before it. */
  waitForFreeswitch?: boolean;
}

export interface BuiltCallguard {
  process: LabProcess;
  httpPort: number;
  logFile: string;
  /** GET /health as JSON. */
  health(): Promise<Record<string, unknown>>;
}

/**
 * `callguard serve` as users run it (dist/src/cli/main.js, what `npm start` runs) in its own process for
 * the benches: pino into a file rather than through the bench, ready when /health answers 200.
 */
export async function startBuiltCallguard(options: BuiltCallguardOptions): Promise<BuiltCallguard> {
  const httpPort = await freePort();
  const logFile = join(options.root, 'callguard.log');
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), join(packageRoot(), 'dist/src/cli/main.js'), 'serve', '--dialplan', options.dialplanDir], {
    cwd: options.root,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? options.root,
      DRACHTIO_HOST: '127.0.0.1',
      DRACHTIO_PORT: String(options.drachtio.controlPort),
      DRACHTIO_SECRET: options.drachtio.secret,
      CALLGUARD_HTTP_PORT: String(httpPort),
      LOG_LEVEL: 'info',
      CALLGUARD_DRAIN_SECONDS: '5',
      ...options.env,
    },
    stdio: ['ignore', out, 'pipe'],
  });
  closeSync(out);
  const app = new LabProcess('callguard', child);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  const died = () => new WaitAbort(`callguard exited ${JSON.stringify(app.status)}\n${app.tail()}\n${log().slice(-2000)}`);
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(5_000) });
    return (await res.json()) as Record<string, unknown>;
  };
  try {
    await waitFor('callguard /health 200', async () => {
      if (!app.alive) throw died();
      const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return res.status === 200;
    }, 60_000, 200);
    if (options.waitForFreeswitch) {
      await waitFor('callguard connected to FreeSWITCH', () => {
        if (!app.alive) throw died();
        return log().includes('"msg":"connected to FreeSWITCH"');
      }, 60_000, 200);
    }
  } catch (error) {
    await app.stop(5_000);
    throw error;
  }
  return { process: app, httpPort, logFile, health };
}
