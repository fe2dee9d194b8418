/**
 * Toll-fraud limits at the SIP edge: two `callguard serve` instances (each on its own fake
 * drachtio-server) sharing one real redis-server, amoreno (4101, granted CH) with an unlocked phone.
 * Counts reach the other instance only through the background sync, never on the call path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from 'redis';
import { loadPlan } from '../../src/dialplan/load.js';
import { openState, type RuntimeState } from '../../src/state/index.js';
import { Edge, until } from '../support/edgeFixture.js';
import type { InboundTransaction } from '../support/fakeDrachtio.js';
import { RedisServer } from '../support/redisServer.js';

/** Tuesday 24 November 2026, 10:00 in London: in hours. */
const TUESDAY_10AM = Date.parse('2026-11-24T10:00:00Z');
/** The same day at 22:00: out of hours (19:00-07:00). */
const TUESDAY_10PM = Date.parse('2026-11-24T22:00:00Z');
const ZURICH = '90041446681800';
const PIN = '482916';

const LIMITS = `limits:
  outOfHours: { from: "19:00", to: "07:00", weekends: true }
  default:
    international: { perHour: 10, perDay: 100 }
    outOfHours:
      international: { perHour: 2 }
`;

/** Answers every call the app places with 486 (so each ends at once) and every alert MESSAGE with 200. */
function answerEverything(edge: Edge): { stop(): void } {
  let running = true;
  void (async () => {
    while (running) {
      const request = await edge.fake.nextOutboundRequest({ timeoutMs: 60_000 }).catch(() => undefined);
      if (!request || !running) continue;
      if (request.method === 'INVITE') request.respond(486);
      else if (request.method === 'MESSAGE') request.respond(200);
    }
  })();
  return { stop: () => (running = false) };
}

async function fraudAlerts(url: string): Promise<Array<Record<string, string>>> {
  const client = createClient({ url });
  client.on('error', () => {});
  await client.connect();
  try {
    return ((await client.xRange('callguard:alerts', '-', '+')) ?? []).map((e) => ({ ...e.message }) as Record<string, string>).filter((a) => a.kind === 'fraud');
  } finally {
    await client.close();
  }
}

/**
 * Until amoreno's international calls in the current hour, as shared in Redis, reach `n`, and the
 * instances have had a few rounds (200 ms each) to read that back: until its round has finished, an
 * instance counts its own shared calls twice over (the safe side), and a busy machine slows rounds.
 */
async function untilShared(url: string, n: number): Promise<void> {
  await until(`${n} calls shared`, async () => {
    const client = createClient({ url });
    client.on('error', () => {});
    await client.connect();
    try {
      return Number(await client.hGet(`callguard:usage:h:${Math.floor(TUESDAY_10PM / 3_600_000)}`, 'amoreno|international')) >= n;
    } finally {
      await client.close();
    }
  });
  await new Promise((resolve) => setTimeout(resolve, 1_000));
}

const isFraudLimit = (final: { status: number; get(name: string): string | undefined }) => final.status === 403 && /fraud-limit/.test(final.get('Reason') ?? '');

