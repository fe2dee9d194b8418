/**
 * Call-out acknowledgements on the Security Control console, in a real headless Chromium (Debian
 * `chromium`, driven by playwright-core) against the admin API with this instance's own alert feed: a
 * responder's 1 shows on the emergency's card as "Call-out acknowledged by <responder> at <time>",
 * never as an alert of its own, and leaves the officer's own acknowledgement (and the alarm) to the
 * officer; a call-out nobody acknowledged shows as a failure on the card; the same call alerted again
 * by another callguard server is a note on its card, not a second alarm.
 */
import { existsSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';
import { ApiServer } from '../http/apiServer.js';

const CHROMIUM = process.env.CALLGUARD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`console call-out tests skipped: no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);

const WAIT = 15_000;
const TIMEZONE = 'Europe/London';
const at = (secondsAgo: number) => new Date(Date.now() - secondsAgo * 1000).toISOString();
/** The console's clock format, in the browser's zone. */
const clock = (iso: string) => new Date(iso).toLocaleTimeString('en-GB', { timeZone: TIMEZONE });

const EMERGENCY: SecurityAlert = { kind: 'emergency', ext: '4101', name: 'Dr Alice Moreno', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: at(60), callId: 'call-a' };

describe.skipIf(!haveChromium)('call-out acknowledgements on the console in Chromium', () => {
  let api: ApiServer;
  let browser: Browser;
  let page: Page;

  /** An alert raised on this instance, as the dispatcher's console channel delivers it. */
  const raise = (alert: SecurityAlert) => api.admin.channel!.deliver(alert);
  /** The emergency cards naming `who`. */
  const card = (who: string) => page.locator('.alert.emergency', { hasText: who });

  beforeAll(async () => {
    api = await ApiServer.start();
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const context = await browser.newContext({ timezoneId: TIMEZONE });
    page = await context.newPage();
    await page.goto(`${api.url}/console`);
    await page.locator('#token').fill(api.tokens.security);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-feed="connected"]', { timeout: WAIT });
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
  });

  it("a responder's 1 shows on the emergency's card with who and when; the card stays pinned for the officer", async () => {
    await raise(EMERGENCY);
    await page.waitForSelector('#pinned .alert.emergency', { timeout: WAIT });
    const ackAt = at(20);
    await raise({ ...EMERGENCY, callOutAck: { by: '2223', at: ackAt } });
    const line = page.locator('#pinned .alert.emergency .callout-ack');
    await line.waitFor({ timeout: WAIT });
    expect(await line.textContent()).toBe(`Call-out acknowledged by 2223 at ${clock(ackAt)}`);
    // One card for the call, still waiting for the officer (pinned, alarm on, the button there).
    expect(await page.locator('.alert.emergency').count()).toBe(1);
    expect(await page.locator('#pinned .alert.emergency button.ack').count()).toBe(1);
    expect(await page.evaluate(() => (window as unknown as { callguardConsole: { alarm: boolean } }).callguardConsole.alarm)).toBe(true);
    expect(await page.locator('#pinned .alert.emergency').getAttribute('aria-label')).toContain('call-out acknowledged by 2223');

    // A second responder acknowledging shows too; then the officer acknowledges, which is their own line.
    const secondAt = at(10);
    await raise({ ...EMERGENCY, callOutAck: { by: '+447700900123', at: secondAt } });
    await page.locator('.alert.emergency .callout-ack').nth(1).waitFor({ timeout: WAIT });
    expect(await page.locator('.alert.emergency .callout-ack').allTextContents()).toEqual([`Call-out acknowledged by 2223 at ${clock(ackAt)}`, `Call-out acknowledged by +447700900123 at ${clock(secondAt)}`]);
    await page.locator('#pinned .alert.emergency button.ack').click();
    await page.locator('#recent .alert.emergency .acked').waitFor({ timeout: WAIT });
    expect(await page.locator('#recent .alert.emergency .acked').textContent()).toMatch(/^Acknowledged by sam at /);
    expect(await page.locator('#recent .alert.emergency .callout-ack').count()).toBe(2);
    expect(await card('Dr Alice Moreno').count()).toBe(1);
  });

  it('a call-out nobody acknowledged shows on its card as a failure', async () => {
    const lift: SecurityAlert = { ...EMERGENCY, ext: '2900', name: 'Lift 1, Main Building', location: 'Main Building, lift 1 car', callId: 'call-b', at: at(5) };
    await raise(lift);
    await raise({ ...lift, note: 'call-out failed: no responder acknowledged (2223 not answered (answered 486))' });
    const outcome = card('Lift 1, Main Building').locator('.outcome.bad');
    await outcome.waitFor({ timeout: WAIT });
    expect(await outcome.textContent()).toBe('Call-out failed: no responder acknowledged (2223 not answered (answered 486))');
    expect(await card('Lift 1, Main Building').locator('.callout-ack').count()).toBe(0);
    expect(await page.locator('.alert.emergency').count()).toBe(2);
  });

  it('the same emergency alerted again by another callguard (the SIP front moved the call): one card with a note, not a second alarm', async () => {
    const refuge: SecurityAlert = { ...EMERGENCY, ext: '2950', name: 'Refuge point, Lindop stair 2', location: 'Lindop Building, stair 2 refuge', callId: 'call-c', at: at(4) };
    await raise(refuge);
    await card('Refuge point').first().locator('button.ack').click();
    await card('Refuge point').locator('.acked').waitFor({ timeout: WAIT });
    const pinnedBefore = await page.locator('#pinned .alert.emergency').count();
    await raise({ ...refuge, at: at(1) });
    const again = card('Refuge point').locator('.outcome', { hasText: 'Alerted again' });
    await again.waitFor({ timeout: WAIT });
    expect(await again.textContent()).toBe('Alerted again: the call was set up once more through another callguard server');
    expect(await card('Refuge point').count()).toBe(1);
    // Acknowledged once is acknowledged: the repeat pins nothing (the alarm sounds for pinned cards only).
    expect(await page.locator('#pinned .alert.emergency', { hasText: 'Refuge point' }).count()).toBe(0);
    expect(await page.locator('#pinned .alert.emergency').count()).toBe(pinnedBefore);
  });
});
