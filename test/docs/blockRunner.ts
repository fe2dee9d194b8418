/**
 * Runs one documented shell block as a reader would: bash with -euo pipefail, in a fresh directory
 * holding a copy of the checkout's sample files, with the built `callguard` on PATH, and, when the
 * block says so, a private redis-server (REDIS_URL) and a running `callguard serve`
 * (CALLGUARD_HTTP_PORT). Every process it starts runs on free loopback ports and is stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeDrachtio } from '../support/fakeDrachtio.js';
import { freePort, labTempDir, LabProcess, quietly, RedisServer, REPO_ROOT } from '../support/lab.js';
import type { ShellBlock } from './shellBlocks.js';

/** The built CLI, as `npm run build` (or `npm ci`) leaves it and as `callguard` on a user's PATH runs it. */
export const BUILT_CLI = join(REPO_ROOT, 'dist/src/cli/main.js');

/** What a block finds in its directory, copied so that it may edit them. */
const CHECKOUT_FILES = ['dialplan', 'docker-compose.yml'];

/** Settings a developer may have exported that would point a block at their own servers. */
const OWN_SETTINGS = /^(CALLGUARD_|REDIS_|DRACHTIO_|FREESWITCH_|LOG_LEVEL$)/;

export type BlockResult = { ok: true; stdout: string } | { ok: false; message: string };

const FAILED_AT = '@@docs-block-failed-at-line';

function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = labTempDir('callguard-docs-');
  for (const name of CHECKOUT_FILES) cpSync(join(REPO_ROOT, name), join(dir, name), { recursive: true });
  const bin = join(dir, '.bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'callguard'), `#!/bin/sh\nexec "${process.execPath}" "${BUILT_CLI}" "$@"\n`);
  chmodSync(join(bin, 'callguard'), 0o755);
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !OWN_SETTINGS.test(name)));
  env.PATH = `${bin}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  return { dir, env };
}

/** `callguard serve` on a fake drachtio-server (HTTP, API and console answer as in production), ready once it says so. */
async function startServe(dir: string, env: NodeJS.ProcessEnv): Promise<{ httpPort: number; stop(): Promise<void> }> {
  const drachtio = await FakeDrachtio.start({ secret: 'docs-secret' });
  const httpPort = await freePort();
  const child = spawn(process.execPath, [BUILT_CLI, 'serve'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...env, DRACHTIO_HOST: drachtio.host, DRACHTIO_PORT: String(drachtio.port), DRACHTIO_SECRET: 'docs-secret', CALLGUARD_HTTP_PORT: String(httpPort), CALLGUARD_DRAIN_SECONDS: '1' },
  });
  const serve = new LabProcess('callguard serve', child);
  const stop = async () => {
    await quietly(() => serve.stop());
    await quietly(() => drachtio.close());
  };
  try {
    await serve.waitForLine('"callguard serving"', (line) => line.includes('"msg":"callguard serving"'), 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { httpPort, stop };
}

/** The Markdown line of the command that failed, from the ERR trap's $LINENO (the trap is line 1). */
function failedLine(block: ShellBlock, stderr: string[]): string {
  const report = stderr.find((line) => line.startsWith(FAILED_AT));
  if (!report) return block.where;
  const file = block.where.slice(0, block.where.lastIndexOf(':'));
  return `${file}:${block.firstLine + Number(report.slice(FAILED_AT.length + 1)) - 2}`;
}

export async function runBlock(block: ShellBlock, timeoutMs = 150_000): Promise<BlockResult> {
  if (block.mark.kind !== 'runnable') throw new Error(`${block.where} is not marked runnable`);
  if (!existsSync(BUILT_CLI)) return { ok: false, message: `${BUILT_CLI} is missing: run npm run build (npm ci does) first` };
  const { dir, env } = workspace();
  const stops: (() => Promise<void>)[] = [];
  try {
    if (block.mark.needs.includes('redis')) {
      const redis = await RedisServer.start();
      stops.push(() => redis.stop());
      env.REDIS_URL = redis.url;
    }
    if (block.mark.needs.includes('serve')) {
      const serve = await startServe(dir, env);
      stops.push(serve.stop);
      env.CALLGUARD_HTTP_PORT = String(serve.httpPort);
    }
    const script = join(labTempDir('callguard-docs-script-'), 'block.sh');
    writeFileSync(script, `trap 'echo "${FAILED_AT} $LINENO" >&2' ERR\n${block.text}`);
    const run = new LabProcess(block.where, spawn('bash', ['-euo', 'pipefail', script], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] }));
    let status;
    try {
      status = await run.waitExit(timeoutMs);
    } catch {
      await run.stop(2_000);
      return { ok: false, message: `${block.where}: still running after ${timeoutMs / 1000} s\n${run.tail(20)}` };
    }
    if (status.code === 0) return { ok: true, stdout: run.stdoutLines.join('\n') };
    const stderr = run.stderrLines.filter((line) => !line.startsWith(FAILED_AT));
    const output = [...run.stdoutLines.slice(-15).map((l) => `  out: ${l}`), ...stderr.slice(-15).map((l) => `  err: ${l}`)].join('\n');
    return { ok: false, message: `${failedLine(block, run.stderrLines)}: the block at ${block.where} exited ${status.code ?? status.signal}\n${output}` };
  } finally {
    for (const stop of stops.reverse()) await quietly(stop);
  }
}
