import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { callguard } from '../support/cli.js';
import { RedisServer } from '../support/redisServer.js';
import { ApiServer } from './apiServer.js';

/** A token's secret, after "cg_<id>_" (base64url, so it may hold "_" itself: never split on it). */
const secretOf = (token: string) => /^cg_[0-9a-f]{12}_(.{43})$/.exec(token)![1]!;

let api: ApiServer;
beforeAll(async () => {
  api = await ApiServer.start();
});
afterAll(async () => {
  await api?.stop();
});

const PREMIUM = '09012345678';

describe('authentication and roles', () => {
  it('401 without a token or with a wrong one, with nothing that helps a guesser', async () => {
    const none = await api.request('GET', '/api/lists', { token: null });
    const wrong = await api.request('GET', '/api/lists', { token: 'cg_0123456789ab_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    const almost = await api.request('GET', '/api/lists', { token: `${api.tokens.admin.slice(0, -1)}x` });
    for (const r of [none, wrong, almost]) {
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ error: 'unauthorized' });
    }
  });

  it('403 for a role that may not: auditors read, security only the console, only admins change', async () => {
    expect((await api.request('GET', '/api/lists', { token: api.tokens.auditor })).status).toBe(200);
    expect((await api.request('GET', '/api/lists', { token: api.tokens.security })).status).toBe(403);
    const post = await api.request('POST', '/api/lists/deny', { token: api.tokens.auditor, body: { number: '02079460123', reason: 'x' } });
    expect(post.status).toBe(403);
    expect(post.body).toEqual({ error: 'forbidden' });
    expect((await api.request('POST', '/api/phones/4101/lock', { token: api.tokens.security })).status).toBe(403);
    expect((await api.request('GET', '/api/alerts/stream', { token: api.tokens.auditor })).status).toBe(403);
    expect((await api.request('GET', '/api/whoami', { token: api.tokens.security })).body).toEqual({ name: 'sam', role: 'security' });
  });

  it('never logs a token', () => {
    for (const token of Object.values(api.tokens)) {
      expect(api.logs.join('')).not.toContain(token);
      expect(api.logs.join('')).not.toContain(secretOf(token));
    }
  });
});

