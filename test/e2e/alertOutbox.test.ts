/**
 * No alert is lost (issue 19), end to end: real redis-server, drachtio-server, `callguard serve` and SIPp
 * peers, and the Security console in headless Chromium. Redis is SIGKILLed, a 999 placed with SIPp
 * reaches the emergency trunk, its stream alert waits in the outbox on disk (/metrics says so), and
 * when Redis is back on the same port the alert is on `callguard:alerts` with its original time, marked
 * late, and on the console. Then the same with serve restarted while the alert waits: it is loaded
 * from disk at start and delivered.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';
import { e2eLab, labTempDir, quietly, startCallguard, waitFor } from '../support/lab.js';
import { dial, finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();
const CHROMIUM = process.env.CALLGUARD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (lab && !haveChromium) console.log(`alert outbox e2e skipped: no Chromium at ${CHROMIUM} (Debian package chromium)`);

const LOCATION_4101 = 'Lindop Building, room 2F410';
/** Generous: the outbox probes a channel that is down with back-off up to 30 s, and Redis clients reconnect within 5 s. */
const BACK_MS = 120_000;

interface StreamEntry {
  id: string;
  fields: Record<string, string>;
}

async function alertStream(redisUrl: string): Promise<StreamEntry[]> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    return ((await client.xRange('callguard:alerts', '-', '+')) ?? []).map((e) => ({ id: e.id, fields: { ...(e.message as Record<string, string>) } }));
  } finally {
    await client.close();
  }
}

