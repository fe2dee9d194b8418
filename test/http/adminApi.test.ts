/**
 * The admin API endpoints the web admin needs beyond the lists and grants: every phone with its lock and
 * last change, admin unlock, run-time grants, call-record search with CSV, the monthly report, live calls.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/oversight/callRecord.js';
import { ApiServer } from './apiServer.js';

let api: ApiServer;
beforeAll(async () => {
  api = await ApiServer.start();
});
afterAll(async () => {
  await api?.stop();
});

const record = (over: Partial<CallRecord>): CallRecord => ({
  v: 1,
  id: 'x@test',
  invite: '2026-03-02T10:00:00.000Z',
  end: '2026-03-02T10:00:01.000Z',
  dur: 0,
  disp: 'rejected',
  status: 403,
  action: 'reject',
  class: 'premium',
  reason: 'premium-barred',
  rule: 'class:premium',
  from: '4101',
  user: 'amoreno',
  dept: 'Physics, Astronomy and Mathematics',
  to: '09012345678',
  e164: '+449012345678',
  country: 'GB',
  lock: 'locked',
  ...over,
});

describe('phones', () => {
  it('lists every extension with its lock, and the last admin change to it', async () => {
    const before = await api.request('GET', '/api/phones', { token: api.tokens.auditor });
    expect(before.status).toBe(200);
    expect(before.body.phones.length).toBe(api.watcher.current.extensions.size);
    expect(before.body.phones.find((p: { ext: string }) => p.ext === '4101')).toMatchObject({ ext: '4101', name: 'Dr Alice Moreno', lock: 'locked', hasPin: false });

    expect((await api.request('PUT', '/api/phones/4101/pin', { body: { pin: '731946' } })).status).toBe(200);
    const unlocked = await api.request('POST', '/api/phones/4101/unlock');
    expect(unlocked.status).toBe(200);
    expect(unlocked.body).toEqual({ ext: '4101', lock: 'unlocked' });
    const after = await api.request('GET', '/api/phones?q=moreno');
    expect(after.body.phones).toHaveLength(1);
    expect(after.body.phones[0]).toMatchObject({ ext: '4101', lock: 'unlocked', hasPin: true, lastChange: { who: 'alice', action: 'phone.unlock' } });
    expect(after.body.phones[0].unlockedSince).toMatch(/^\d{4}-/);
    expect(api.auditText).toMatch(/"action":"phone\.unlock","target":"4101","before":\{"lock":"locked","failures":0\},"after":\{"lock":"unlocked"\}/);
    expect((await api.request('POST', '/api/phones/4101/unlock', { token: api.tokens.auditor })).status).toBe(403);
    expect((await api.request('POST', '/api/phones/9999/unlock')).status).toBe(404);
  });
});

describe('run-time grants', () => {
  it('issues and revokes a grant in the runtime state, audited, listed beside the dialplan grants', async () => {
    const issued = await api.request('POST', '/api/runtime-grants', { body: { user: 'cwei', countries: ['us'], until: '2026-12-31', reason: 'Conference in Boston', approver: 'Head of CS' } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ user: 'cwei', countries: ['US'], until: '2027-01-01T00:00:00.000Z', where: 'runtime' });
    const listed = await api.request('GET', '/api/grants');
    expect(listed.body.runtime.map((g: { id: string }) => g.id)).toEqual([issued.body.id]);
    expect((await api.request('POST', '/api/runtime-grants', { body: { user: 'nobody', worldwide: true, reason: 'x', approver: 'y' } })).status).toBe(400);
    const revoked = await api.request('DELETE', `/api/runtime-grants/${issued.body.id}`);
    expect(revoked.status).toBe(200);
    expect((await api.request('GET', '/api/grants')).body.runtime).toEqual([]);
    expect((await api.request('DELETE', `/api/runtime-grants/${issued.body.id}`)).status).toBe(400);
    expect(api.auditText).toContain(`"action":"runtime-grant.revoke","target":"${issued.body.id}"`);
  });
});

describe('call records', () => {
  beforeAll(() => {
    const dir = join(api.dataDir, 'calls');
    mkdirSync(dir, { recursive: true });
    const lines = [
      record({ id: 'a@t', invite: '2026-03-01T09:00:00.000Z', end: '2026-03-01T09:00:00.500Z' }),
      record({ id: 'b@t', invite: '2026-03-02T11:00:00.000Z', end: '2026-03-02T11:05:00.000Z', answer: '2026-03-02T11:00:05.000Z', dur: 295, disp: 'answered', status: 200, action: 'allow', class: 'geographic', reason: 'class-permitted', rule: 'class:geographic', to: '01707281234', e164: '+441707281234', from: '4202', user: 'dfischer', dept: 'Computer Science, "Spectra"' }),
      record({ id: 'c@t', invite: '2026-03-05T08:00:00.000Z', end: '2026-03-05T08:00:01.000Z', to: '4101', from: '4202', class: 'internal' as never, action: 'allow', disp: 'answered', reason: 'internal' }),
    ];
    writeFileSync(join(dir, '2026-03-01.jsonl'), `${JSON.stringify(lines[0])}\n{"torn`);
    writeFileSync(join(dir, '2026-03-02.jsonl'), `${JSON.stringify(lines[1])}\n`);
    writeFileSync(join(dir, '2026-03-05.jsonl'), `${JSON.stringify(lines[2])}\n`);
  });

  it('searches by extension (either side), number, date range, class, action and outcome, newest first', async () => {
    const ids = async (query: string) => (await api.request('GET', `/api/calls?${query}`, { token: api.tokens.auditor })).body.calls.map((c: CallRecord) => c.id);
    expect(await ids('from=2026-03-01&to=2026-03-31')).toEqual(['c@t', 'b@t', 'a@t']);
    expect(await ids('from=2026-03-01&to=2026-03-31&ext=4101')).toEqual(['c@t', 'a@t']);
    expect(await ids('from=2026-03-01&to=2026-03-31&number=%2B441707281234')).toEqual(['b@t']);
    expect(await ids('from=2026-03-02&to=2026-03-02')).toEqual(['b@t']);
    expect(await ids('from=2026-03-01&to=2026-03-31&class=premium&action=reject&outcome=rejected')).toEqual(['a@t']);
    expect(await ids('from=2026-03-01&to=2026-03-31&outcome=answered&limit=1')).toEqual(['c@t']);
    expect((await api.request('GET', '/api/calls?from=2026-03-31&to=2026-03-01')).status).toBe(400);
    expect((await api.request('GET', '/api/calls?from=yesterday')).status).toBe(400);
  });

  it('exports the calls found as CSV, one row per call', async () => {
    const r = await api.request('GET', '/api/calls.csv?from=2026-03-02&to=2026-03-02');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="calls-2026-03-02-to-2026-03-02.csv"');
    const rows = r.text.split('\r\n');
    expect(rows[0]).toBe('invite,answer,end,seconds,outcome,status,from,user,department,dialled,e164,country,class,action,reason,rule,lock,failover,PIN failures,call id');
    expect(rows[1]).toBe('2026-03-02T11:00:00.000Z,2026-03-02T11:00:05.000Z,2026-03-02T11:05:00.000Z,295,answered,200,4202,dfischer,"Computer Science, ""Spectra""",01707281234,+441707281234,GB,geographic,allow,class-permitted,class:geographic,locked,,,b@t');
    expect(rows).toHaveLength(3);
  });

  it('gives the monthly report as JSON', async () => {
    const r = await api.request('GET', '/api/report?month=2026-03', { token: api.tokens.auditor });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ month: '2026-03', totals: { calls: 3, barredAttempts: 1 } });
    expect((await api.request('GET', '/api/report?month=2026-13')).status).toBe(400);
  });
});

describe('live calls', () => {
  it('answers 404 on a server without a live-call board', async () => {
    expect((await api.request('GET', '/api/live-calls')).status).toBe(404);
  });
});
