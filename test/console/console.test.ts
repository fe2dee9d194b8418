/**
 * The Security Control console in a real headless Chromium (Debian `chromium`, driven by
 * playwright-core), against `callguard serve` in-process on the fake drachtio-server: a 999 call made
 * through the SIP edge appears on the page, the page sounds until an officer acknowledges it, the
 * acknowledgement shows on a second console, and a dropped feed shows as disconnected and recovers.
 * Screenshots for the README: `CALLGUARD_SCREENSHOTS=1 npx vitest run test/console` writes docs/console-*.png.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { FakeDrachtio } from '../support/fakeDrachtio.js';
import { planCopy } from '../support/plans.js';
import * as sip from '../support/sipText.js';

const CHROMIUM = process.env.CALLGUARD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`console browser tests skipped: no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);

/** The README's screenshots are rewritten only on request (CALLGUARD_SCREENSHOTS=1); otherwise they go to a temp dir. */
const DOCS = process.env.CALLGUARD_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'callguard-shots-'));
const WAIT = 15_000;
const APP_HOST = 'callguard.herts.example.ac.uk';

interface ConsoleState {
  feed: string;
  alarm: boolean;
  beeps: number;
  audio: string;
  connects: number;
}

describe.skipIf(!haveChromium)('Security Control console in Chromium', () => {
  let plan: ReturnType<typeof planCopy>;
  let dataDir: string;
  let fake: FakeDrachtio;
  let server: RunningServer;
  let browser: Browser;
  let context: BrowserContext;
  let officer: Page;
  let colleague: Page;
  let url: string;
  let port: number;
  const tokens: Record<string, string> = {};

  const state = (page: Page) => page.evaluate(() => (window as unknown as { callguardConsole: ConsoleState }).callguardConsole);

  async function signIn(page: Page, token: string): Promise<void> {
    await page.goto(`${url}/console`);
    await page.locator('#token').focus();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-feed="connected"]', { timeout: WAIT });
  }

  /** A call from `from` dialling `to`, as a phone sends it through drachtio-server. */
  function call(from: string, to: string) {
    return fake.sendRequest(sip.invite({ from: `sip:${from}@192.0.2.10`, to: `sip:${to}@${APP_HOST}` }), { source_address: '192.0.2.10' });
  }

  beforeAll(async () => {
    plan = planCopy();
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-console-'));
    const tokensFile = join(dataDir, 'tokens.json');
    const cheap = { N: 2 ** 10, r: 8, p: 1 };
    tokens.sam = await addToken(tokensFile, 'sam.patel', 'security', cheap);
    tokens.olivia = await addToken(tokensFile, 'olivia.grant', 'security', cheap);
    tokens.audrey = await addToken(tokensFile, 'audrey', 'auditor', cheap);
    fake = await FakeDrachtio.start({ secret: 'console-secret', timeoutMs: WAIT });
    server = await startServer(
      {
        drachtio: { host: '127.0.0.1', port: fake.port, secret: fake.secret },
        http: { host: '127.0.0.1', port: 0 },
        trustedSources: new Set(),
        drainSeconds: 1,
        logLevel: 'info',
        admin: { tokensFile, auditLog: join(dataDir, 'audit.jsonl') },
      },
      plan.dir,
      pino({ level: 'silent' }),
      { dataDir },
    );
    await fake.waitForRoutes(['invite']);
    port = (server.http.address() as AddressInfo).port;
    url = `http://127.0.0.1:${port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--autoplay-policy=no-user-gesture-required'],
    });
    context = await browser.newContext({ viewport: { width: 1500, height: 900 }, deviceScaleFactor: 1 });
    officer = await context.newPage();
    colleague = await context.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.drain();
    await fake?.close();
    plan?.remove();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    if (process.env.CALLGUARD_SCREENSHOTS !== '1') rmSync(DOCS, { recursive: true, force: true });
  });

  it('refuses a token without the console role, and opens for an officer using the keyboard only', async () => {
    await officer.goto(`${url}/console`);
    await officer.screenshot({ path: join(DOCS, 'console-sign-in.png') });
    await officer.locator('#token').focus();
    await officer.keyboard.type(tokens.audrey!);
    await officer.keyboard.press('Enter');
    await expectText(officer, '#sign-in-error', /may not open the console/);
    await signIn(officer, tokens.sam!);
    await signIn(colleague, tokens.olivia!);
    expect(await officer.textContent('#officer')).toBe('sam.patel (security)');
    expect((await state(officer)).alarm).toBe(false);
  });

  it('a hotline call shows whether Security answered or it went to failover', async () => {
    const a = call('2900', '0');
    const desk = await fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    expect(desk.uri).toContain('2222@');
    desk.respond(486);
    const backup = await fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    expect(backup.uri).toContain('2223@');
    backup.respond(200, { body: sip.sdp({ ip: '192.0.2.30' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await expectText(officer, '#recent .alert.hotline', /Main Building, lift 1 car[\s\S]*Answered by failover 2223/);
    expect((await state(officer)).alarm).toBe(false);
  });

  it('a 999 call appears at once, pinned and sounding, until an officer acknowledges it; every console sees who and when', async () => {
    const started = Date.now();
    const a = call('4101', '999');
    const trunk = await fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    expect(trunk.uri).toContain('999@');
    const pinned = officer.locator('#pinned .alert.emergency');
    await pinned.waitFor({ timeout: WAIT });
    const latency = Date.now() - started;
    console.log(`console: the 999 call reached the page ${latency} ms after the INVITE was sent`);
    await expectText(officer, '#pinned .alert.emergency', /EMERGENCY[\s\S]*Lindop Building, room 2F410[\s\S]*Ext 4101 · Dr Alice Moreno[\s\S]*Dialled 999 · Callback \+441707284101/);
    await colleague.locator('#pinned .alert.emergency').waitFor({ timeout: WAIT });
    trunk.respond(200, { body: sip.sdp({ ip: '192.0.2.40' }) });
    expect((await a.finalResponse()).status).toBe(200);

    // The page's own tone repeats while the emergency is unacknowledged.
    await officer.waitForFunction(() => (window as unknown as { callguardConsole: ConsoleState }).callguardConsole.beeps >= 3, undefined, { timeout: WAIT });
    const sounding = await state(officer);
    expect(sounding).toMatchObject({ alarm: true, audio: 'running' });
    expect(await officer.getAttribute('body', 'data-alarm')).toBe('on');
    expect(await officer.title()).toMatch(/^\(1\) EMERGENCY/);
    await officer.screenshot({ path: join(DOCS, 'console-emergency.png') });

    // Keyboard only: Tab reaches the Acknowledge button; the A key acknowledges the top emergency.
    await officer.keyboard.press('Tab');
    await officer.keyboard.press('a');
    await officer.waitForFunction(() => !(window as unknown as { callguardConsole: ConsoleState }).callguardConsole.alarm, undefined, { timeout: WAIT });
    expect(await officer.locator('#pinned .alert').count()).toBe(0);
    await expectText(officer, '#recent .alert.emergency', /Acknowledged by sam\.patel at \d\d:\d\d:\d\d/);
    await expectText(colleague, '#recent .alert.emergency', /Acknowledged by sam\.patel at \d\d:\d\d:\d\d/);
    expect((await state(colleague)).alarm).toBe(false);
    const beeps = (await state(officer)).beeps;
    await officer.waitForTimeout(2_000);
    expect((await state(officer)).beeps).toBe(beeps); // silent once acknowledged
    await officer.screenshot({ path: join(DOCS, 'console-acknowledged.png') });
  });

  it('a dropped feed shows as disconnected, recovers, and shows what happened meanwhile', async () => {
    const connects = (await state(officer)).connects;
    server.http.close();
    server.http.closeAllConnections();
    await officer.waitForSelector('body[data-feed="disconnected"]', { timeout: WAIT });
    expect(await officer.isVisible('#disconnected')).toBe(true);
    expect(await officer.textContent('#feed-state')).toBe('Disconnected');
    await officer.screenshot({ path: join(DOCS, 'console-disconnected.png') });

    // An emergency while the console is cut off.
    const a = call('4102', '9999');
    const trunk = await fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    trunk.respond(200, { body: sip.sdp({ ip: '192.0.2.41' }) });
    expect((await a.finalResponse()).status).toBe(200);

    await new Promise<void>((resolve, reject) => {
      server.http.once('error', reject);
      server.http.listen(port, '127.0.0.1', () => resolve());
    });
    await officer.waitForSelector('body[data-feed="connected"]', { timeout: WAIT });
    expect(await officer.isVisible('#disconnected')).toBe(false);
    expect((await state(officer)).connects).toBeGreaterThan(connects);
    await expectText(officer, '#pinned .alert.emergency', /Ext 4102/);
    await officer.waitForFunction(() => (window as unknown as { callguardConsole: ConsoleState }).callguardConsole.alarm, undefined, { timeout: WAIT });
    await colleague.waitForSelector('body[data-feed="connected"]', { timeout: WAIT });
  });
});

async function expectText(page: Page, selector: string, pattern: RegExp): Promise<void> {
  const locator = page.locator(selector).first();
  await locator.waitFor({ timeout: WAIT });
  await page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source!, flags).test(document.querySelector(sel!)?.textContent ?? ''),
    [selector, pattern.source, pattern.flags],
    { timeout: WAIT },
  ).catch(async () => {
    throw new Error(`${selector}: expected ${pattern}, found ${JSON.stringify(await locator.textContent())}`);
  });
}
