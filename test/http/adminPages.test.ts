/**
 * The web admin (/admin) in a real headless Chromium (Debian `chromium`, driven by playwright-core),
 * against two `callguard serve` instances in-process, each on its own fake drachtio-server (drachtio-srf's
 * real code on the app side), sharing one dialplan directory and a real redis-server. Every page is used
 * with the keyboard; a deny-list entry added on the page turns a routed call into a 403 on the wire; a call
 * in progress on the second instance is listed and ended from the first's page.
 * Screenshots for docs/admin-guide.md: `CALLGUARD_SCREENSHOTS=1 npx vitest run test/http/adminPages.test.ts`
 * writes docs/admin-*.png.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import type { Browser, BrowserContext, Page, Request as BrowserRequest } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { until } from '../support/edgeFixture.js';
import { FakeDrachtio } from '../support/fakeDrachtio.js';
import { planCopy } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import * as sip from '../support/sipText.js';

const CHROMIUM = process.env.CALLGUARD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`web admin browser tests skipped: no Chromium at ${CHROMIUM} (Debian package chromium)`);

const SHOTS = process.env.CALLGUARD_SCREENSHOTS === '1' ? fileURLToPath(new URL('../../docs/', import.meta.url)) : mkdtempSync(join(tmpdir(), 'callguard-admin-shots-'));
const WAIT = 20_000;
const APP_HOST = 'callguard.herts.example.ac.uk';
const EXTERNAL = 'trunk.herts.example.ac.uk:5060';
/** A London number 4101 may call, and that the test puts on the deny list. */
const TARGET = '02079460123';

interface Instance {
  fake: FakeDrachtio;
  server: RunningServer;
  dataDir: string;
  url: string;
}

