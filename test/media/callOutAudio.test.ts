/**
 * The call-out's spoken message, rendered for real (espeak-ng and sox, as notices are): what it says,
 * that it is an 8 kHz WAV FreeSWITCH plays as it is, how long rendering takes (printed; the docs quote
 * it), its removal, and the alarm tone that stands in when the renderer is missing.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';
import { CALL_OUT_ALARM, CallOutAudio, callOutText } from '../../src/media/callOutAudio.js';

const haveTools = ['espeak-ng', 'sox', 'soxi'].every((tool) => spawnSync(tool, ['--version']).error === undefined);
if (!haveTools) console.log('test/media/callOutAudio.test.ts: rendering skipped: espeak-ng or sox is not installed (.ci/run installs them)');

const ALERT: SecurityAlert = { kind: 'emergency', ext: '4101', name: 'Dr Alice Moreno', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: '2026-11-23T20:00:00.000Z', callId: 'c1' };

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'callguard-callout-'));
  dirs.push(dir);
  return dir;
}

describe('call-out message', () => {
  it('says the kind, the number dialled, the extension digit by digit, whose it is, where, and what to press', () => {
    expect(callOutText(ALERT)).toBe('Emergency call. 9 9 9 was dialled from extension 4 1 0 1, Dr Alice Moreno. Location: Lindop Building, room 2F410. Press 1 to acknowledge.');
    expect(callOutText({ ...ALERT, ext: '', name: undefined, location: '', dialled: '112' })).toBe('Emergency call. 1 1 2 was dialled from an unknown phone. Location: unknown. Press 1 to acknowledge.');
  });

  it.skipIf(!haveTools)('is rendered to an 8 kHz mono WAV in its own directory, cleared at start, and removed once released', async () => {
    const dir = join(tempDir(), 'call-out');
    const leftOver = join(dir, 'left-by-a-crash.wav');
    mkdirSync(dir, { recursive: true });
    writeFileSync(leftOver, 'RIFF');
    const logs: Array<{ msg: string; ms?: number }> = [];
    const audio = await CallOutAudio.open(dir, pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l)) }));
    expect(existsSync(leftOver)).toBe(false);
    const timings: number[] = [];
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const message = await audio.message({ ...ALERT, callId: `c${i}` });
      timings.push(performance.now() - started);
      expect(message.file.startsWith(dir)).toBe(true);
      expect(execFileSync('soxi', ['-r', message.file], { encoding: 'utf8' }).trim()).toBe('8000');
      expect(execFileSync('soxi', ['-c', message.file], { encoding: 'utf8' }).trim()).toBe('1');
      expect(Number(execFileSync('soxi', ['-D', message.file], { encoding: 'utf8' }))).toBeGreaterThan(3);
      await message.release();
      expect(existsSync(message.file)).toBe(false);
    }
    expect(logs.filter((l) => l.msg === 'call-out message rendered').every((l) => typeof l.ms === 'number')).toBe(true);
    process.stdout.write(`call-out message rendered in ${timings.map((t) => t.toFixed(0)).join(', ')} ms\n`);
    const confirmation = await audio.confirmation();
    expect(confirmation && existsSync(confirmation)).toBe(true);
    expect(readdirSync(dir)).toEqual(['acknowledged.wav']);
  });

  it('when it cannot be rendered (no espeak-ng on the PATH) the responders hear the alarm tone, and the error is logged', async () => {
    const path = process.env.PATH;
    const logs: Array<{ msg: string; level: number }> = [];
    const audio = await CallOutAudio.open(join(tempDir(), 'call-out'), pino({ level: 'info' }, { write: (l: string) => void logs.push(JSON.parse(l)) }));
    process.env.PATH = tempDir();
    try {
      const message = await audio.message(ALERT);
      expect(message.file).toBe(CALL_OUT_ALARM);
      await message.release();
    } finally {
      process.env.PATH = path;
    }
    expect(logs.find((l) => l.level === 50)?.msg).toMatch(/could not be rendered: responders hear an alarm tone/);
  });
});
