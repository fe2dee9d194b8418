import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { prepareRecording, writeSidecar } from '../../src/media/recordings.js';
import { callguard } from '../support/cli.js';
import { planCopy } from '../support/plans.js';

const haveTools = ['espeak-ng', 'sox'].every((tool) => spawnSync(tool, ['--version']).error === undefined);
if (!haveTools) console.log('test/cli/media-cli.test.ts: notices render skipped: espeak-ng or sox is not installed (.ci/run installs them)');

const cleanup: (() => void)[] = [];
afterEach(() => cleanup.splice(0).forEach((f) => f()));

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-media-cli-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

describe('callguard notices render', () => {
  it.skipIf(!haveTools)('renders what changed and says so', { timeout: 60_000 }, () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notices.yaml'), 'notices:\n  lab:\n    text: Calls to the lab are recorded.\n');
    const first = callguard(['notices', 'render', '--dialplan', dir]);
    expect(first).toMatchObject({ status: 0, stderr: '' });
    expect(first.stdout).toMatch(/^rendered notices\/lab \(\d+\.\d s\) -> .*audio\/notices\/lab\.wav\n.*: 1 rendered, 0 up to date\n$/);
    expect(callguard(['notices', 'render', '--dialplan', dir]).stdout).toMatch(/: 0 rendered, 1 up to date\n$/);
  });

  it('says what to install when espeak-ng or sox is missing', { timeout: 60_000 }, () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notices.yaml'), 'notices:\n  lab:\n    text: Calls to the lab are recorded.\n');
    const r = callguard(['notices', 'render', '--dialplan', dir], undefined, { PATH: tempDir() });
    expect(r).toMatchObject({ status: 2, stderr: 'callguard: espeak-ng and sox are not installed; rendering notices needs both (Debian/Ubuntu: apt-get install espeak-ng sox)\n' });
  });
});

describe('callguard validate with a notice not rendered', () => {
  it('fails with the notice file:line and says to render it', { timeout: 60_000 }, () => {
    const copy = planCopy();
    cleanup.push(copy.remove);
    rmSync(join(copy.dir, 'audio/notices/service-desk.wav'));
    const r = callguard(['validate', copy.dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe(
      `${copy.dir}/notices.yaml:5:3: notice "service-desk" has no audio: ${copy.dir}/audio/notices/service-desk.wav is missing; run \`callguard notices render --dialplan ${copy.dir}\` (or name a recording with audio:)\n`,
    );
  });
});

describe('callguard recordings', () => {
  it('lists by extension and date, and sweeps what is past retention', { timeout: 90_000 }, async () => {
    const directory = join(tempDir(), 'recordings');
    const now = Date.now();
    const DAY = 86_400_000;
    const calls = [
      { ext: '4120', at: now - 400 * DAY, callId: 'ancient' },
      { ext: '4120', at: now - 2 * DAY, callId: 'recent' },
      { ext: '4121', at: now - DAY, callId: 'other' },
    ];
    for (const c of calls) {
      const wav = await prepareRecording({ directory, timezone: 'Europe/London', ...c });
      writeFileSync(wav, Buffer.alloc(800));
      await writeSidecar(wav, { ...c, other: '+441632960001', direction: 'outbound', notice: 'general', durationSeconds: 30 });
    }
    const common = ['--directory', directory];

    const all = callguard(['recordings', 'list', ...common]);
    expect(all.status).toBe(0);
    expect(all.stdout.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d Europe\/London  4120  outbound to \+441632960001 30 s  \d{4}\/\d\d\/\d\d\/4120-\d{6}-ancient\.wav$/),
      expect.stringMatching(/  4120  .*-recent\.wav$/),
      expect.stringMatching(/  4121  .*-other\.wav$/),
      `3 recordings in ${directory}`,
    ]);
    const since = new Date(now - 10 * DAY).toISOString().slice(0, 10);
    const json = callguard(['recordings', 'list', ...common, '--ext', '4120', '--from', since, '--json']);
    expect(json.stdout.trim().split('\n').map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ ext: '4120', callId: 'recent', sidecar: expect.objectContaining({ durationSeconds: 30, direction: 'outbound' }) }),
    ]);
    expect(callguard(['recordings', 'list', ...common, '--from', 'last week'])).toMatchObject({ status: 2, stderr: expect.stringContaining('"last week" is not a date') });

    // The sample plan keeps recordings 180 days.
    const dry = callguard(['recordings', 'sweep', ...common, '--dry-run']);
    expect(dry.stdout).toMatch(/^would remove \d{4}\/\d\d\/\d\d\/4120-\d{6}-ancient\.json \(call started .*\)\nwould remove .*-ancient\.wav .*\n.*: would remove 2 files .* older than 180 days .*; 4 kept\n$/);
    const swept = callguard(['recordings', 'sweep', ...common]);
    expect(swept).toMatchObject({ status: 0, stderr: '' });
    expect(swept.stdout).toMatch(/^removed .*-ancient\.json .*\nremoved .*-ancient\.wav .*\n.*: removed 2 files .* older than 180 days .*, 3 empty directories; 4 kept\n$/);
    expect(callguard(['recordings', 'list', ...common, '--json']).stdout.trim().split('\n')).toHaveLength(2);
  });
});