/** The outbox gauge for the stream channel, from /metrics. */
async function waitingForStream(app: Stack['app']): Promise<number | undefined> {
  const text = await (await fetch(`http://127.0.0.1:${app.httpPort}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  const value = /^callguard_alert_outbox_alerts\{channel="redis-stream"\} (\d+)$/m.exec(text)?.[1];
  return value === undefined ? undefined : Number(value);
}

/** The alerts the stream channel's outbox file holds, undelivered. */
function keptOnDisk(dataDir: string): SecurityAlert[] {
  const file = join(dataDir, 'alert-outbox', 'redis-stream.jsonl');
  if (!existsSync(file)) return [];
  const kept = new Map<number, SecurityAlert>();
  for (const line of readFileSync(file, 'utf8').split('\n').filter(Boolean)) {
    const entry = JSON.parse(line) as { op: string; seq: number; alert?: SecurityAlert };
    if (entry.op === 'kept') kept.set(entry.seq, entry.alert!);
    else kept.delete(entry.seq);
  }
  return [...kept.values()];
}

describe.skipIf(!lab || !haveChromium)('no alert is lost: Redis down during a 999 call (real drachtio-server, Redis, SIPp, Chromium)', () => {
  let stack: Stack;
  let dataDir: string;
  let token: string;
  let browser: Browser;
  let officer: Page;

  const consoleUrl = () => `http://127.0.0.1:${stack.app.httpPort}/console`;

  async function signIn(page: Page): Promise<void> {
    await page.goto(consoleUrl());
    await page.locator('#token').focus();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-feed="connected"]', { timeout: 30_000 });
  }

  /** Kills Redis, places a 999 from 4101 that must reach the emergency trunk, and returns the alert the stream channel kept on disk. */
  async function emergencyWhileRedisIsDown(): Promise<SecurityAlert> {
    await stack.redis.kill();
    await waitFor('serve to see Redis gone', async () => {
      const health = (await (await fetch(`http://127.0.0.1:${stack.app.httpPort}/health`, { signal: AbortSignal.timeout(5_000) })).json()) as { redis?: { reachable?: boolean } };
      return health.redis?.reachable === false;
    }, 30_000, 200);
    const trunk = await peer(stack, 'emergency', 'answer', 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const uac = await dial(stack, { from: '4101', to: '999', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    expect(requests(trunk, 'INVITE')[0]?.uri, trunk.describe()).toMatch(new RegExp(`^sip:999@127\\.0\\.0\\.1:${stack.ports.emergency}\\b`));
    await finish(security);
    expect(requests(security, 'MESSAGE')[0]?.body.trimStart(), security.describe()).toMatch(/^EMERGENCY 999\b/);

    // The stream channel gave up its retries: the alert waits on disk, and /metrics says so.
    await waitFor('the stream alert in the outbox', async () => (await waitingForStream(stack.app)) === 1, 60_000, 250);
    const kept = await waitFor('the kept alert on disk', () => keptOnDisk(dataDir).find((a) => a.kind === 'emergency' && a.ext === '4101'), 20_000, 100);
    expect(kept).toMatchObject({ dialled: '999', callback: '+441707284101', location: LOCATION_4101 });
    return kept;
  }

  /** Waits for the kept alert on the stream, and checks it is the alert as raised, marked late. */
  async function onTheStreamLate(kept: SecurityAlert): Promise<StreamEntry> {
    const entry = await waitFor('the kept alert on callguard:alerts', async () => (await alertStream(stack.redis.url)).find((e) => e.fields.callId === kept.callId), BACK_MS, 500);
    expect(entry.fields).toMatchObject({ kind: 'emergency', ext: '4101', dialled: '999', callback: '+441707284101', location: LOCATION_4101, at: kept.at, late: 'true' });
    expect(Date.parse(entry.fields.deliveredAt ?? '')).toBeGreaterThan(Date.parse(kept.at));
    await waitFor('the outbox empty', async () => (await waitingForStream(stack.app)) === 0, 30_000, 250);
    // The journal is written in the background (fsync'd), after the gauge has moved.
    await waitFor('the outbox file without the alert', () => keptOnDisk(dataDir).length === 0, 30_000, 100);
    return entry;
  }

  async function lateOnConsole(page: Page, entry: StreamEntry): Promise<void> {
    const card = page.locator(`#pinned [data-id="${entry.id}"]`);
    await card.waitFor({ timeout: BACK_MS });
    const text = await card.innerText();
    expect(text).toMatch(/EMERGENCY[\s\S]*Lindop Building, room 2F410[\s\S]*Ext 4101 · Dr Alice Moreno[\s\S]*Dialled 999 · Callback \+441707284101/);
    expect(text).toMatch(/Delivered late at \d\d:\d\d:\d\d/);
  }

  beforeAll(async () => {
    dataDir = labTempDir('callguard-outbox-e2e-');
    token = await addToken(join(dataDir, 'tokens.json'), 'sam.patel', 'security', { N: 2 ** 10, r: 8, p: 1 });
    stack = await startStack(lab!, { env: { CALLGUARD_DATA_DIR: dataDir } });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    officer = await (await browser.newContext()).newPage();
    await signIn(officer);
  }, 180_000);

  afterAll(async () => {
    await quietly(() => browser?.close());
    await stopStack(stack);
  }, 90_000);

  it('Redis killed, a 999 placed, Redis restarted on the same port: the alert reaches the stream, marked late with its original time, and the console', async () => {
    const kept = await emergencyWhileRedisIsDown();
    await stack.redis.restart();
    const entry = await onTheStreamLate(kept);

    // The console open all along shows it, and so does one opened now.
    await lateOnConsole(officer, entry);
    const later = await officer.context().newPage();
    await signIn(later);
    await lateOnConsole(later, entry);
    await later.close();
  }, 300_000);

  it('serve restarted while the alert waits (Redis still down): the alert is loaded from disk at start and delivered when Redis is back', async () => {
    const kept = await emergencyWhileRedisIsDown();
    expect(await stack.app.stop(60_000), stack.app.output()).toBe(0);
    stack.app = await startCallguard({ dialplanDir: stack.dialplan.dir, drachtio: stack.drachtio, redisUrl: stack.redis.url, env: { CALLGUARD_DATA_DIR: dataDir } });
    await stack.app.waitForLog('the outbox loaded at start', (e) => e.msg === 'alert outbox: alerts from before the restart wait for their channel' && e.channel === 'redis-stream', 30_000);
    expect(await waitingForStream(stack.app)).toBe(1);

    await stack.redis.restart();
    const entry = await onTheStreamLate(kept);
    await signIn(officer);
    await lateOnConsole(officer, entry);
  }, 300_000);
});
