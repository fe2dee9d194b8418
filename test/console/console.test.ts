/**
 * The Security Control console in a real headless Chromium (Debian `chromium`, driven by
 * playwright-core), against `callguard serve` in-process on the fake drachtio-server: a 999 call made
 * through the SIP edge appears on the page, the page sounds until an officer acknowledges it, the
 * acknowledgement shows on a second console, and a dropped feed shows as disconnected and recovers.
 * Screenshots for the README: `CALLGUARD_SCREENSHOTS=1 npx vitest run test/console` writes docs/console-*.png.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, CONSOLE_WAIT_MS as WAIT, ConsoleApp } from '../support/consoleFixture.js';
import * as sip from '../support/sipText.js';

const haveChromium = chromiumOrSkip('console browser tests');

/** The README's screenshots are rewritten only on request (CALLGUARD_SCREENSHOTS=1); otherwise they go to a temp dir. */
const DOCS = process.env.CALLGUARD_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'callguard-shots-'));

interface ConsoleState {
  feed: string;
  alarm: boolean;
  beeps: number;
  audio: string;
  connects: number;
}

describe.skipIf(!haveChromium)('Security Control console in Chromium', () => {
  let app: ConsoleApp;
  let officer: Page;
  let colleague: Page;

  const state = (page: Page) => page.evaluate(() => (window as unknown as { callguardConsole: ConsoleState }).callguardConsole);

  beforeAll(async () => {
    app = await ConsoleApp.start({
      users: { 'sam.patel': 'security', 'olivia.grant': 'security', audrey: 'auditor' },
      chromiumArgs: ['--autoplay-policy=no-user-gesture-required'],
    });
    const context = await app.browser.newContext({ viewport: { width: 1500, height: 900 }, deviceScaleFactor: 1 });
    officer = await context.newPage();
    colleague = await context.newPage();
  });

  afterAll(async () => {
    await app?.stop();
    if (process.env.CALLGUARD_SCREENSHOTS !== '1') rmSync(DOCS, { recursive: true, force: true });
  });

  it('refuses a token without the console role, and opens for an officer using the keyboard only', async () => {
    await officer.goto(`${app.url}/console`);
    await officer.screenshot({ path: join(DOCS, 'console-sign-in.png') });
    await officer.locator('#token').focus();
    await officer.keyboard.type(app.tokens.audrey!);
    await officer.keyboard.press('Enter');
    await expectText(officer, '#sign-in-error', /may not open the console/);
    await app.signIn(officer, app.tokens['sam.patel']!);
    await app.signIn(colleague, app.tokens['olivia.grant']!);
    expect(await officer.textContent('#officer')).toBe('sam.patel (security)');
    expect((await state(officer)).alarm).toBe(false);
  });

  it('a hotline call shows whether Security answered or it went to failover', async () => {
    const a = app.call('2900', '0');
    const desk = await app.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    expect(desk.uri).toContain('2222@');
    desk.respond(486);
    const backup = await app.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    expect(backup.uri).toContain('2223@');
    backup.respond(200, { body: sip.sdp({ ip: '192.0.2.30' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await expectText(officer, '#recent .alert.hotline', /Main Building, lift 1 car[\s\S]*Answered by failover 2223/);
    expect((await state(officer)).alarm).toBe(false);
  });

  it('a 999 call appears at once, pinned and sounding, until an officer acknowledges it; every console sees who and when', async () => {
    const started = Date.now();
    const a = app.call('4101', '999');
    const trunk = await app.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
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
    app.server.http.close();
    app.server.http.closeAllConnections();
    await officer.waitForSelector('body[data-feed="disconnected"]', { timeout: WAIT });
    expect(await officer.isVisible('#disconnected')).toBe(true);
    expect(await officer.textContent('#feed-state')).toBe('Disconnected');
    await officer.screenshot({ path: join(DOCS, 'console-disconnected.png') });

    // An emergency while the console is cut off.
    const a = app.call('4102', '9999');
    const trunk = await app.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    trunk.respond(200, { body: sip.sdp({ ip: '192.0.2.41' }) });
    expect((await a.finalResponse()).status).toBe(200);

    await new Promise<void>((resolve, reject) => {
      app.server.http.once('error', reject);
      app.server.http.listen(app.port, '127.0.0.1', () => resolve());
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
