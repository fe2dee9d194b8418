import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import { readAccessLog } from '../../src/media/recordingAccess.js';
import { prepareRecording, writeSidecar } from '../../src/media/recordings.js';
import { TEST_COST } from '../http/apiServer.js';
import { callguard } from '../support/cli.js';
import { planCopy } from '../support/plans.js';

describe('callguard recordings list and get', { timeout: 120_000 }, () => {
  const scratch = mkdtempSync(join(tmpdir(), 'callguard-recordings-cli-'));
  const plan = planCopy();
  const dataDir = join(scratch, 'data');
  // A Call-ID with characters a file name cannot hold: the file has it made safe, the sidecar as it was.
  const callId = 'a84b4c76e66710@pbx.example';
  const audio = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt test audio', 'latin1');
  let env: Record<string, string>;

  beforeAll(async () => {
    const directory = join(scratch, 'recordings');
    plan.write('site.yaml', readFileSync(join(plan.dir, 'site.yaml'), 'utf8').replace(/directory: \S+/, `directory: ${directory}`));
    const token = await addToken(join(dataDir, 'tokens.json'), 'quality.lead', 'recordings', TEST_COST, ['service-desk']);
    env = { CALLGUARD_DATA_DIR: dataDir, CALLGUARD_TOKEN: token };
    const at = Date.now() - 86_400_000;
    const wav = await prepareRecording({ directory, ext: '3000', at, callId, timezone: 'Europe/London' });
    writeFileSync(wav, audio);
    await writeSidecar(wav, { ext: '3000', other: '01707284000', direction: 'inbound', at, callId, durationSeconds: 42 });
  });
  afterAll(() => {
    plan.remove();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('list --json gives ids that get takes', () => {
    const listed = callguard(['recordings', 'list', '--json', '--dialplan', plan.dir], undefined, env);
    const [row] = listed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: string });
    expect(row!.id).toBe(callId);
    const out = join(scratch, 'got.wav');
    expect(callguard(['recordings', 'get', row!.id, '--purpose', 'quality', '--out', out, '--dialplan', plan.dir], undefined, env)).toMatchObject({ status: 0 });
    expect(readFileSync(out)).toEqual(audio);
  });

  it('writes a refused get to the access log, a missing purpose included', async () => {
    const r = callguard(['recordings', 'get', callId, '--out', join(scratch, 'no.wav'), '--dialplan', plan.dir], undefined, env);
    expect(r).toMatchObject({ status: 2, stderr: expect.stringMatching(/^callguard: refused \(400\): purpose must be one of .*; logged\n$/) });
    expect(await readAccessLog(dataDir)).toContainEqual(expect.objectContaining({ who: 'quality.lead', action: 'get', id: callId, outcome: 'refused', why: expect.stringMatching(/^purpose must be one of/) }));
  });
});
