import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { isUpToDate, itemsToRender, renderSpoken, stampPath, wavSeconds } from '../../src/media/render.js';
import { planCopy } from '../support/plans.js';

const haveTools = ['espeak-ng', 'sox', 'soxi'].every((tool) => spawnSync(tool, ['--version']).error === undefined);
if (!haveTools) console.log('test/media/render.test.ts: rendering skipped: espeak-ng or sox is not installed (.ci/run installs them)');

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function dialplan(notices: Record<string, string>, extra = ''): string {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-render-'));
  dirs.push(dir);
  const lines = Object.entries(notices).map(([id, text]) => `  ${id}:\n    text: ${text}\n`);
  writeFileSync(join(dir, 'notices.yaml'), `notices:\n${lines.join('')}${extra}`);
  return dir;
}

const soxi = (flag: string, file: string) => execFileSync('soxi', [flag, file], { encoding: 'utf8' }).trim();

describe('which notices and prompts are rendered', () => {
  it('takes those without their own audio, from every file, ignoring the rest of the plan', async () => {
    const dir = dialplan({ general: 'Calls are recorded.' }, '  studio:\n    text: Recorded in the studio.\n    audio: studio/notice.wav\n');
    writeFileSync(join(dir, 'prompts.yaml'), 'prompts:\n  pin-enter:\n    text: Enter your PIN.\n    reasons: [pin-locked-out]\n');
    writeFileSync(join(dir, 'site.yaml'), 'site: { name: broken\n');
    const items = await itemsToRender(dir);
    expect(items.map((i) => [i.kind, i.id, i.text, i.path])).toEqual([
      ['notices', 'general', 'Calls are recorded.', join(dir, 'audio/notices/general.wav')],
      ['prompts', 'pin-enter', 'Enter your PIN.', join(dir, 'audio/prompts/pin-enter.wav')],
    ]);
  });

  it('says where a notice file cannot be read', async () => {
    const dir = dialplan({ general: 'Calls are recorded.' });
    writeFileSync(join(dir, 'notices.yaml'), 'notices:\n  general: [\n');
    await expect(itemsToRender(dir)).rejects.toThrow(/notices\.yaml:\d+:\d+: YAML/);
  });
});

describe.skipIf(!haveTools)('rendering with espeak-ng and sox', () => {
  it('renders a notice to an 8 kHz mono 16-bit WAV of plausible length', async () => {
    const text = 'Calls to and from this line are recorded for quality and training purposes.';
    const dir = dialplan({ general: text });
    const [outcome] = await renderSpoken(dir);
    const wav = join(dir, 'audio/notices/general.wav');
    expect(outcome).toMatchObject({ kind: 'notices', id: 'general', status: 'rendered', path: wav });
    expect([soxi('-r', wav), soxi('-c', wav), soxi('-b', wav), soxi('-e', wav)]).toEqual(['8000', '1', '16', 'Signed Integer PCM']);
    // 13 words at 150 words a minute is about 5 s; allow for espeak-ng's pauses and the added silence.
    const seconds = Number(soxi('-D', wav));
    expect(seconds).toBeGreaterThan(3.5);
    expect(seconds).toBeLessThan(9);
    expect(outcome!.seconds).toBeCloseTo(seconds, 2);
    expect(await wavSeconds(wav)).toBeCloseTo(seconds, 2);
    expect(readFileSync(stampPath(wav), 'utf8')).toContain(text);
  });

  it('keeps up-to-date files and re-renders an edited text', async () => {
    const dir = dialplan({ general: 'This call is recorded.', finance: 'This call to Finance is recorded.' });
    expect((await renderSpoken(dir)).map((o) => o.status)).toEqual(['rendered', 'rendered']);
    const general = join(dir, 'audio/notices/general.wav');
    const finance = join(dir, 'audio/notices/finance.wav');
    const before = { general: statSync(general).mtimeMs, finance: statSync(finance).mtimeMs, seconds: Number(soxi('-D', finance)) };

    expect((await renderSpoken(dir)).map((o) => o.status)).toEqual(['up-to-date', 'up-to-date']);
    expect(statSync(general).mtimeMs).toBe(before.general);

    writeFileSync(join(dir, 'notices.yaml'), 'notices:\n  general:\n    text: This call is recorded.\n  finance:\n    text: This call to the Finance Office is recorded to protect you and the University.\n');
    expect((await renderSpoken(dir)).map((o) => [o.id, o.status])).toEqual([
      ['general', 'up-to-date'],
      ['finance', 'rendered'],
    ]);
    expect(statSync(general).mtimeMs).toBe(before.general);
    expect(Number(soxi('-D', finance))).toBeGreaterThan(before.seconds + 1);

    expect((await renderSpoken(dir, { force: true })).map((o) => o.status)).toEqual(['rendered', 'rendered']);
  });

  it('renders again when the WAV is gone though its stamp remains', async () => {
    const dir = dialplan({ general: 'This call is recorded.' });
    await renderSpoken(dir);
    rmSync(join(dir, 'audio/notices/general.wav'));
    expect((await renderSpoken(dir)).map((o) => o.status)).toEqual(['rendered']);
  });
});

describe('every load checks that the audio is there', () => {
  const copies: { remove(): void }[] = [];
  afterEach(() => copies.splice(0).forEach((c) => c.remove()));

  it('ships rendered audio for every notice and prompt of the sample plan', async () => {
    // Up to date: rendered from the texts as they are now (an edited text fails here until rendered again).
    const items = await itemsToRender(join(import.meta.dirname, '../../dialplan'));
    expect(items.length).toBeGreaterThan(20);
    for (const item of items) expect(await isUpToDate(item), `${item.kind}/${item.id}`).toBe(true);
    const copy = planCopy();
    copies.push(copy);
    expect((await loadPlan(copy.dir)).ok).toBe(true);
  });

  it('reports a notice whose rendered audio is missing at its file:line, saying to render it', async () => {
    const copy = planCopy();
    copies.push(copy);
    rmSync(join(copy.dir, 'audio/notices/finance.wav'));
    rmSync(join(copy.dir, 'audio/prompts/pin-enter.wav'));
    const result = await loadPlan(copy.dir);
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.problems).toEqual([
      {
        where: `${copy.dir}/notices.yaml:7:3`,
        message: `notice "finance" has no audio: ${copy.dir}/audio/notices/finance.wav is missing; run \`callguard notices render --dialplan ${copy.dir}\` (or name a recording with audio:)`,
      },
      {
        where: `${copy.dir}/prompts.yaml:5:3`,
        message: `prompt "pin-enter" has no audio: ${copy.dir}/audio/prompts/pin-enter.wav is missing; run \`callguard notices render --dialplan ${copy.dir}\` (or name a recording with audio:)`,
      },
    ]);
  });

  it('reports a named audio file that does not exist at its audio: line', async () => {
    const copy = planCopy();
    copies.push(copy);
    const notices = readFileSync(join(copy.dir, 'notices.yaml'), 'utf8').replace(
      '  finance:\n    text: This call to Finance is recorded to protect you and the University.\n',
      '  finance:\n    text: This call to Finance is recorded to protect you and the University.\n    audio: studio/finance-notice.wav\n',
    );
    copy.write('notices.yaml', notices);
    const result = await loadPlan(copy.dir);
    expect(result.ok ? [] : result.problems).toEqual([
      { where: `${copy.dir}/notices.yaml:9:12`, message: expect.stringMatching(/^notice "finance": audio file .*\/studio\/finance-notice\.wav does not exist/) },
    ]);
  });
});
