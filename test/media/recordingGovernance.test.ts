/**
 * Recording governance through the admin API (a real HTTP server) and the CLI: only a recordings token
 * for the service area fetches a recording, for a stated purpose; every access and refusal is in the
 * access log; a legal hold keeps a recording through the retention sweep until released.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import { checkId, readAccessLog } from '../../src/media/recordingAccess.js';
import { prepareRecording, sidecarPath, sweepRecordings, writeSidecar } from '../../src/media/recordings.js';
import { ApiServer, TEST_COST } from '../http/apiServer.js';

const run = promisify(execFile);
const CLI = join(import.meta.dirname, '../../src/cli/main.ts');
const TIMEZONE = 'Europe/London';
/** A year ago: past the sample's 180-day retention. */
const OLD = Date.parse('2025-10-01T09:30:00Z');
const WAV = Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt test audio', 'latin1');

describe('recording governance', () => {
  let api: ApiServer;
  let recordingsDir: string;
  const tokens: Record<string, string> = {};
  /** Recordings of the service desk (3000, service-desk notice) and Finance (3100, finance notice). */
  const ids = { desk: 'a84b4c76e66710@pbx.example', deskOther: 'b2c3d4@pbx.example', finance: 'c0ffee@pbx.example' };
  const paths: Record<string, string> = {};

  beforeAll(async () => {
    api = await ApiServer.start();
    recordingsDir = mkdtempSync(join(tmpdir(), 'callguard-recordings-'));
    api.plan.write('site.yaml', api.file('site.yaml').replace(/directory: \S+/, `directory: ${recordingsDir}`));
    await api.watcher.reload();
    const file = join(api.dataDir, 'tokens.json');
    tokens.desk = await addToken(file, 'quality.lead', 'recordings', TEST_COST, ['service-desk']);
    tokens.finance = await addToken(file, 'finance.lead', 'recordings', TEST_COST, ['finance']);
    for (const [key, ext, callId] of [['desk', '3000', ids.desk], ['deskOther', '3001', ids.deskOther], ['finance', '3100', ids.finance]] as const) {
      const wav = await prepareRecording({ directory: recordingsDir, ext, at: OLD, callId, timezone: TIMEZONE });
      writeFileSync(wav, WAV);
      await writeSidecar(wav, { ext, other: '01707284000', direction: 'inbound', at: OLD, callId, durationSeconds: 42 });
      paths[key] = wav;
    }
  });

  afterAll(async () => {
    await api?.stop();
    rmSync(recordingsDir, { recursive: true, force: true });
  });

  const get = (id: string, token: string, purpose?: string) =>
    fetch(`${api.url}/api/recordings/${encodeURIComponent(id)}${purpose ? `?purpose=${purpose}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
  const hold = (id: string, token: string, method: 'POST' | 'DELETE', body?: unknown) =>
    fetch(`${api.url}/api/recordings/${encodeURIComponent(id)}/hold`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });

  it('gives the service area its own recording, as audio/wav, for a stated purpose', async () => {
    const reply = await get(ids.desk, tokens.desk!, 'quality');
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe('audio/wav');
    expect(Buffer.from(await reply.arrayBuffer())).toEqual(WAV);
  });

  it.each([
    ['another service area', () => tokens.finance!, 'quality', 403],
    ['an admin (not nominated)', () => api.tokens.admin, 'quality', 403],
    ['Security Control', () => api.tokens.security, 'dispute', 403],
    ['no purpose', () => tokens.desk!, undefined, 400],
    ['a purpose not on the list', () => tokens.desk!, 'curiosity', 400],
  ])('refuses %s', async (_what, token, purpose, status) => {
    const reply = await get(ids.desk, token(), purpose);
    expect(reply.status).toBe(status);
    expect((await reply.json()).error).toBeTruthy();
  });

  it('refuses ids that could name a path, and unknown ids', async () => {
    for (const id of ['../../etc/passwd', '.hidden', 'a\\b', '..']) expect(checkId(id)).toBeDefined();
    // ('..' itself never reaches the server: the URL resolves it away.)
    for (const id of ['../../etc/passwd', '.hidden', 'a\\b']) expect((await get(id, tokens.desk!, 'quality')).status).toBe(400);
    expect((await get('no-such-call@pbx', tokens.desk!, 'quality')).status).toBe(404);
  });

  it('logs every access and refusal: who, which recording, purpose, when', async () => {
    const log = await readAccessLog(api.dataDir);
    expect(log).toContainEqual(expect.objectContaining({ who: 'quality.lead', action: 'get', id: ids.desk, purpose: 'quality', outcome: 'granted', recording: expect.stringMatching(/2025\/10\/01\/3000-\d{6}-/) }));
    expect(log).toContainEqual(expect.objectContaining({ who: 'finance.lead', action: 'get', id: ids.desk, outcome: 'refused', why: expect.stringMatching(/service area service-desk/) }));
    expect(log).toContainEqual(expect.objectContaining({ who: 'alice', action: 'get', outcome: 'refused' }));
    expect(log).toContainEqual(expect.objectContaining({ who: 'quality.lead', id: '../../etc/passwd', outcome: 'refused' }));
    // The API's own listing is for admins and auditors.
    const listed = await fetch(`${api.url}/api/recordings/access-log`, { headers: { authorization: `Bearer ${api.tokens.auditor}` } });
    expect(listed.status).toBe(200);
    expect((await listed.json()).entries).toHaveLength(log.length);
    expect((await fetch(`${api.url}/api/recordings/access-log`, { headers: { authorization: `Bearer ${tokens.desk}` } })).status).toBe(403);
  });

  it('CLI: get with $CALLGUARD_TOKEN for a purpose, refused without a valid token, and the access log', async () => {
    const out = join(api.dataDir, 'finance.wav');
    const env = { ...process.env, CALLGUARD_DATA_DIR: api.dataDir, CALLGUARD_TOKEN: tokens.finance! };
    const cli = (args: string[], extra: Record<string, string> = {}) => run(process.execPath, ['--import', 'tsx', CLI, ...args, '--dialplan', api.plan.dir], { env: { ...env, ...extra } });
    await cli(['recordings', 'get', ids.finance, '--purpose', 'training', '--out', out]);
    expect(readFileSync(out)).toEqual(WAV);
    await expect(cli(['recordings', 'get', ids.finance, '--purpose', 'training', '--out', out], { CALLGUARD_TOKEN: 'cg_000000000000_not-a-real-token-at-all-not-a-real-token-at-a' })).rejects.toMatchObject({ stderr: expect.stringMatching(/not a valid token/) });
    const { stdout } = await run(process.execPath, ['--import', 'tsx', CLI, 'recordings', 'access-log', '--id', ids.finance], { env });
    expect(stdout).toMatch(/finance\.lead {2}get granted {2}2025\/10\/01\/3100-.*purpose training/);
  });

  it('keeps a held recording through the sweep, and sweeps it once released', async () => {
    expect((await hold(ids.desk, tokens.desk!, 'POST', {})).status).toBe(400);
    expect((await hold(ids.desk, tokens.finance!, 'POST', { reason: 'complaint' })).status).toBe(403);
    expect((await hold(ids.deskOther, tokens.desk!, 'DELETE')).status).toBe(409);
    expect((await hold(ids.desk, tokens.desk!, 'POST', { reason: 'Complaint C-2291, investigation' })).status).toBe(200);

    const swept = await sweepRecordings({ directory: recordingsDir, retentionDays: 180, timezone: TIMEZONE });
    expect(existsSync(paths.desk!)).toBe(true);
    expect(existsSync(sidecarPath(paths.desk!))).toBe(true);
    expect(existsSync(paths.deskOther!)).toBe(false); // same age, not held
    expect(swept.removed).toContain(paths.deskOther);

    expect((await hold(ids.desk, api.tokens.admin, 'DELETE')).status).toBe(200);
    await sweepRecordings({ directory: recordingsDir, retentionDays: 180, timezone: TIMEZONE });
    expect(existsSync(paths.desk!)).toBe(false);
    const log = await readAccessLog(api.dataDir);
    expect(log).toContainEqual(expect.objectContaining({ who: 'quality.lead', action: 'hold', reason: 'Complaint C-2291, investigation', outcome: 'granted' }));
    expect(log).toContainEqual(expect.objectContaining({ who: 'alice', action: 'release', outcome: 'granted' }));
  });
});
