/**
 * The PSAP callback on the Security Control console, in a real headless Chromium (Debian `chromium`,
 * driven by playwright-core), against `callguard serve` in-process on the fake drachtio-server: a 999 from
 * a phone without a DDI shows its callback window on the emergency's card while the window lasts, and the
 * emergency service calling back shows on that card as "Callback from the emergency service → 4150".
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromiumOrSkip, CONSOLE_WAIT_MS as WAIT, ConsoleApp } from '../support/consoleFixture.js';
import type { OutboundRequest } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';

const haveChromium = chromiumOrSkip('console PSAP callback tests');

const ANSWER = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });

describe.skipIf(!haveChromium)('PSAP callback on the console in Chromium', () => {
  let app: ConsoleApp;
  let page: Page;

  /** A call into drachtio-server: `from` dialling `to`; the app's first INVITE out is answered. */
  async function answeredCall(from: string, to: string): Promise<OutboundRequest> {
    const a = app.call(from, to);
    const b = await app.fake.nextOutboundRequest({ method: 'INVITE' });
    b.respond(200, { body: ANSWER });
    expect((await a.finalResponse()).status).toBe(200);
    return b;
  }

  const card = () => page.locator('.alert.emergency', { hasText: 'Ext 4150' });

  beforeAll(async () => {
    app = await ConsoleApp.start({ users: { 'sam.patel': 'security' } });
    page = await (await app.browser.newContext({ timezoneId: 'Europe/London' })).newPage();
    // The page's clock runs as usual, and can be moved on past the callback window.
    await page.clock.install();
    await app.signIn(page, app.tokens['sam.patel']!);
  }, 120_000);

  afterAll(async () => {
    await app?.stop();
  }, 60_000);

  it('the callback window on the emergency card while it lasts, and the callback itself on the same card', async () => {
    // 4150 (no DDI) dials 999 with the site's callback number (the sample plan: the main number).
    const trunk = await answeredCall('4150', '999');
    expect(trunk.get('P-Asserted-Identity')).toBe('<tel:+441707284000>');
    const window = card().locator('.callback-window');
    await window.waitFor({ timeout: WAIT });
    expect(await window.textContent()).toMatch(/^Callback window: \+441707284000 → 4150 until \d\d:\d\d:\d\d$/);
    expect(await card().getAttribute('aria-label')).toContain('Callback window: +441707284000 → 4150');

    // The emergency service calls the number back: the lab phone 4150 rings, and the card says so.
    const phone = await answeredCall('+441632960123', '+441707284000');
    expect(phone.uri).toMatch(/^sip:4150@/);
    const callback = card().locator('.outcome.callback');
    await callback.waitFor({ timeout: WAIT });
    expect(await callback.textContent()).toBe('Callback from the emergency service → 4150');
    expect(await page.locator('.alert.emergency').count()).toBe(1);

    // An hour on (the sample plan's callbackMinutes is 60), the window line has gone; the callback stays.
    await page.clock.fastForward(61 * 60_000);
    await card().locator('.callback-window').waitFor({ state: 'detached', timeout: WAIT });
    expect(await card().locator('.outcome.callback').textContent()).toBe('Callback from the emergency service → 4150');
    expect(await card().getAttribute('aria-label')).not.toContain('Callback window');
  }, 120_000);
});
