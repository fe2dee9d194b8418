/**
 * pin-required through the media seam, CI level: a locked international user (4101, granted FR)
 * dials 9 0033 1 42 68 53 00; the PIN is asked for in early media, checked against the runtime state
 * in a private redis-server, and the call goes on to the trunk, or is refused in words and with 403.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { CallRecord } from '../../src/oversight/callRecord.js';
import { recordsDir } from '../../src/oversight/callRecords.js';
import { monthFiles } from '../../src/oversight/recordScan.js';
import { buildReport } from '../../src/oversight/report.js';
import type { Plan } from '../../src/policy/plan.js';
import { EXTERNAL, INTERNAL, until } from '../support/edgeFixture.js';
import { samplePlan } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import * as sip from '../support/sipText.js';
import type { StateUnderTest } from '../support/stateFixtures.js';
import { answerByes, expectNothingLeft, invitesSent, pinnedMediaEdge, responseWith, type MediaEdge } from './mediaEdge.js';

const RIGHT = '538271';
const WRONG = ['904716', '660413', '772950', '318864', '205937'];
const FRANCE = '90033142685300';
const prompt = (id: string) => new RegExp(`/audio/prompts/${id}\\.wav$`);
const promptIds = (files: string[]) => files.map((f) => /\/audio\/prompts\/([\w-]+)\.wav$/.exec(f)?.[1] ?? f);

describe('media: PIN entry for a locked phone', () => {
  let redis: RedisServer;
  let plan: Plan;
  let m: MediaEdge;
  let state: StateUnderTest;

  // Call records go to a temp data directory, read back to check what they say about PIN entry.
  let dataDir: string;

  beforeAll(async () => {
    redis = await RedisServer.start();
    plan = await samplePlan();
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-pin-records-'));
    process.env.CALLGUARD_DATA_DIR = dataDir;
  });

  afterAll(async () => {
    await redis?.stop();
    delete process.env.CALLGUARD_DATA_DIR;
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** The call record of `callId`, once written; its whole line must hold no PIN tried. */
  async function recordOf(callId: string): Promise<CallRecord> {
    const line = await until(`the call record of ${callId}`, () => {
      const dir = recordsDir(dataDir);
      const lines = existsSync(dir) ? readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n')) : [];
      return lines.find((l) => l.includes(callId));
    });
    for (const pin of [RIGHT, ...WRONG]) expect(line).not.toContain(pin);
    return JSON.parse(line) as CallRecord;
  }

  beforeEach(async () => {
    ({ m, state } = await pinnedMediaEdge(redis.url, plan, RIGHT));
  });

  afterEach(async () => {
    await m?.stop();
    await state?.close();
  });

  /** No log line of the server's (or of the state's) carries a PIN entered. */
  function expectNoDigitsLogged(): void {
    const lines = [...m.edge.logs.map((l) => JSON.stringify({ ...l, time: undefined })), ...state.logs()];
    expect(lines.length).toBeGreaterThan(0);
    for (const pin of [RIGHT, ...WRONG]) expect(lines.filter((l) => l.includes(pin))).toEqual([]);
  }

  it('the right PIN: prompted in early media, then the call goes on to the trunk through FreeSWITCH', async () => {
    const { edge, fs } = m;
    const a = edge.invite('4101', FRANCE);
    const early = await responseWith(a, 183);
    expect(early.body).toBe(fs.endpoints[0]!.local.sdp);
    const ask = await fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    expect(ask.arg).toMatch(prompt('pin-enter'));
    expect(ask.detail).toMatchObject({ min: 6, max: 6 });
    expect(invitesSent(edge)).toHaveLength(0);
    fs.type(RIGHT);

    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:+33142685300@${EXTERNAL}`);
    expect(b.get('P-Asserted-Identity')).toContain('+441707284101');
    expect(b.body).toBe(fs.endpoints[1]!.local.sdp);
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.30', port: 52000, sessionId: 3000 }) });
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(fs.endpoints[0]!.local.sdp);
    await fs.waitFor('the bridge', (s) => s.op === 'bridge');
    // not a recorded call
    expect(fs.journal.some((s) => s.op === 'execute' && s.arg === 'record_session')).toBe(false);
    expect(await edge.waitForLog('PIN entry', (l) => l.msg === 'PIN entry')).toMatchObject({ outcome: 'unlocked', ext: '4101' });

    answerByes(edge);
    expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
    expectNoDigitsLogged();
  });

  it("a recorded phone's call abroad, the right PIN: the notice plays before the trunk is called, and keys cannot cut it short (FreeSWITCH's playback stops at * by default)", async () => {
    await m.stop();
    await state.close();
    const recorded4101 = (yaml: string) => yaml.replace('    ddi: "+441707284101"\n', '    ddi: "+441707284101"\n    recorded: { notice: finance }\n');
    ({ m, state } = await pinnedMediaEdge(redis.url, plan, RIGHT, { edits: { 'extensions/academic.yaml': recorded4101 } }));
    const { edge, fs } = m;
    fs.type(RIGHT);
    const a = edge.invite('4101', FRANCE);
    const notice = await fs.waitFor('the notice', (s) => s.op === 'play' && /\/audio\/notices\/finance\./.test(s.arg));
    const unskippable = fs.journal.findIndex((s) => s.op === 'set' && s.arg === 'playback_terminators' && s.detail === 'none');
    expect(unskippable).toBeGreaterThanOrEqual(0);
    expect(unskippable).toBeLessThan(fs.journal.indexOf(notice));
    const b = await edge.nextInvite();
    expect(b.uri).toBe(`sip:+33142685300@${EXTERNAL}`);
    b.respond(486);
    expect((await a.finalResponse()).status).toBe(486);
    await expectNothingLeft(m);
  });

  it('a wrong PIN, then the right one: asked again with pin-wrong, then connected', async () => {
    const { edge, fs } = m;
    fs.type(WRONG[0]!, RIGHT);
    const a = edge.invite('4101', FRANCE);
    const b = await edge.nextInvite();
    expect(promptIds(fs.played.filter((f) => f.includes('/prompts/')))).toEqual(['pin-enter', 'pin-wrong']);
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.30' }) });
    expect((await a.finalResponse()).status).toBe(200);
    answerByes(edge);
    a.bye();
    await expectNothingLeft(m);
    expect(state.state.status('4101', Date.now()).failures).toBe(0);
    expectNoDigitsLogged();
    // recorded with the decision that connected it: the grant, the phone unlocked by the PIN
    expect(await recordOf(a.request!.callId!)).toMatchObject({ action: 'allow', reason: 'international-granted', rule: 'grant:amoreno-cern', lock: 'unlocked', disp: 'answered', pinFail: 1 });
  });

  it('two wrong PINs, then the right one: connected, and the call record counts 2 failures and holds no PIN', async () => {
    const { edge, fs } = m;
    fs.type(WRONG[0]!, WRONG[1]!, RIGHT);
    const a = edge.invite('4101', FRANCE);
    const b = await edge.nextInvite();
    expect(promptIds(fs.played.filter((f) => f.includes('/prompts/')))).toEqual(['pin-enter', 'pin-wrong', 'pin-wrong']);
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.30' }) });
    expect((await a.finalResponse()).status).toBe(200);
    answerByes(edge);
    a.bye();
    await expectNothingLeft(m);
    // the right PIN clears the count toward the lockout; the record keeps what happened in the call
    expect(state.state.status('4101', Date.now()).failures).toBe(0);
    expectNoDigitsLogged();
    const record = await recordOf(a.request!.callId!);
    expect(record).toMatchObject({ action: 'allow', reason: 'international-granted', rule: 'grant:amoreno-cern', lock: 'unlocked', disp: 'answered', status: 200, pinFail: 2 });
    expect(record.pinLock).toBeUndefined();
    // nothing but the record's own fields (none of which is a PIN)
    expect(Object.keys(record).sort()).toEqual(['action', 'answer', 'class', 'country', 'dept', 'dur', 'e164', 'end', 'from', 'id', 'invite', 'lock', 'pinFail', 'reason', 'rule', 'status', 'to', 'use', 'user', 'v', 'disp', 'where'].sort());
    // and the monthly report counts the grant as used by it
    const month = record.invite.slice(0, 7);
    const report = buildReport(plan, monthFiles(dataDir, month), { month });
    expect(report.grants.find((g) => g.id === 'amoreno-cern')).toMatchObject({ user: 'amoreno', calls: expect.any(Number), answered: expect.any(Number) });
    expect(report.grants.find((g) => g.id === 'amoreno-cern')!.answered).toBeGreaterThanOrEqual(1);
  });

  it('three wrong PINs: the spoken refusal, then 403 pin-refused; nothing dialled', async () => {
    const { edge, fs } = m;
    fs.type(WRONG[0]!, WRONG[1]!, WRONG[2]!);
    const a = edge.invite('4101', FRANCE);
    await responseWith(a, 183);
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="pin-refused"');
    expect(promptIds(fs.played)).toEqual(['pin-enter', 'pin-wrong', 'pin-wrong', 'pin-refused']);
    const record = await recordOf(a.request!.callId!);
    expect(record).toMatchObject({ action: 'pin-required', status: 403, pinFail: 3 });
    expect(record.pinLock).toBeUndefined();
    // the refusal was heard before the 403
    expect(fs.journal.find((s) => s.op === 'play' && prompt('pin-refused').test(s.arg))!.outcome).toBe('done');
    expect(invitesSent(edge)).toHaveLength(0);
    await expectNothingLeft(m);
    await until('three failures counted', () => state.state.status('4101', Date.now()).failures === 3 || undefined);
    expectNoDigitsLogged();
  });

  it('five wrong PINs across two calls: the lockout prompt, 403, a PIN-LOCKOUT alert; the next call is refused before any prompt', async () => {
    const { edge, fs } = m;
    const first = edge.invite('4101', FRANCE);
    fs.type(WRONG[0]!, WRONG[1]!, WRONG[2]!);
    expect((await first.finalResponse()).status).toBe(403);
    await expectNothingLeft(m);

    const second = edge.invite('4101', FRANCE);
    fs.type(WRONG[3]!, WRONG[4]!);
    const final = await second.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="pin-locked-out"');
    const secondCall = fs.played.slice(4);
    expect(promptIds(secondCall)).toEqual(['pin-enter', 'pin-wrong', 'pin-locked-out']);
    // the records: three failures in the first call, two and the lockout in the second
    expect(await recordOf(first.request!.callId!)).toMatchObject({ status: 403, pinFail: 3 });
    expect(await recordOf(second.request!.callId!)).toMatchObject({ status: 403, pinFail: 2, pinLock: true });

    // Security is told: a SIP MESSAGE to Security Control, and the Redis stream
    const message = await edge.nextRequest('MESSAGE');
    message.respond(200);
    expect(message.uri).toBe(`sip:2222@${INTERNAL}`);
    expect(message.body).toMatch(/^PIN-LOCKOUT\b/);
    expect(message.body).toContain('4101');
    const client = createClient({ url: redis.url });
    await client.connect();
    try {
      const entries = await until('the alert in callguard:alerts', async () => {
        const found = await client.xRange('callguard:alerts', '-', '+');
        return found && found.length > 0 ? found : undefined;
      });
      expect(entries.map((e) => e.message)).toEqual([expect.objectContaining({ kind: 'pin-lockout', ext: '4101' })]);
    } finally {
      await client.close();
    }
    await expectNothingLeft(m);

    // while locked out, the decision itself refuses (spoken, announceRejects is on): no PIN prompt
    await until('the lockout in the replica', () => state.state.status('4101', Date.now()).lockoutUntil);
    const third = edge.invite('4101', FRANCE);
    const refused = await third.finalResponse();
    expect(refused.status).toBe(403);
    expect(refused.get('Reason')).toBe('Q.850;cause=21;text="pin-locked-out"');
    expect(promptIds(fs.played.slice(7))).toEqual(['pin-locked-out']);
    expect(fs.journal.filter((s) => s.op === 'playCollect')).toHaveLength(5);
    await expectNothingLeft(m);
    expectNoDigitsLogged();
    // refused before any prompt: a lockout refusal, no PIN tried in it
    const thirdRecord = await recordOf(third.request!.callId!);
    expect(thirdRecord).toMatchObject({ action: 'reject', reason: 'pin-locked-out', status: 403 });
    expect(thirdRecord.pinFail).toBeUndefined();
  });

  it('no digits at all (three timeouts): refused, and no attempt is counted', async () => {
    const { edge, fs } = m;
    fs.type(null, null, null);
    const a = edge.invite('4101', FRANCE);
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="pin-refused"');
    await expectNothingLeft(m);
    expect(state.state.status('4101', Date.now()).failures).toBe(0);
  });

  it('caller CANCEL during the PIN prompt: 487, nothing dialled, no attempt counted, endpoints released', async () => {
    const { edge, fs } = m;
    const a = edge.invite('4101', FRANCE);
    await fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    a.cancel();
    expect((await a.finalResponse()).status).toBe(487);
    await expectNothingLeft(m);
    fs.type(RIGHT);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(invitesSent(edge)).toHaveLength(0);
    expect(state.state.status('4101', Date.now()).failures).toBe(0);
  });

  it('FreeSWITCH hangs up during the PIN prompt: the caller gets 503, never a hang, and nothing is dialled', async () => {
    const { edge, fs } = m;
    const a = edge.invite('4101', FRANCE);
    await fs.waitFor('the PIN prompt', (s) => s.op === 'playCollect');
    // as modesl does, the command whose channel went away never completes
    fs.hangUp(fs.endpoints[0]!, { pending: 'hang' });
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(invitesSent(edge)).toHaveLength(0);
    await expectNothingLeft(m);
  });
});
