/**
 * Call records: one JSON line per call, written by the SIP edge in the background, one file per day in
 * the site's time zone, readable after a crash (a torn line is never a record), never a PIN.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { decide } from '../../src/policy/decide.js';
import { LOCKED_PHONE } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import type { CallRecord } from '../../src/oversight/callRecord.js';
import { CallRecorder, dayFile, recordsDir } from '../../src/oversight/callRecords.js';
import { F, scanFiles } from '../../src/oversight/recordScan.js';
import { Edge, until } from '../support/edgeFixture.js';
import { samplePlan } from '../support/plans.js';
import * as sip from '../support/sipText.js';

const quiet = pino({ level: 'silent' });

function readRecords(dir: string): CallRecord[] {
  const files = readdirSync(recordsDir(dir)).sort().map((f) => join(recordsDir(dir), f));
  return files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as CallRecord));
}

describe('CallRecorder', () => {
  let plan: Plan;
  let dir: string;
  beforeAll(async () => {
    plan = await samplePlan();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'callguard-records-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const recorder = (zone = 'Europe/London') => new CallRecorder({ dataDir: dir, timezone: () => zone, logger: quiet, flushMs: 5 });

  function oneCall(r: CallRecorder, from: string, to: string, at: number, opts: { answer?: number; end: number; status?: number; disposition?: 'answered' | 'rejected' | 'failed' }) {
    const call = { from, to, pin: '864209' } as { from: string; to: string };
    const decision = decide(plan, LOCKED_PHONE, call, at);
    const trace = r.begin({ callId: `c-${from}-${at}`, call, decision, plan, lock: 'locked', at });
    if (opts.status !== undefined) trace.finalResponse(opts.status, opts.answer ?? at + 10);
    trace.ended(opts.disposition ?? (opts.answer ? 'answered' : 'rejected'), opts.end);
  }

  it('writes one line per call with the decision, caller, destination and times; never the PIN', async () => {
    const r = recorder();
    const t = Date.parse('2026-11-03T09:00:00Z');
    oneCall(r, '4101', '901707123456', t, { answer: t + 5_000, end: t + 65_400, status: 200 });
    oneCall(r, '4101', '909012345678', t + 1000, { end: t + 1010, status: 403 });
    await r.close();
    const text = readFileSync(dayFile(dir, '2026-11-03'), 'utf8');
    expect(text).not.toContain('864209');
    const [answered, barred] = readRecords(dir);
    expect(answered).toMatchObject({
      v: 1, id: `c-4101-${t}`, invite: '2026-11-03T09:00:00.000Z', answer: '2026-11-03T09:00:05.000Z', end: '2026-11-03T09:01:05.400Z', dur: 60,
      disp: 'answered', status: 200, action: 'allow', class: 'geographic', reason: 'class-of-service', rule: 'class:staff',
      from: '4101', user: 'amoreno', dept: 'Physics, Astronomy and Mathematics', to: '901707123456', e164: '+441707123456', country: 'GB', lock: 'locked',
    });
    expect(answered!.where).toMatch(/classes\.yaml:\d+$/);
    expect(barred).toMatchObject({ disp: 'rejected', status: 403, action: 'reject', class: 'premium', reason: 'premium-barred', dur: 0, e164: '+449012345678' });
    expect(barred!.answer).toBeUndefined();
  });

  it('a callee busy (486) is disposition busy', async () => {
    const r = recorder();
    const t = Date.parse('2026-11-03T10:00:00Z');
    oneCall(r, '4101', '4202', t, { end: t + 3000, status: 486, disposition: 'failed' });
    await r.close();
    expect(readRecords(dir)[0]).toMatchObject({ disp: 'busy', status: 486, action: 'allow', reason: 'internal' });
  });

  it('rotates at midnight in the site time zone (Europe/London in summer time: 23:00 UTC)', async () => {
    const r = recorder('Europe/London');
    const before = Date.parse('2026-07-14T22:59:59Z');
    const after = Date.parse('2026-07-14T23:00:01Z');
    oneCall(r, '4101', '4202', before - 1000, { end: before, status: 403 });
    oneCall(r, '4101', '4202', after - 1000, { end: after, status: 403 });
    await r.close();
    expect(readdirSync(recordsDir(dir)).sort()).toEqual(['2026-07-14.jsonl', '2026-07-15.jsonl']);
    expect(readFileSync(dayFile(dir, '2026-07-15'), 'utf8').trim().split('\n')).toHaveLength(1);
  });

  it('after a crash that tore the last line, the next record starts a new line and readers skip the fragment', async () => {
    mkdirSync(recordsDir(dir), { recursive: true });
    const file = dayFile(dir, '2026-11-03');
    const whole = JSON.stringify({ v: 1, id: 'before', invite: '2026-11-03T08:00:00.000Z', end: '2026-11-03T08:00:01.000Z', dur: 0, disp: 'rejected', action: 'reject', class: 'premium', reason: 'premium-barred', rule: 'barred:premium', from: '4101', to: '909012345678' });
    writeFileSync(file, `${whole}\n${whole.slice(0, 120)}`);
    const r = recorder();
    const t = Date.parse('2026-11-03T09:00:00Z');
    oneCall(r, '4101', '4202', t, { end: t + 100, status: 403 });
    await r.close();
    const ids: string[] = [];
    const stats = scanFiles([file], (v) => ids.push(v.text(F.id)!));
    expect(ids).toEqual(['before', `c-4101-${t}`]);
    expect(stats).toMatchObject({ records: 2, skipped: 1 });
    // and a crash in the middle of the newest line: the reader stops short of it
    appendFileSync(file, whole.slice(0, 200));
    expect(scanFiles([file], () => {}).records).toBe(2);
  });

  it('under steady traffic, writes and fsyncs once a flush interval, not as fast as the disk allows', async () => {
    const r = new CallRecorder({ dataDir: dir, timezone: () => 'UTC', logger: quiet, flushMs: 100 });
    const t = Date.parse('2026-11-03T09:00:00Z');
    oneCall(r, '4101', '909012345678', t, { end: t + 10, status: 403 });
    await r.flush(); // the day file is open: its FileHandle class can be watched
    const { FileHandle } = await import('../support/fileHandle.js');
    const datasync = vi.spyOn(FileHandle.prototype, 'datasync');
    const started = Date.now();
    let calls = 1;
    while (Date.now() - started < 500) {
      oneCall(r, '4101', '909012345678', t + calls, { end: t + calls + 10, status: 403 });
      calls++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    await r.close();
    expect(readRecords(dir)).toHaveLength(calls);
    // Five or six intervals in half a second, and the close: a handful of fsyncs, not one a few records.
    expect(datasync.mock.calls.length).toBeLessThanOrEqual(10);
    datasync.mockRestore();
  });

  it('a data directory that cannot be written drops records (counted), never throws at the caller', async () => {
    const notADir = join(dir, 'file');
    writeFileSync(notADir, 'x');
    const r = new CallRecorder({ dataDir: notADir, timezone: () => 'UTC', logger: quiet, flushMs: 1 });
    const t = Date.now();
    expect(() => oneCall(r, '4101', '4202', t, { end: t + 1, status: 403 })).not.toThrow();
    await r.close();
    expect(r.counts).toEqual({ written: 0, dropped: 1 });
  });
});

describe('the SIP edge writes a record for every call', () => {
  let edge: Edge;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'callguard-edge-records-'));
    process.env.CALLGUARD_DATA_DIR = dir;
    edge = await Edge.start();
  });
  afterAll(async () => {
    await edge?.stop();
    delete process.env.CALLGUARD_DATA_DIR;
    rmSync(dir, { recursive: true, force: true });
  });

  it('barred, answered, busy, cancelled, emergency and a hotline answered by its failover', async () => {
    const callIds: Record<string, string | undefined> = {};
    // barred
    const premium = edge.invite('4101', '909012345678');
    expect((await premium.finalResponse()).status).toBe(403);
    callIds.premium = premium.request!.callId;
    // answered, then BYE
    const { a } = await edge.connect('4101', '4202');
    callIds.answered = a.request!.callId;
    a.bye();
    (await edge.nextRequest('BYE')).respond(200);
    // busy
    const busy = edge.invite('4101', '4202');
    (await edge.nextInvite()).respond(486);
    expect((await busy.finalResponse()).status).toBe(486);
    callIds.busy = busy.request!.callId;
    // cancelled while ringing
    const cancelled = edge.invite('4202', '4101');
    const ringing = await edge.nextInvite();
    ringing.respond(180);
    cancelled.cancel();
    const cancel = await ringing.waitForCancel();
    void cancel;
    callIds.cancelled = cancelled.request!.callId;
    // emergency, answered by the trunk
    const emergency = await edge.connect('4202', '999');
    callIds.emergency = emergency.a.request!.callId;
    emergency.a.bye();
    (await edge.nextRequest('BYE')).respond(200);
    // hotline: Security's desk is busy, the first failover answers
    const hotline = edge.invite('2900', '0');
    (await edge.nextInvite()).respond(486);
    const failover = await edge.nextInvite();
    failover.respond(200, { body: sip.sdp({ ip: '192.0.2.40' }) });
    expect((await hotline.finalResponse()).status).toBe(200);
    await edge.nextRequest('ACK');
    callIds.hotline = hotline.request!.callId;
    await edge.waitForLog('failover alert', (l) => /answered by failover/.test(String((l.alert as { note?: string } | undefined)?.note)));
    hotline.bye();
    (await edge.nextRequest('BYE')).respond(200);

    await until('no call in progress', async () => (await edge.callsInProgress) === 0);
    await edge.drain();
    const byId = new Map(readRecords(dir).map((r) => [r.id, r]));
    expect(byId.size).toBe(6);
    expect(byId.get(callIds.premium!)).toMatchObject({ disp: 'rejected', status: 403, action: 'reject', reason: 'premium-barred', from: '4101', user: 'amoreno' });
    const answered = byId.get(callIds.answered!)!;
    expect(answered).toMatchObject({ disp: 'answered', status: 200, action: 'allow', reason: 'internal', to: '4202' });
    expect(Date.parse(answered.answer!)).toBeGreaterThanOrEqual(Date.parse(answered.invite));
    expect(Date.parse(answered.end)).toBeGreaterThanOrEqual(Date.parse(answered.answer!));
    expect(byId.get(callIds.busy!)).toMatchObject({ disp: 'busy', status: 486 });
    expect(byId.get(callIds.cancelled!)).toMatchObject({ disp: 'cancelled', status: 487, dur: 0 });
    expect(byId.get(callIds.emergency!)).toMatchObject({ disp: 'answered', action: 'emergency', class: 'emergency', reason: 'emergency-number' });
    expect(byId.get(callIds.hotline!)).toMatchObject({ disp: 'answered', action: 'security', reason: 'emergency-line', failover: '2223', from: '2900' });
  });
});