describe.skipIf(!haveChromium)('web admin in Chromium', { timeout: 120_000 }, () => {
  let redis: RedisServer;
  let plan: ReturnType<typeof planCopy>;
  let shared: string;
  let a: Instance;
  let b: Instance;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const tokens: Record<string, string> = {};

  async function startInstance(name: string): Promise<Instance> {
    const fake = await FakeDrachtio.start({ secret: `admin-${name}`, timeoutMs: WAIT });
    const dataDir = join(shared, name);
    mkdirSync(dataDir);
    const server = await startServer(
      {
        drachtio: { host: '127.0.0.1', port: fake.port, secret: fake.secret },
        http: { host: '127.0.0.1', port: 0 },
        trustedSources: new Set(),
        drainSeconds: 1,
        logLevel: 'info',
        redis: { url: redis.url },
        admin: { tokensFile: join(shared, 'tokens.json'), auditLog: join(shared, 'audit.jsonl') },
      },
      plan.dir,
      pino({ level: 'silent' }),
      { dataDir },
    );
    await fake.waitForRoutes(['invite']);
    return { fake, server, dataDir, url: `http://127.0.0.1:${(server.http.address() as AddressInfo).port}` };
  }

  /** A call from `from` dialling `to`, as a phone sends it through drachtio-server. */
  const call = (at: Instance, from: string, to: string) =>
    at.fake.sendRequest(sip.invite({ from: `sip:${from}@192.0.2.10`, to: `sip:${to}@${APP_HOST}` }), { source_address: '192.0.2.10' });

  /** What instance `at` now decides for 4101 dialling TARGET (its API's check: the plan it has loaded). */
  async function decision(at: Instance): Promise<string> {
    const r = await fetch(`${at.url}/api/check?from=4101&to=${TARGET}`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    const body = (await r.json()) as { action: string; reason: string };
    return `${body.action}/${body.reason}`;
  }

  /** Dials TARGET from 4101 on `at` once `at` has the plan that `routed` expects; the trunk says busy to a routed call. */
  async function dialTarget(at: Instance, routed: boolean): Promise<{ status: number; reason?: string; routedTo?: string }> {
    await until(`instance deciding ${routed ? 'allow' : 'reject/deny-list'}`, async () => (await decision(at)).startsWith(routed ? 'allow/' : 'reject/deny-list'), WAIT);
    const t = call(at, '4101', TARGET);
    if (!routed) {
      const final = await t.finalResponse({ timeoutMs: WAIT });
      await recorded(at, t.request!.callId!);
      return { status: final.status, reason: final.get('Reason') };
    }
    const leg = await at.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    leg.respond(486);
    const final = await t.finalResponse({ timeoutMs: WAIT });
    // Records are written about once a second: later steps (replay, report) read them.
    await recorded(at, t.request!.callId!);
    return { status: final.status, routedTo: leg.uri };
  }

  async function recorded(at: Instance, callId: string): Promise<void> {
    await until(`call record ${callId}`, () => {
      const dir = join(at.dataDir, 'calls');
      return existsSync(dir) && readdirSync(dir).some((f) => readFileSync(join(dir, f), 'utf8').includes(callId));
    }, WAIT);
  }

  async function open(name: string): Promise<void> {
    await page.goto(`${a.url}/admin#${name}`);
    await page.locator(`#page-${name}:not([hidden])`).waitFor({ timeout: WAIT });
  }

  async function signIn(token: string): Promise<void> {
    await page.goto(`${a.url}/admin`);
    await page.locator('#token').focus();
    await page.keyboard.type(token);
    await page.keyboard.press('Enter');
    await page.waitForSelector('body[data-signed-in="yes"]', { timeout: WAIT });
  }

  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `admin-${name}.png`), fullPage: true });

  beforeAll(async () => {
    redis = await RedisServer.start();
    plan = planCopy();
    shared = mkdtempSync(join(tmpdir(), 'callguard-admin-'));
    const cheap = { N: 2 ** 10, r: 8, p: 1 };
    tokens.alice = await addToken(join(shared, 'tokens.json'), 'alice', 'admin', cheap);
    tokens.audrey = await addToken(join(shared, 'tokens.json'), 'audrey', 'auditor', cheap);
    tokens.sam = await addToken(join(shared, 'tokens.json'), 'sam', 'security', cheap);
    a = await startInstance('a');
    b = await startInstance('b');
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, acceptDownloads: true });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    for (const i of [a, b]) {
      await i?.server.drain();
      await i?.fake.close();
    }
    await redis?.stop();
    plan?.remove();
    if (shared) rmSync(shared, { recursive: true, force: true });
    if (process.env.CALLGUARD_SCREENSHOTS !== '1') rmSync(SHOTS, { recursive: true, force: true });
  }, 120_000);

  it('signs in with the keyboard; a security token is refused, an auditor reads without edit buttons', async () => {
    await page.goto(`${a.url}/admin`);
    await shot('sign-in');
    await page.locator('#token').focus();
    await page.keyboard.type(tokens.sam!);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#sign-in-error'), { timeout: WAIT }).toMatch(/sam \(security\) may not open the admin pages/);

    await signIn(tokens.audrey!);
    await page.locator('#page-lists table').first().waitFor({ timeout: WAIT });
    expect(await page.textContent('#who')).toBe('audrey (auditor, read only)');
    expect(await page.locator('#page-lists button').count()).toBe(0);
    await page.click('#sign-out');
    await signIn(tokens.alice!);
    expect(await page.textContent('#who')).toBe('alice (admin)');
  });

  it('moves through the pages with the keyboard: links, focus on each page heading, every control labelled and a real button', async () => {
    await open('lists');
    const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
    // The page's heading has the focus; before it come the skip link, sign-out and the page links in order.
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('h-lists');
    const backwards: string[] = [];
    for (let i = 0; i < 9; i++) {
      await page.keyboard.press('Shift+Tab');
      backwards.push(await focused());
    }
    expect(backwards.reverse()).toEqual(['Skip to content', 'Sign out', 'Allow and deny lists', 'Grants', 'Phones', 'Live calls', 'Call records', 'Monthly report', 'Audit log']);
    for (let i = 0; i < 4; i++) await page.keyboard.press('Tab');
    expect(await focused()).toBe('Phones');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.activeElement?.id === 'h-phones', undefined, { timeout: WAIT });
    expect(await page.getAttribute('#nav a[href="#phones"]', 'aria-current')).toBe('page');

    for (const name of ['lists', 'grants', 'phones', 'live', 'calls', 'report', 'audit']) {
      await open(name);
      await page.locator(`#page-${name} .body > *`).first().waitFor({ timeout: WAIT });
      const problems = await page.evaluate(() => {
        const out: string[] = [];
        for (const el of document.querySelectorAll<HTMLInputElement | HTMLSelectElement>('main input, main select')) if (el.labels?.length === 0 && !el.getAttribute('aria-label')) out.push(`unlabelled ${el.name}`);
        // Scrollable table boxes are focusable regions (so the keyboard can scroll them); nothing else but controls.
        for (const el of document.querySelectorAll('[onclick], [role="button"], div[tabindex]:not([role="region"]), span[tabindex]')) out.push(`clickable ${el.tagName}`);
        for (const el of document.querySelectorAll('button')) if (!(el.getAttribute('aria-label') ?? el.textContent ?? '').trim()) out.push('nameless button');
        return out;
      });
      expect(problems, name).toEqual([]);
    }
  });

  it('a number added to the deny list on the page, after its dry run and replay, turns a routed call into 403 on both instances', async () => {
    const before = await dialTarget(a, true);
    expect(before.routedTo).toBe(`sip:+442079460123@${EXTERNAL}`);
    const earlier = await until('the routed call in the records', async () => {
      const r = await fetch(`${a.url}/api/calls?ext=4101&number=${TARGET}`, { headers: { authorization: `Bearer ${tokens.alice}` } });
      const body = (await r.json()) as { calls: { id: string; action: string }[] };
      return body.calls[0];
    }, WAIT);
    expect(earlier.action).toBe('allow');

    await open('lists');
    await page.getByRole('button', { name: 'Add to deny list' }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: WAIT }).toBe('lists-edit-match');
    // Keyboard only: through the fields in order.
    await page.keyboard.press('Tab');
    await page.keyboard.type(TARGET);
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Reported as a fraud number by the bank');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Head of Telecoms');
    await page.fill('#lists-edit-from', '2026-01-01');
    await page.fill('#lists-edit-until', '2099-12-31');
    await page.getByRole('button', { name: 'Preview change' }).press('Enter');

    const preview = page.getByRole('region', { name: 'Preview of the change' });
    await preview.waitFor({ timeout: WAIT });
    const text = (await preview.textContent()) ?? '';
    expect(text).toContain('Change to lists.yaml');
    expect(text).toContain(`+  - number: "${TARGET}"`);
    expect(text).toMatch(/Replayed the last 31 days: \d+ calls, 1 would be decided differently\./);
    expect(text).toMatch(/allow\/[a-z-]+ -> reject\/deny-list1/);
    expect(text).toMatch(/4101 ?02079460123 ?allow \([a-z-]+\) ?reject \(deny-list\) 403/);
    expect(await page.textContent('#page-lists .status')).toMatch(/Preview ready/);
    // Nothing is saved by a preview.
    expect(await decision(a)).toMatch(/^allow\//);
    expect(readFileSync(join(plan.dir, 'lists.yaml'), 'utf8')).not.toContain(TARGET);
    await shot('lists-preview');

    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent), { timeout: WAIT }).toMatch(/^Save: add/);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#page-lists .status'), { timeout: WAIT }).toMatch(/^Saved: add 02079460123 \(deny-3\)\./);
    expect(readFileSync(join(plan.dir, 'lists.yaml'), 'utf8')).toContain(`number: "${TARGET}"`);

    // On the wire, on this instance and on the other (its watcher reloads the shared plan).
    for (const at of [a, b]) {
      const after = await dialTarget(at, false);
      expect(after.status).toBe(403);
      expect(after.reason).toBe('Q.850;cause=21;text="deny-list"');
    }
    await shot('lists');

    // Edit it (the approver), then remove it: each previewed, then saved.
    await page.getByRole('button', { name: 'Edit deny-3' }).click();
    await page.fill('#lists-edit-approver', 'Director of IT');
    await page.getByRole('button', { name: 'Preview change' }).click();
    await expect.poll(async () => (await page.getByRole('region', { name: 'Preview of the change' }).textContent()) ?? '', { timeout: WAIT }).toContain('+    approver: Director of IT');
    await page.getByRole('button', { name: 'Save: change deny-3' }).click();
    await expect.poll(() => page.textContent('#page-lists .status'), { timeout: WAIT }).toMatch(/^Saved: change deny-3/);
    await page.getByRole('button', { name: 'Remove deny-3' }).click();
    await expect.poll(async () => (await page.getByRole('region', { name: 'Preview of the change' }).textContent()) ?? '', { timeout: WAIT }).toMatch(/-  - number: "02079460123"[\s\S]*reject\/deny-list -> allow\//);
    await page.getByRole('button', { name: 'Save: remove deny-3' }).click();
    await expect.poll(() => page.textContent('#page-lists .status'), { timeout: WAIT }).toMatch(/^Saved: remove deny-3/);
    expect((await dialTarget(a, true)).routedTo).toBe(`sip:+442079460123@${EXTERNAL}`);

    // A bad entry is refused with the validator's file:line and reason, and nothing changes.
    const text0 = readFileSync(join(plan.dir, 'lists.yaml'), 'utf8');
    await page.getByRole('button', { name: 'Add to allow list' }).click();
    await page.fill('#lists-edit-digits', '0901234');
    await page.fill('#lists-edit-reason', 'test');
    await page.getByRole('button', { name: 'Preview change' }).click();
    await expect.poll(() => page.textContent('#page-lists .status'), { timeout: WAIT }).toMatch(/^Refused: the edit would make the dialplan invalid; nothing was changed: lists\.yaml:\d+:\d+: allow is missing "approver"/);
    expect(readFileSync(join(plan.dir, 'lists.yaml'), 'utf8')).toBe(text0);
  });

  it('grants: a dialplan grant added after its preview, a run-time grant issued and revoked', async () => {
    await open('grants');
    await page.getByRole('button', { name: 'Add to grants in the dialplan' }).click();
    await page.fill('#grants-edit-user', 'cwei');
    await page.fill('#grants-edit-countries', 'US, CA');
    await page.fill('#grants-edit-until', '2099-06-30');
    await page.fill('#grants-edit-reason', 'Sabbatical at MIT');
    await page.fill('#grants-edit-approver', 'Head of Computer Science');
    await page.getByRole('button', { name: 'Preview change' }).click();
    await expect.poll(async () => (await page.getByRole('region', { name: 'Preview of the change' }).textContent()) ?? '', { timeout: WAIT }).toMatch(/Change to grants\.yaml[\s\S]*\+    user: cwei[\s\S]*Replayed the last 31 days/);
    await page.getByRole('button', { name: /^Save: add cwei/ }).click();
    await expect.poll(() => page.textContent('#page-grants .status'), { timeout: WAIT }).toMatch(/^Saved: add cwei \(cwei-[0-9a-f]{6}\)/);
    expect(await page.locator('#page-grants table').first().textContent()).toContain('Sabbatical at MIT');

    await page.fill('#runtime-grant-user', 'dfischer');
    await page.fill('#runtime-grant-countries', 'JP');
    await page.fill('#runtime-grant-reason', 'Conference in Tokyo');
    await page.fill('#runtime-grant-approver', 'Head of Computer Science');
    await page.getByRole('button', { name: 'Issue grant' }).click();
    await expect.poll(() => page.locator('#page-grants .status').allTextContents(), { timeout: WAIT }).toContainEqual(expect.stringMatching(/^Issued rt-[0-9a-f]{8} to dfischer\./));
    const runtime = page.getByRole('region', { name: 'Run-time grants' });
    await expect.poll(() => runtime.textContent(), { timeout: WAIT }).toContain('Conference in Tokyo');
    await shot('grants');
    const id = /rt-[0-9a-f]{8}/.exec((await runtime.textContent()) ?? '')![0];
    await page.getByRole('button', { name: `Revoke ${id}` }).click();
    await expect.poll(() => page.locator('#page-grants .status').allTextContents(), { timeout: WAIT }).toContainEqual(`Revoked ${id}.`);
    await expect.poll(() => page.locator('#page-grants').textContent(), { timeout: WAIT }).toContain('Run-time grants: none issued');
  });

  it('phones: every extension with its lock and last change; PIN reset, unlock and lock from the keyboard', async () => {
    await open('phones');
    const rows = page.locator('#page-phones tbody tr');
    await rows.first().waitFor({ timeout: WAIT });
    expect(await rows.count()).toBeGreaterThanOrEqual(10);
    await page.locator('#phones-q').fill('4101');
    await page.keyboard.press('Enter');
    await expect.poll(() => rows.count(), { timeout: WAIT }).toBe(1);
    expect(await rows.first().textContent()).toMatch(/4101Dr Alice MorenoamorenoLindop Building, room 2F410locked/);

    await page.getByRole('button', { name: 'Reset PIN of 4101' }).press('Enter');
    await expect.poll(() => page.evaluate(() => document.activeElement?.id), { timeout: WAIT }).toBe('pin-new');
    await page.keyboard.type('731946');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.textContent('#page-phones .status'), { timeout: WAIT }).toBe('New PIN set for 4101; the phone is locked.');
    await page.getByRole('button', { name: 'Unlock 4101' }).press('Enter');
    await expect.poll(() => rows.first().textContent(), { timeout: WAIT }).toMatch(/unlocked since .*; locks again .*yes0unlocked by alice/);
    await shot('phones');
    await page.getByRole('button', { name: 'Lock 4101', exact: true }).press('Enter');
    await expect.poll(() => rows.first().textContent(), { timeout: WAIT }).toMatch(/4101.*locked.*yes0locked by alice/);
    // The same state on the other instance (shared through Redis).
    const other = await fetch(`${b.url}/api/phones/4101`, { headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(await other.json()).toMatchObject({ lock: 'locked', hasPin: true });
    expect(readFileSync(join(shared, 'audit.jsonl'), 'utf8')).not.toContain('731946');
  });

  it('live calls: a call on the other instance is listed and ended from this page (audited); a 999 call is never offered for ending', async () => {
    const t = call(b, '4102', '01707281234');
    const leg = await b.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    leg.respond(200, { body: sip.sdp({ ip: '192.0.2.20' }) });
    expect((await t.finalResponse({ timeoutMs: WAIT })).status).toBe(200);
    const e = call(a, '4101', '999');
    const trunk = await a.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs: WAIT });
    trunk.respond(200, { body: sip.sdp({ ip: '192.0.2.40' }) });
    expect((await e.finalResponse({ timeoutMs: WAIT })).status).toBe(200);

    await open('live');
    const table = page.locator('#page-live .table-wrap');
    // Each instance shares its calls every second: the page catches up with both answers.
    await expect
      .poll(() => table.textContent(), { timeout: WAIT })
      .toMatch(/^Live calls \(2\).*4102 \(bokafor\)01707281234allow · geographic · [a-z-]+\d+:\d\d answered.*4101 \(amoreno\)999emergency · emergency · emergency-number\d+:\d\d answered.*never ended here$/);
    await shot('live-calls');
    const liveBody = (await (await fetch(`${a.url}/api/live-calls`, { headers: { authorization: `Bearer ${tokens.alice}` } })).json()) as { instance: string; calls: { callId: string; instance: string; action: string }[] };
    const onB = liveBody.calls.find((c) => c.action === 'allow')!;
    expect(onB.instance).not.toBe(liveBody.instance);
    const emergency = liveBody.calls.find((c) => c.action === 'emergency')!;
    const refused = await fetch(`${a.url}/api/live-calls/${encodeURIComponent(emergency.callId)}/end`, { method: 'POST', headers: { authorization: `Bearer ${tokens.alice}` } });
    expect(refused.status).toBe(409);

    page.once('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'End the call from 4102 to 01707281234' }).press('Enter');
    const byes = [await b.fake.nextOutboundRequest({ method: 'BYE', timeoutMs: WAIT }), await b.fake.nextOutboundRequest({ method: 'BYE', timeoutMs: WAIT })];
    for (const bye of byes) bye.respond(200);
    expect(byes.map((m) => m.get('Call-ID')).sort()).toEqual([t.request!.callId, leg.get('Call-ID')].sort());
    await expect.poll(() => page.textContent('#page-live .status'), { timeout: WAIT }).toBe('Ending the call from 4102 to 01707281234.');
    await expect.poll(() => table.textContent(), { timeout: WAIT }).toMatch(/Live calls \(1\)/);
    const audit = readFileSync(join(shared, 'audit.jsonl'), 'utf8');
    expect(audit).toMatch(new RegExp(`"who":"alice","role":"admin","address":"127\\.0\\.0\\.1","action":"call\\.end","target":"${onB.callId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}","before":\\{"from":"4102"`));

    // The 999 caller hangs up: the trunk leg is released and the list empties.
    e.bye();
    (await a.fake.nextOutboundRequest({ method: 'BYE', timeoutMs: WAIT })).respond(200);
    await expect.poll(() => page.textContent('#page-live .body'), { timeout: WAIT }).toContain('Live calls (0): no call in progress');
  });

  it('call records: search by extension and outcome, and the CSV export of the calls found', async () => {
    // The search the page runs as it opens (every call) is held back until this one's answer is shown:
    // arriving later, it must not replace it.
    let held: BrowserRequest | undefined;
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const isSearch = (url: URL) => url.pathname === '/api/calls';
    await page.route(isSearch, async (route) => {
      if (!held) {
        held = route.request();
        await released;
      }
      await route.continue();
    });
    await open('calls');
    await page.fill('#calls-ext', '4101');
    await page.selectOption('#calls-outcome', 'rejected');
    await page.getByRole('button', { name: 'Search', exact: true }).press('Enter');
    const status = () => page.textContent('#page-calls .status');
    await expect.poll(status, { timeout: WAIT }).toMatch(/^1 call matches; \d+ records read\.$/);
    release();
    await (await held!.response())!.finished();
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    await page.unroute(isSearch);
    expect(await status()).toMatch(/^1 call matches/);
    const found = page.getByRole('region', { name: 'Calls found: 1' });
    expect(await found.textContent()).toMatch(/4101 \(amoreno\)02079460123geographicreject \(deny-list\)rejected403/);
    // This instance's records: the one call 4101 made here while the number was on the deny list.
    const count = await page.locator('#page-calls tbody tr').count();
    expect(count).toBe(1);
    await shot('call-records');
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: WAIT }), page.getByRole('button', { name: 'Export CSV' }).click()]);
    const file = await download.path();
    const rows = readFileSync(file, 'utf8').trimEnd().split('\r\n');
    expect(rows[0]).toMatch(/^invite,answer,end,seconds,outcome,status,from,/);
    expect(rows).toHaveLength(count + 1);
    expect(rows.slice(1).every((r) => /,rejected,403,4101,amoreno,/.test(r))).toBe(true);
  });

  it('shows the monthly report inline and the audit log', async () => {
    await open('report');
    await page.getByRole('button', { name: 'Show report' }).click();
    await expect.poll(() => page.textContent('#page-report .status'), { timeout: WAIT }).toBe('Report ready.');
    const totals = (await page.textContent('#page-report .totals')) ?? '';
    // This instance's calls: two routed to the trunk, one refused, the 999.
    expect(totals).toMatch(/^Calls4Answered1/);
    expect(totals).toMatch(/Emergency calls1/);
    expect(await page.getByRole('region', { name: 'Barred attempts' }).textContent()).toContain('+442079460123');
    await shot('report');

    await open('audit');
    const log = page.locator('#page-audit .table-wrap');
    await expect.poll(() => log.textContent().catch(() => ''), { timeout: WAIT }).toMatch(/call\.end/);
    const text = (await log.textContent()) ?? '';
    for (const action of ['list.add', 'list.change', 'list.remove', 'grant.add', 'runtime-grant.add', 'runtime-grant.revoke', 'pin.reset', 'phone.unlock', 'phone.lock', 'call.end']) expect(text).toContain(action);
    await shot('audit');
  });

  it('reads at 200 % zoom: no page scrolls sideways (wide tables scroll inside their own box)', async () => {
    const zoomed = await context.browser()!.newContext({ viewport: { width: 640, height: 450 }, deviceScaleFactor: 2 });
    const small = await zoomed.newPage();
    await small.goto(`${a.url}/admin`);
    await small.locator('#token').fill(tokens.alice!);
    await small.keyboard.press('Enter');
    await small.waitForSelector('body[data-signed-in="yes"]', { timeout: WAIT });
    for (const name of ['lists', 'grants', 'phones', 'live', 'calls', 'report', 'audit']) {
      await small.goto(`${a.url}/admin#${name}`);
      await small.locator(`#page-${name} .body > *`).first().waitFor({ timeout: WAIT });
      if (name === 'report') {
        await small.getByRole('button', { name: 'Show report' }).click();
        await small.locator('#page-report .totals').waitFor({ timeout: WAIT });
      }
      const overflow = await small.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow, name).toBeLessThanOrEqual(0);
    }
    await small.goto(`${a.url}/admin#phones`);
    await small.locator('#page-phones tbody tr').first().waitFor({ timeout: WAIT });
    await small.screenshot({ path: join(SHOTS, 'admin-zoom-200.png') });
    await zoomed.close();
  });
});
