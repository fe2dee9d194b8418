/** What the e2e tests check of call recordings: the files FreeSWITCH wrote and what each channel holds. */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { channelStat } from '../support/freeswitch.js';
import { waitFor, type Sipp } from '../support/lab.js';

const run = promisify(execFile);

/** Every file under `dir`, recursively. */
export function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * Each call a SIPp caller placed has a finished stereo recording under `recordingsDir`, with the caller's
 * 440 Hz on one channel and the callee's 1 kHz on the other. Resolves with the calls' Call-IDs.
 */
export async function expectRecordedInStereo(recordingsDir: string, uac: Sipp): Promise<string[]> {
  const callIds = [...new Set(uac.messages().map((m) => m.header('call-id')).filter((id): id is string => id !== undefined))];
  for (const callId of callIds) {
    const sidecarFile = await waitFor(`the sidecar of ${callId}`, () => filesUnder(recordingsDir).find((f) => {
      if (!f.endsWith('.json')) return false;
      const sidecar = JSON.parse(readFileSync(f, 'utf8')) as { callId?: string; durationSeconds?: number };
      return sidecar.callId === callId && sidecar.durationSeconds !== undefined;
    }), 30_000, 200);
    const wav = sidecarFile.replace(/\.json$/, '.wav');
    const { stdout } = await run('soxi', ['-c', wav]);
    expect(Number(stdout.trim()), wav).toBe(2);
    const caller = await channelStat(wav, 1);
    const callee = await channelStat(wav, 2);
    expect(caller.rms, `${wav} ${JSON.stringify({ caller, callee })}`).toBeGreaterThan(0.01);
    expect(callee.rms, `${wav} ${JSON.stringify({ caller, callee })}`).toBeGreaterThan(0.01);
    expect(Math.abs(caller.hz - 440), JSON.stringify({ caller, callee })).toBeLessThan(60);
    expect(Math.abs(callee.hz - 1_000), JSON.stringify({ caller, callee })).toBeLessThan(100);
  }
  return callIds;
}