describe('allow and deny lists', () => {
  it('lists the entries with where they live and a version', async () => {
    const r = await api.request('GET', '/api/lists');
    expect(r.status).toBe(200);
    expect(r.headers.get('etag')).toBe(r.body.version);
    expect(r.body.allow[0]).toMatchObject({ id: 'allow-1', where: 'lists.yaml:4', entry: { number: '118118', for: { extensions: ['3200'] } } });
    expect(r.body.deny).toHaveLength(2);
    expect((await api.request('GET', '/api/lists/deny-2')).body.entry.number).toBe('02079460999');
    expect((await api.request('GET', '/api/lists/deny-9')).status).toBe(404);
  });

  it('adds an entry: written in the file\'s own style, comments and order kept, in force at once, audited', async () => {
    const before = api.file('lists.yaml');
    expect((await api.request('GET', `/api/check?from=4101&to=${PREMIUM}`)).body.action).toBe('reject');
    const r = await api.request('POST', '/api/lists/allow', {
      body: { number: '+449012345678', for: { extensions: ['4101'] }, reason: 'Survey line for the physics outreach study', approver: 'Head of School, Physics', until: '2099-12-31' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id: 'allow-3', file: 'lists.yaml', dryRun: false });
    const after = api.file('lists.yaml');
    const deny = before.indexOf('deny:');
    expect(after.slice(0, deny)).toBe(before.slice(0, deny)); // the header comments and the first entries untouched
    expect(after).toContain('  - number: "+449012345678"\n    for: { extensions: ["4101"] }\n    reason: Survey line for the physics outreach study\n');
    expect(after.slice(after.indexOf('deny:'))).toBe(before.slice(deny)); // the deny section follows unchanged
    const check = await api.request('GET', `/api/check?from=4101&to=${PREMIUM}`);
    expect(check.body).toMatchObject({ action: 'allow', reason: 'allow-list', where: expect.stringMatching(/lists\.yaml:\d+/) });
    expect(check.body.explanation).toContain('allow-list entry');
    const audit = api.auditText.trim().split('\n').map((l) => JSON.parse(l));
    expect(audit.at(-1)).toMatchObject({ who: 'alice', role: 'admin', action: 'list.add', target: 'allow-3', address: expect.stringMatching(/127\.0\.0\.1/), after: { number: '+449012345678' } });
  });

  it('refuses an edit that breaks the plan with the validator\'s file:line reasons, and changes nothing', async () => {
    const before = api.file('lists.yaml');
    const r = await api.request('POST', '/api/lists/deny', { body: { number: '999', reason: 'Nobody should dial this' } });
    expect(r.status).toBe(422);
    expect(r.body.problems.length).toBeGreaterThan(0);
    expect(r.body.problems[0].where).toMatch(/^lists\.yaml:\d+:\d+$/);
    expect(r.body.problems.map((p: { message: string }) => p.message).join(' ')).toMatch(/emergency/);
    const unknownUser = await api.request('POST', '/api/lists/allow', { body: { number: '+33144556677', for: { users: ['nobody'] }, reason: 'x', approver: 'y' } });
    expect(unknownUser.status).toBe(422);
    expect(unknownUser.body.problems[0].message).toMatch(/nobody/);
    expect(api.file('lists.yaml')).toBe(before);
  });

  it('bad bodies are 400 with the reason', async () => {
    const cases: Array<[unknown, RegExp]> = [
      [{ reason: 'x' }, /number and prefix/],
      [{ number: '123', prefix: '12', reason: 'x' }, /number and prefix/],
      [{ number: 'abc', reason: 'x' }, /digits/],
      [{ number: '0201', reason: 'x', colour: 'red' }, /unknown field "colour"/],
      [{ number: '0201' }, /reason/],
      [{ number: '0201', reason: 'x', from: 'next tuesday' }, /date/],
      [[1, 2], /object/],
    ];
    for (const [body, message] of cases) {
      const r = await api.request('POST', '/api/lists/deny', { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatch(message);
    }
    const notJson = await api.request('POST', '/api/lists/deny', { raw: '{"number": ' });
    expect(notJson).toMatchObject({ status: 400, body: { error: 'the body is not valid JSON' } });
    const huge = await api.request('POST', '/api/lists/deny', { raw: 'x'.repeat(100_000) });
    expect(huge.status).toBe(413);
  });

  it('dry run validates and shows the change without writing, with the recent calls it would decide differently', async () => {
    const now = new Date().toISOString();
    const record = (id: string, to: string, cls: string) =>
      JSON.stringify({ v: 1, id, invite: now, end: now, dur: 0, disp: 'answered', status: 200, action: 'allow', class: cls, reason: 'class-of-service', rule: 'class:staff', from: '4102', to, lock: 'locked' });
    mkdirSync(join(api.dataDir, 'calls'), { recursive: true });
    writeFileSync(join(api.dataDir, 'calls', `${now.slice(0, 10)}.jsonl`), `${record('c1', '02079460123', 'geographic')}\n${record('c2', '01707284000', 'geographic')}\n`);
    const impact = await api.request('POST', '/api/lists/deny?dryRun=true', { body: { prefix: '+44207946', reason: 'Fraud range' } });
    expect(impact.status).toBe(200);
    expect(impact.body.calls).toMatchObject({ replayed: 2, changed: 1, byChange: [['allow/class-of-service -> reject/deny-list', 1]] });
    expect(impact.body.calls.examples[0]).toMatchObject({ id: 'c1', from: '4102', to: '02079460123', after: { action: 'reject', reason: 'deny-list' } });
    const before = api.file('lists.yaml');
    const r = await api.request('POST', '/api/lists/deny?dryRun=true', { body: { prefix: '+44871234', reason: 'Another chat line' } });
    expect(r.status).toBe(200);
    expect(r.body.dryRun).toBe(true);
    expect(r.body.diff).toContain('+  - prefix: "+44871234"');
    expect(r.body.diff).toContain('+    reason: Another chat line');
    const bad = await api.request('POST', '/api/lists/deny?dryRun=true', { body: { number: '112', reason: 'x' } });
    expect(bad.status).toBe(422);
    expect(api.file('lists.yaml')).toBe(before);
  });

  it('changes an entry in place (a PATCH keeps the rest) and needs the version it read', async () => {
    const read = await api.request('GET', '/api/lists');
    const none = await api.request('PATCH', '/api/lists/deny-2', { body: { reason: 'x' } });
    expect(none.status).toBe(428);
    const stale = await api.request('PATCH', '/api/lists/deny-2', { body: { reason: 'x' }, headers: { 'if-match': '"0000"' } });
    expect(stale.status).toBe(412);
    const before = api.file('lists.yaml');
    const r = await api.request('PATCH', '/api/lists/deny-2', {
      body: { reason: 'Known fraud number reported by Action Fraud (ref. AF-2026-77)', until: '2099-01-01' },
      headers: { 'if-match': read.body.version },
    });
    expect(r.status).toBe(200);
    expect(r.body.before).toMatchObject({ number: '02079460999', reason: 'Known fraud number reported by Action Fraud' });
    expect(r.body.after).toMatchObject({ number: '02079460999', for: 'everyone', until: '2099-01-01' });
    const after = api.file('lists.yaml');
    expect(after).toBe(
      before.replace('reason: Known fraud number reported by Action Fraud\n', 'reason: Known fraud number reported by Action Fraud (ref. AF-2026-77)\n    until: 2099-01-01\n'),
    );
    expect(r.headers.get('etag')).not.toBe(read.body.version);
  });

  it('two concurrent edits from the same version: one is made, the other gets 412 and is not lost silently', async () => {
    const { version } = (await api.request('GET', '/api/lists')).body;
    const edit = (reason: string) => api.request('PUT', '/api/lists/deny-1', { body: { prefix: '+4487123', for: 'everyone', reason }, headers: { 'if-match': version } });
    const results = await Promise.all([edit('Chat line (first admin)'), edit('Chat line (second admin)')]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 412]);
    const winner = results.find((r) => r.status === 200)!.body.after.reason as string;
    expect(api.file('lists.yaml')).toContain(`reason: ${winner}\n`);
    // Concurrent adds never lose one either.
    const adds = await Promise.all(['+44871230001', '+44871230002', '+44871230003'].map((number) => api.request('POST', '/api/lists/deny', { body: { number, reason: `Fraud ${number}` } })));
    expect(adds.map((r) => r.status)).toEqual([201, 201, 201]);
    for (const n of ['+44871230001', '+44871230002', '+44871230003']) expect(api.file('lists.yaml')).toContain(`"${n}"`);
  });

  it('removes an entry', async () => {
    const { version, deny } = (await api.request('GET', '/api/lists')).body;
    const last = deny.at(-1);
    const r = await api.request('DELETE', `/api/lists/${last.id}`, { headers: { 'if-match': version } });
    expect(r.status).toBe(200);
    expect(r.body.before.number).toBe(last.entry.number);
    expect(api.file('lists.yaml')).not.toContain(last.entry.number);
    expect((await loadPlan(api.plan.dir)).ok).toBe(true);
  });
});

describe('grants', () => {
  it('lists, adds, changes and removes grants in grants.yaml, keeping its comments', async () => {
    const list = await api.request('GET', '/api/grants', { token: api.tokens.auditor });
    expect(list.body.grants.map((g: { id: string }) => g.id)).toEqual(['amoreno-cern', 'bokafor-fieldwork']);
    const add = await api.request('POST', '/api/grants', {
      body: { id: 'cwei-conference', user: 'cwei', countries: ['us', 'CA'], until: '2099-06-30', reason: 'Conference in Toronto', approver: 'Head of Department' },
    });
    expect(add.status).toBe(201);
    const text = api.file('grants.yaml');
    expect(text).toContain('prefixes: ["+881"]             # Iridium handsets on the field campaign');
    expect(text).toContain('  - id: cwei-conference\n    user: cwei\n    countries: [US, CA]\n    until: 2099-06-30\n');
    const { version } = (await api.request('GET', '/api/grants')).body;
    const patch = await api.request('PATCH', '/api/grants/cwei-conference', { body: { countries: ['US'] }, headers: { 'if-match': version } });
    expect(patch.status).toBe(200);
    expect(api.file('grants.yaml')).toContain('    countries: [US]\n');
    const rename = await api.request('PATCH', '/api/grants/cwei-conference', { body: { id: 'other' }, headers: { 'if-match': patch.body.version } });
    expect(rename.status).toBe(400);
    const unknown = await api.request('POST', '/api/grants', { body: { user: 'nobody', worldwide: true, reason: 'x', approver: 'y' } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.problems[0].where).toMatch(/^grants\.yaml:\d+/);
    const del = await api.request('DELETE', '/api/grants/cwei-conference', { headers: { 'if-match': patch.body.version } });
    expect(del.status).toBe(200);
    expect(api.file('grants.yaml')).not.toContain('cwei');
    expect((await api.request('DELETE', '/api/grants/cwei-conference', { headers: { 'if-match': '*' } })).status).toBe(404);
  });
});

describe('phones', () => {
  it('status, lock and PIN reset; the PIN is never echoed, logged or audited', async () => {
    const pin = '570318';
    const status = await api.request('GET', '/api/phones/4101', { token: api.tokens.auditor });
    expect(status.body).toMatchObject({ ext: '4101', hasPin: false });
    expect((await api.request('GET', '/api/phones/0000')).status).toBe(404);
    expect((await api.request('GET', '/api/phones/abc')).status).toBe(400);
    const weak = await api.request('PUT', '/api/phones/4101/pin', { body: { pin: '123456' } });
    expect(weak.status).toBe(400);
    expect(weak.text).not.toContain('123456');
    const dry = await api.request('PUT', '/api/phones/4101/pin?dryRun=true', { body: { pin } });
    expect(dry.status).toBe(200);
    expect((await api.request('GET', '/api/phones/4101')).body.hasPin).toBe(false);
    const set = await api.request('PUT', '/api/phones/4101/pin', { body: { pin } });
    expect(set.status).toBe(200);
    expect(set.text).not.toContain(pin);
    expect((await api.request('GET', '/api/phones/4101')).body).toMatchObject({ hasPin: true, lock: 'locked' });
    expect((await api.state.unlock('4101', pin, Date.now())).outcome).toBe('unlocked');
    const lock = await api.request('POST', '/api/phones/4101/lock');
    expect(lock.body).toEqual({ ext: '4101', lock: 'locked' });
    expect(api.auditText).toContain('"action":"pin.reset"');
    expect(api.auditText).toContain('"action":"phone.lock","target":"4101","before":{"lock":"unlocked"}');
    for (const text of [api.auditText, api.logs.join('')]) expect(text).not.toContain(pin);
    expect((await api.request('PUT', '/api/phones/4101/pin', { body: { pin: 570318 } })).status).toBe(400);
  });
});

describe('check and audit', () => {
  it('GET /api/check answers as callguard check does', async () => {
    const r = await api.request('GET', '/api/check?from=4101&to=999', { token: api.tokens.auditor });
    expect(r.body).toMatchObject({ action: 'emergency', class: 'emergency', reason: 'emergency-number' });
    const intl = await api.request('GET', '/api/check?from=4101&to=0033142685300&lock=unlocked');
    expect(intl.body).toMatchObject({ action: 'allow', reason: 'international-granted', lock: 'unlocked' });
    expect((await api.request('GET', '/api/check?from=4101')).status).toBe(400);
    expect((await api.request('GET', '/api/check?from=4101&to=1&at=never')).status).toBe(400);
  });

  it('GET /api/audit and `callguard audit --since` show who changed what', async () => {
    const r = await api.request('GET', '/api/audit?since=2000-01-01', { token: api.tokens.auditor });
    expect(r.body.records.map((x: { action: string }) => x.action)).toEqual(expect.arrayContaining(['list.add', 'list.change', 'list.remove', 'grant.add', 'pin.reset', 'phone.lock']));
    expect((await api.request('GET', '/api/audit?since=2999-01-01')).body.records).toEqual([]);
    // A day that does not exist is refused, not read as another (Date.parse makes 2026-02-30 the 2nd of March).
    const noSuchDay = await api.request('GET', '/api/audit?since=2026-02-30');
    expect(noSuchDay.status).toBe(400);
    expect(noSuchDay.body.error).toMatch(/since=/);
    expect((await api.request('GET', '/api/audit?since=2026-03-01T09:00:00Z')).status).toBe(200);
    const file = join(api.dataDir, 'audit.jsonl');
    const cli = callguard(['audit', '--since', '2000-01-01', '--file', file]);
    expect(cli.status).toBe(0);
    expect(cli.stdout).toMatch(/alice \(admin\) from \S+ {2}list\.add allow-3/);
    expect(callguard(['audit', '--since', '2999-01-01', '--file', file]).stdout).toBe('');
    expect(callguard(['audit', '--since', 'soon', '--file', file]).status).toBe(2);
    expect(callguard(['audit', '--since', '2026-02-30', '--file', file]).status).toBe(2);
  });
});

describe('callguard token', () => {
  it('prints a new token once and keeps only its hash', () => {
    const file = join(api.dataDir, 'cli-tokens.json');
    const r = callguard(['token', 'add', 'olivia', '--role', 'security', '--file', file]);
    expect(r.status).toBe(0);
    const token = r.stdout.trim();
    expect(token).toMatch(/^cg_[0-9a-f]{12}_[\w-]{43}$/);
    const stored = readFileSync(file, 'utf8');
    expect(stored).not.toContain(secretOf(token));
    expect(stored).toContain('"role": "security"');
    expect(callguard(['token', 'list', '--file', file]).stdout).toMatch(/^olivia\tsecurity\t/);
    expect(callguard(['token', 'add', 'olivia', '--role', 'admin', '--file', file]).status).toBe(2);
    expect(callguard(['token', 'add', 'x', '--role', 'root', '--file', file]).status).toBe(2);
    expect(callguard(['token', 'remove', 'olivia', '--file', file]).status).toBe(0);
  });
});

describe('a Redis that takes bytes but never answers (hung, or cut off without a reset)', () => {
  let redis: RedisServer;
  let api: ApiServer;

  beforeAll(async () => {
    redis = await RedisServer.start();
    api = await ApiServer.start({ redisUrl: redis.url });
  });

  afterAll(async () => {
    redis?.resume();
    await api?.stop();
    await redis?.stop();
  });

  it('a lock is answered 503 with the reason, not left without an answer', async () => {
    expect((await api.request('POST', '/api/phones/4101/lock')).status).toBe(200);
    redis.pause();
    try {
      const reply = await api.request('POST', '/api/phones/4101/lock');
      expect(`${reply.status} ${reply.text}`).toMatch(/^503 .*Redis cannot be reached/);
    } finally {
      redis.resume();
    }
  }, 40_000);
});
