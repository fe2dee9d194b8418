/**
 * A rejection nothing handles, in a real Node process: by default it ends the process (and with `serve`
 * every call in it); with `keepServingThrough` it is logged with its stack and counted, and the process
 * goes on.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/lab.js';

function runWith(install: boolean) {
  const script = `
    import { pino } from 'pino';
    import { keepServingThrough } from './src/server/unhandledRejections.ts';
    let counted = 0;
    ${install ? "keepServingThrough(process, pino(), () => counted++);" : ''}
    Promise.reject(new Error('a library forgot its catch'));
    setTimeout(() => console.log(JSON.stringify({ stillServing: true, counted })), 100);
  `;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
}

describe('serve: a rejection nothing handled', () => {
  it('without keepServingThrough, Node ends the process', () => {
    const run = runWith(false);
    expect(run.status).not.toBe(0);
    expect(run.stdout).not.toContain('stillServing');
  });

  it('with it, the rejection is logged at error with its stack and counted, and the process goes on', () => {
    const run = runWith(true);
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ level: 50, err: 'a library forgot its catch', msg: expect.stringContaining('a rejection nothing handled') });
    expect(lines[0]?.stack).toContain('a library forgot its catch');
    expect(lines[1]).toEqual({ stillServing: true, counted: 1 });
  });
});
