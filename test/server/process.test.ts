/**
 * `callguard serve` as a process: the built CLI (dist/, made by `npm ci` or `npm run build`), started
 * the ways the README gives, on free loopback ports, stopped by its PID. How it refuses to start, when
 * it says it is serving, how often it says drachtio-server refused it, and that SIGTERM drains it.
 * The cases that need drachtio-server run the lab's real one and skip with one line without it.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, freePort, labTempDir, LabProcess, quietly, RedisServer, REPO_ROOT, startDrachtio, stopAll, waitFor, type Drachtio } from '../support/lab.js';
import { SAMPLE_DIALPLAN } from '../support/plans.js';

const MAIN = join(REPO_ROOT, 'dist/src/cli/main.js');
const lab = e2eLab();

type Log = Record<string, unknown> & { level: number; msg: string; pid: number };

/** The two ways the README runs serve; both must leave nothing between the signal and node. */
const COMMANDS = {
  node: [process.execPath, MAIN, 'serve', '--dialplan', SAMPLE_DIALPLAN],
  'npm start': ['npm', 'start', '--', '--dialplan', SAMPLE_DIALPLAN],
} as const;
type Command = keyof typeof COMMANDS;

interface Serve {
  proc: LabProcess;
  httpPort: number;
  logs(): Log[];
  waitForLog(what: string, match: (log: Log) => boolean, timeoutMs?: number): Promise<Log>;
}

const started: Serve[] = [];

function parseLog(line: string): Log | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Log;
  } catch {
    return undefined;
  }
}

/** serve with the settings a test gives on top of free ports and a scratch data directory. */
async function startServe(command: Command, env: Record<string, string>): Promise<Serve> {
  const [file, ...args] = COMMANDS[command];
  const httpPort = Number(env.CALLGUARD_HTTP_PORT ?? (await freePort()));
  const child = spawn(file, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? labTempDir('callguard-home-'),
      DRACHTIO_HOST: '127.0.0.1',
      CALLGUARD_HTTP_PORT: String(httpPort),
      CALLGUARD_DATA_DIR: labTempDir('callguard-data-'),
      LOG_LEVEL: 'info',
      ...env,
    },
  });
  const proc = new LabProcess(`serve (${command})`, child);
  const logs = () => proc.stdoutLines.map(parseLog).filter((l) => l !== undefined);
  const serve: Serve = {
    proc,
    httpPort,
    logs,
    async waitForLog(what, match, timeoutMs = 30_000) {
      const line = await proc.waitForLine(what, (l) => {
        const log = parseLog(l);
        return log !== undefined && match(log);
      }, timeoutMs);
      return parseLog(line)!;
    },
  };
  started.push(serve);
  return serve;
}

/**
 * A TCP listener that counts who connects: as drachtio-server's control port, for "never connected";
 * with `forwardTo`, a pass-through to the real one that counts the app's attempts.
 */
