/**
 * Running the server: drain (503 with Retry-After for new calls, connected calls ended after
 * drainSeconds, /health 503), /health and /metrics, and hot reload of the dialplan (a bad edit refused
 * with file:line while the old plan keeps deciding; a good edit live).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Edge, INTERNAL, until } from '../support/edgeFixture.js';

describe('SIP edge: health, metrics, reload and drain', () => {
  let edge: Edge;

  beforeEach(async () => {
    edge = await Edge.start();
  });

  afterEach(async () => {
    await edge.stop();
  });

  it('/health is 200 with the drachtio connection and the plan while serving', async () => {
    await until('drachtio connected', async () => (await edge.get('/health')).status === 200);
    const health = JSON.parse((await edge.get('/health')).text) as Record<string, any>;
    expect(health.ok).toBe(true);
    expect(health.drachtio.connected).toBe(true);
    expect(health.plan.version).toBeGreaterThanOrEqual(1);
    expect(Number.isNaN(Date.parse(health.plan.loadedAt))).toBe(false);
  });

  it('/metrics counts decisions by action, class and reason', async () => {
    await edge.invite('4101', '909012345678').finalResponse();
    await edge.invite('4101', '909012345679').finalResponse();
    await edge.invite('4101', '4999').finalResponse();
    expect(await edge.metric('callguard_decisions_total', { action: 'reject', class: 'premium', reason: 'premium-barred' })).toBe(2);
    expect(await edge.metric('callguard_decisions_total', { action: 'reject', class: 'invalid', reason: 'invalid-number' })).toBe(1);
    const text = (await edge.get('/metrics')).text;
    expect(text).toMatch(/^callguard_decision_seconds_count \d+/m);
    expect(text).toMatch(/^callguard_invite_final_response_seconds_count\{status="4xx"\} 3$/m);
  });

  it('a bad dialplan edit is refused with file:line and the old plan keeps deciding; a good edit is live', async () => {
    const file = join(edge.plan.dir, 'extensions', 'academic.yaml');
    const good = readFileSync(file, 'utf8');
    edge.plan.write('extensions/academic.yaml', good.replace('class: common-area', 'class: no-such-class'));
    const refused = await edge.waitForLog('the refused reload', (l) => /refused/.test(l.msg ?? ''));
    expect(JSON.stringify(refused.problems)).toMatch(/academic\.yaml:\d+/);
    expect(await edge.metric('callguard_plan_reloads_total', { outcome: 'refused' })).toBeGreaterThanOrEqual(1);
    // the old plan: 4150 is still a common-area phone that may call a geographic number
    const a = edge.invite('4150', '901707123456');
    const b = await edge.nextInvite();
    b.respond(486);
    expect((await a.finalResponse()).status).toBe(486);

    // a good edit: 4150 becomes a hotline, live
    edge.plan.write('extensions/academic.yaml', good.replace(/(ext: "4150"[\s\S]*?class:) common-area/, '$1 hotline\n    emergencyLine: true'));
    await edge.waitForLog('the reload', (l) => l.msg === 'dialplan reloaded');
    const hot = edge.invite('4150', '901707123456');
    const security = await edge.nextInvite();
    expect(security.uri).toBe(`sip:2222@${INTERNAL}`);
    security.respond(486);
    (await edge.nextInvite()).respond(486);
    (await edge.nextInvite()).respond(486);
    expect((await hot.finalResponse()).status).toBeGreaterThanOrEqual(400);
  });

  it('drain: new calls get 503 with Retry-After, /health 503, connected calls are ended after drainSeconds', async () => {
    const call = await edge.connect('4101', '4202');
    const drained = edge.drain();
    expect((await edge.get('/health')).status).toBe(503);
    const refused = await edge.invite('4202', '4101').finalResponse();
    expect(refused.status).toBe(503);
    expect(refused.get('Retry-After')).toMatch(/^\d+$/);
    expect(refused.get('Reason')).toMatch(/^Q\.850;cause=\d+/);
    // after drainSeconds (2) both legs get a BYE
    const byes = [await edge.nextRequest('BYE', 20_000), await edge.nextRequest('BYE', 20_000)];
    for (const bye of byes) bye.respond(200);
    expect(byes.map((b) => b.get('Call-ID')).sort()).toEqual([call.a.request!.callId, call.b.get('Call-ID')].sort());
    await drained;
    expect(edge.logs.some((l) => l.msg === 'drained; exiting')).toBe(true);
  });
});
