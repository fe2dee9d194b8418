import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { ApiServer } from './apiServer.js';

describe('rate limiting of failed authentication', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await ApiServer.start({ rateLimit: { maxFailures: 3, windowMs: 60_000 } });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('after repeated failures the address is refused, even with a good token, and told when to come back', async () => {
    expect((await api.request('GET', '/api/whoami')).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await api.request('GET', '/api/whoami', { token: `guess-${i}` })).status).toBe(401);
    const limited = await api.request('GET', '/api/whoami');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body).toEqual({ error: 'too many failed attempts' });
  });
});

describe('fuzzed bodies', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await ApiServer.start();
  });
  afterAll(async () => {
    await api?.stop();
  });

  const field = fc.oneof(
    fc.constantFrom('number', 'prefix', 'for', 'reason', 'approver', 'from', 'until', 'user', 'countries', 'prefixes', 'worldwide', 'id', 'pin', '__proto__', 'constructor'),
    fc.string({ maxLength: 8 }),
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('everyone', '+4487', '999', '2026-02-30', '2026-01-01', '0207946', 'amoreno', 'FR', '\u0000', 'a\nb: c', '"', '- x', '{', '#', ': ', '&a', '*a', '!!binary x'),
    fc.record({ users: fc.array(fc.string({ maxLength: 6 }), { maxLength: 2 }) }),
  );
  const body = fc.oneof(fc.dictionary(field, value, { maxKeys: 7 }), fc.jsonValue({ maxDepth: 2 }));
  const target = fc.constantFrom(
    ['POST', '/api/lists/allow'],
    ['POST', '/api/lists/deny'],
    ['POST', '/api/lists/deny?dryRun=true'],
    ['PATCH', '/api/lists/deny-1'],
    ['PUT', '/api/lists/allow-2'],
    ['POST', '/api/grants'],
    ['PATCH', '/api/grants/amoreno-cern'],
    ['PUT', '/api/phones/4101/pin'],
  );

  it('never answer 500 and never leave a half-written or invalid plan', async () => {
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(target, body, fc.boolean(), async ([method, path], json, raw) => {
        const headers = { 'if-match': '*' };
        const r = raw ? await api.request(method!, path!, { raw: JSON.stringify(json).slice(0, -1), headers }) : await api.request(method!, path!, { body: json, headers });
        statuses.add(r.status);
        expect(r.status, `${method} ${path} ${JSON.stringify(json)} -> ${r.text}`).toBeLessThan(500);
        expect(r.body?.error ?? '', r.text).not.toBe('internal error');
      }),
      { numRuns: 150 },
    );
    expect([...statuses].every((s) => [200, 201, 400, 404, 409, 422].includes(s))).toBe(true);
    const plan = await loadPlan(api.plan.dir);
    expect(plan.ok ? [] : plan.problems).toEqual([]);
  });
});