describe('toll-fraud limits, two instances sharing one redis-server', () => {
  let redis: RedisServer;
  let clock = TUESDAY_10AM;
  const edges: Edge[] = [];
  const responders: { stop(): void }[] = [];
  let state: RuntimeState;

  beforeAll(async () => {
    redis = await RedisServer.start();
    const loaded = await loadPlan('dialplan');
    if (!loaded.ok) throw new Error('sample plan');
    // amoreno sets a PIN and unlocks the desk phone before the instances start, so both load it unlocked.
    state = await openState({ plan: loaded.plan, redis: { url: redis.url } });
    await state.setPin('4101', PIN);
    expect(await state.unlock('4101', PIN, clock)).toEqual({ outcome: 'unlocked' });
    for (let i = 0; i < 2; i++) edges.push(await Edge.start({ redisUrl: redis.url, limits: LIMITS, now: () => clock }));
    for (const edge of edges) responders.push(answerEverything(edge));
    // Each instance must have seen the other before the burst: the overshoot bound counts on it.
    for (const edge of edges) await edge.waitForLog('both instances sharing counts', (l) => l.msg === 'instances sharing the toll-fraud limit counts' && l.instances === 2, 20_000);
  }, 60_000);

  afterAll(async () => {
    for (const r of responders) r.stop();
    await Promise.allSettled(edges.map((e) => e.stop()));
    await state?.backend.close();
    await redis?.kill();
  });

  it('stops a burst of 100 calls abroad in a second at the hourly limit, within the stated overshoot bound', async () => {
    const calls: InboundTransaction[] = [];
    for (let i = 0; i < 100; i++) calls.push(edges[i % 2]!.invite('4101', ZURICH));
    const finals = await Promise.all(calls.map((c) => c.finalResponse({ timeoutMs: 30_000 })));
    const admitted = finals.filter((f) => f.status === 486).length;
    const refused = finals.filter(isFraudLimit).length;
    expect(admitted + refused).toBe(100);
    expect(admitted).toBeGreaterThanOrEqual(10);
    // (N - 1) x ceil(L / N) = 5 at most, when one instance shares its calls mid-burst before the other;
    // in step (the usual case here) it is 10 or 11.
    expect(admitted).toBeLessThanOrEqual(10 + 5);
    // One FRAUD alert for the limit and hour, across both instances.
    const alerts = await until('the FRAUD alert', async () => {
      const found = await fraudAlerts(redis.url);
      return found.length > 0 && found;
    });
    expect(alerts[0]).toMatchObject({ kind: 'fraud', ext: '4101', dialled: ZURICH });
    expect(alerts[0]!.note).toMatch(/international-per-hour limit 10 reached by amoreno/);
    const settled = await fraudAlerts(redis.url);
    expect(settled).toHaveLength(1);
  });

  it('lets 999 through from the same user while over every limit', async () => {
    const call = edges[0]!.invite('4101', '999');
    // The emergency trunk is the first INVITE the app places; the responder answers it 486, so it fails over.
    const final = await call.finalResponse({ timeoutMs: 30_000 });
    expect(isFraudLimit(final)).toBe(false);
    await edges[0]!.waitForLog('the emergency decision', (l) => l.msg === 'emergency call' && l.to === '999' && l.from === '4101');
  });

  it('applies the lower out-of-hours limit', async () => {
    clock = TUESDAY_10PM; // a new hour, out of hours: 2 calls an hour
    // The phone locked itself at 19:00; amoreno unlocks it again. Calls get 503 (no PIN prompt without a
    // media server, nothing counted) until the instance has heard of the unlock.
    expect(await state.unlock('4101', PIN, clock)).toEqual({ outcome: 'unlocked' });
    const first = await until('the unlock to reach the instance', async () => {
      const final = await edges[0]!.invite('4101', ZURICH).finalResponse({ timeoutMs: 30_000 });
      return final.status !== 503 && final;
    });
    // Calls a person makes seconds apart: each is shared before the next (within one sync an instance
    // counts its own new calls twice over, for the other instance may have matched them).
    await untilShared(redis.url, 1);
    const second = await edges[0]!.invite('4101', ZURICH).finalResponse({ timeoutMs: 30_000 });
    await untilShared(redis.url, 2);
    const third = await edges[0]!.invite('4101', ZURICH).finalResponse({ timeoutMs: 30_000 });
    expect([first.status, second.status]).toEqual([486, 486]);
    expect(isFraudLimit(third)).toBe(true);
    await edges[0]!.waitForLog('the out-of-hours refusal', (l) => l.msg === 'decision' && l.reason === 'fraud-limit' && l.rule === 'limit:international-per-hour' && /limits\.yaml:\d+/.test(String(l.where)));
  }, 60_000);
});
