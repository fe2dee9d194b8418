import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRecords } from '../../bench/oversightData.js';
import { callguard } from '../support/cli.js';
import { samplePlan, SAMPLE_DIALPLAN } from '../support/plans.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const haveScript = spawnSync('script', ['--version']).error === undefined;
if (!haveScript) console.log('test/cli/oversight-cli.test.ts: progress on a terminal skipped: script (util-linux) is not installed');

describe('report and replay', { timeout: 120_000 }, () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-oversight-cli-'));
    await generateRecords({ plan: await samplePlan(), dataDir, firstDay: '2026-11-01', days: 5, calls: 200 });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('agree on an empty month: no error, zero calls, the same words', () => {
    const report = callguard(['report', '--month', '2026-10', '--data-dir', dataDir, '--format', 'json']);
    const replay = callguard(['replay', '--month', '2026-10', '--data-dir', dataDir, '--dialplan', SAMPLE_DIALPLAN, '--json']);
    const said = `no calls made in 2026-10 in the call records under ${join(dataDir, 'calls')}\n`;
    expect(report).toMatchObject({ status: 0, stderr: said });
    expect(replay).toMatchObject({ status: 0, stderr: said });
    expect((JSON.parse(report.stdout) as { totals: { calls: number } }).totals.calls).toBe(0);
    expect((JSON.parse(replay.stdout) as { summary: { replayed: number } }).summary.replayed).toBe(0);
  });

  it('show no progress when stderr is no terminal', () => {
    expect(callguard(['report', '--month', '2026-11', '--data-dir', dataDir, '--format', 'json'])).toMatchObject({ status: 0, stderr: '' });
    expect(callguard(['replay', '--month', '2026-11', '--data-dir', dataDir, '--dialplan', SAMPLE_DIALPLAN, '--summary-only'])).toMatchObject({ status: 0, stderr: '' });
  });

  it.skipIf(!haveScript)('show their progress on stderr when it is a terminal', () => {
    const quoted = (args: string[]) => args.map((a) => `'${a}'`).join(' ');
    for (const args of [['report', '--month', '2026-11', '--data-dir', dataDir, '--out', join(dataDir, 'r.html')], ['replay', '--month', '2026-11', '--data-dir', dataDir, '--dialplan', SAMPLE_DIALPLAN, '--summary-only']]) {
      // script(1) runs the command on a pseudo-terminal and copies what it writes there.
      const r = spawnSync('script', ['-qec', `${quoted([process.execPath, '--import', 'tsx', MAIN, ...args])} >/dev/null`, '/dev/null'], { cwd: ROOT, encoding: 'utf8' });
      expect(r.status).toBe(0);
      expect(r.stdout).toMatch(/reading call records: 100 % of \d+ kB in \d+ files/);
    }
  });
});