async function countingListener(forwardTo?: number): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let count = 0;
  const server: Server = createServer((socket) => {
    count++;
    if (forwardTo === undefined) return socket.destroy();
    const upstream = connect(forwardTo, '127.0.0.1');
    socket.pipe(upstream).pipe(socket);
    for (const [a, b] of [[socket, upstream], [upstream, socket]] as const) a.on('error', () => b.destroy()).on('close', () => b.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    connections: () => count,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(() => {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
});

afterEach(async () => {
  // A failed test may leave node behind npm: stop each serve, then any node it started, by PID.
  for (const serve of started.splice(0)) {
    await quietly(() => serve.proc.stop(15_000));
    for (const pid of new Set(serve.logs().map((l) => l.pid))) if (alive(pid)) process.kill(pid, 'SIGKILL');
  }
});

afterAll(async () => {
  await stopAll();
});

describe('callguard serve as a process (the built CLI)', () => {
  it('an HTTP port already taken: one "cannot start" line, exit code 2, drachtio-server never connected to', async () => {
    const taken = await countingListener();
    const drachtio = await countingListener();
    try {
      const serve = await startServe('node', { CALLGUARD_HTTP_PORT: String(taken.port), DRACHTIO_PORT: String(drachtio.port), DRACHTIO_SECRET: 'never-used' });
      const status = await serve.proc.waitExit(60_000);
      expect(status.code, serve.proc.tail()).toBe(2);
      const errors = serve.logs().filter((l) => l.level >= 50);
      expect(errors, serve.proc.tail()).toHaveLength(1);
      expect(errors[0]).toMatchObject({ msg: 'callguard cannot start: no calls taken' });
      expect(errors[0]!.err).toContain(`127.0.0.1:${taken.port} (CALLGUARD_HTTP_HOST, CALLGUARD_HTTP_PORT)`);
      expect(errors[0]!.err).toContain('EADDRINUSE');
      expect(drachtio.connections()).toBe(0);
      expect(serve.logs().map((l) => l.msg)).not.toContain('callguard serving');
    } finally {
      await taken.close();
      await drachtio.close();
    }
  }, 90_000);

  it('drachtio-server unreachable: /health answers 503, no "callguard serving" line; SIGTERM drains and exits 0', async () => {
    const closedPort = await freePort();
    const serve = await startServe('node', { DRACHTIO_PORT: String(closedPort), DRACHTIO_SECRET: 's' });
    await serve.waitForLog('cannot reach drachtio-server', (l) => l.msg === 'cannot reach drachtio-server: retrying');
    const health = await fetch(`http://127.0.0.1:${serve.httpPort}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ ok: false, drachtio: { connected: false } });
    serve.proc.signal('SIGTERM');
    expect((await serve.proc.waitExit(60_000)).code, serve.proc.tail()).toBe(0);
    const messages = serve.logs().map((l) => l.msg);
    expect(messages).toContain('drained; exiting');
    expect(messages).not.toContain('callguard serving');
    expect(messages.filter((m) => m === 'cannot reach drachtio-server: retrying')).toHaveLength(1);
  }, 90_000);
});

describe.skipIf(!lab)('callguard serve as a process, with a real drachtio-server', () => {
  let drachtio: Drachtio;
  let redis: RedisServer;

  beforeAll(async () => {
    [drachtio, redis] = await Promise.all([startDrachtio(lab!), RedisServer.start()]);
  }, 60_000);

  afterAll(async () => {
    await quietly(() => drachtio?.stop());
    await quietly(() => redis?.stop());
  });

  const connectedTo = (d: Drachtio) => ({ DRACHTIO_PORT: String(d.controlPort), DRACHTIO_SECRET: d.secret });

  it.each([
    { command: 'node' as const, redisUp: true },
    { command: 'npm start' as const, redisUp: false },
  ])('$command, as the README gives it: "callguard serving" once connected, with media and state; SIGTERM to its PID drains and exits 0', async ({ command, redisUp }) => {
    const freeswitchPort = await freePort();
    const redisUrl = redisUp ? redis.url : `redis://127.0.0.1:${await freePort()}`;
    const serve = await startServe(command, { ...connectedTo(drachtio), REDIS_URL: redisUrl, FREESWITCH_HOST: '127.0.0.1', FREESWITCH_PORT: String(freeswitchPort), FREESWITCH_SECRET: 'x' });
    const serving = await serve.waitForLog('the serving line', (l) => l.msg === 'callguard serving', 60_000);
    expect(serving).toMatchObject({
      drachtio: `127.0.0.1:${drachtio.controlPort}`,
      sip: expect.stringContaining(`127.0.0.1:${drachtio.sipPort}`),
      state: { store: expect.stringContaining('Redis at'), reachable: redisUp },
      media: { server: `FreeSWITCH at 127.0.0.1:${freeswitchPort}`, connected: false },
    });
    expect((await fetch(`http://127.0.0.1:${serve.httpPort}/health`)).status).toBe(200);

    serve.proc.signal('SIGTERM');
    await serve.waitForLog('draining', (l) => l.msg.startsWith('draining'));
    expect((await serve.proc.waitExit(60_000)).code, serve.proc.tail()).toBe(0);
    expect(serve.logs().map((l) => l.msg)).toContain('drained; exiting');
    // The node that served (under npm, its child) is gone too.
    expect(alive(serving.pid)).toBe(false);
  }, 120_000);

  it('a wrong DRACHTIO_SECRET is logged once, not once a retry; a different error (nothing listening) once more', async () => {
    const attempts = await countingListener(drachtio.controlPort);
    try {
      const serve = await startServe('node', { DRACHTIO_PORT: String(attempts.port), DRACHTIO_SECRET: `not-${drachtio.secret}` });
      // drachtio-srf retries a refused login every quarter second: let it try ten times.
      await waitFor('ten logins refused by drachtio-server', () => attempts.connections() >= 10, 60_000, 100);
      await attempts.close();
      await serve.waitForLog('the change of error', (l) => l.msg === 'cannot reach drachtio-server: retrying');
      serve.proc.signal('SIGTERM');
      expect((await serve.proc.waitExit(60_000)).code, serve.proc.tail()).toBe(0);

      const errors = serve.logs().filter((l) => l.level >= 50);
      expect(errors.map((l) => l.msg), serve.proc.tail()).toEqual(['drachtio-server refused the connection (wrong DRACHTIO_SECRET?): retrying', 'cannot reach drachtio-server: retrying']);
      expect(errors[0]!.err).toBe('failed to authenticate to server');
      expect(serve.logs().map((l) => l.msg)).not.toContain('callguard serving');
    } finally {
      await attempts.close();
    }
  }, 120_000);
});
