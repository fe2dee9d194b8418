/**
 * Security on an emergency call from the console, in a real headless Chromium (playwright-core) against
 * `callguard serve` in-process on the fake drachtio-server, with the FreeSWITCH stand-in as its media
 * server: the plan only alerts (notify), an officer presses "Call me in" on the 999's card, the API has
 * the instance holding the call ring Security Control and join it, and the card shows calling, on the
 * call (talk, asked by whom) and left when Security hangs up. A call that is not in progress is a 404.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import { FreeswitchGateway } from '../../src/media/freeswitchGateway.js';
import { MediaPool } from '../../src/media/mediaPool.js';
import { beginRecording } from '../../src/media/recordingStart.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import { until } from '../support/edgeFixture.js';
import { FakeDrachtio, type OutboundRequest } from '../support/fakeDrachtio.js';
import { FreeswitchStandIn } from '../support/freeswitchStandIn.js';
import { planCopy } from '../support/plans.js';
import * as sip from '../support/sipText.js';

const CHROMIUM = process.env.CALLGUARD_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.log(`console browser tests skipped: no Chromium at ${CHROMIUM} (Debian package chromium; .ci/run installs it)`);
const WAIT = 15_000;
const CALLER_SDP = sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 1000 });
const TRUNK_SDP = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });

describe.skipIf(!haveChromium)('Security on an emergency call, asked from the console (Chromium)', () => {
  let plan: ReturnType<typeof planCopy>;
  let dataDir: string;
  let fake: FakeDrachtio;
  let server: RunningServer;
  let browser: Browser;
  let officer: Page;
  let url: string;
  let token: string;
  const fs = new FreeswitchStandIn();

  /** The requests the app has sent that match, in order, waiting until there are `n`. */
  const sent = (what: string, match: (r: OutboundRequest) => boolean, n = 1) => until(`${what} (#${n})`, () => fake.outboundRequests.filter(match)[n - 1], WAIT);
  const card = () => officer.locator('.alert.emergency');
  const cardSays = (text: RegExp) => card().filter({ hasText: text }).waitFor({ timeout: WAIT });

  beforeAll(async () => {
    plan = planCopy();
    dataDir = mkdtempSync(join(tmpdir(), 'callguard-console-join-'));
    const tokensFile = join(dataDir, 'tokens.json');
    token = await addToken(tokensFile, 'sam.patel', 'security', { N: 2 ** 10, r: 8, p: 1 });
    fake = await FakeDrachtio.start({ secret: 'console-secret', timeoutMs: WAIT });
    server = await startServer(
      {
        drachtio: { host: '127.0.0.1', port: fake.port, secret: fake.secret },
        http: { host: '127.0.0.1', port: 0 },
        trustedSources: new Set(),
        drainSeconds: 1,
        logLevel: 'info',
        admin: { tokensFile, auditLog: join(dataDir, 'audit.jsonl') },
      } as Parameters<typeof startServer>[0],
      plan.dir,
      pino({ level: 'silent' }),
      { dataDir, media: new FreeswitchGateway(new MediaPool([fs]), beginRecording) },
    );
    await fake.waitForRoutes(['invite']);
    url = `http://127.0.0.1:${(server.http.address() as AddressInfo).port}`;
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    officer = await (await browser.newContext()).newPage();
    await officer.goto(`${url}/console`);
    await officer.locator('#token').fill(token);
    await officer.keyboard.press('Enter');
    await officer.waitForSelector('body[data-feed="connected"]', { timeout: WAIT });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.drain();
    await fake?.close();
    plan?.remove();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('"Call me in": Security rung and joined to the live 999 call; the card shows calling, on the call and left', async () => {
    const a = fake.sendRequest(sip.invite({ from: 'sip:4101@192.0.2.10', to: 'sip:999@callguard.herts.example.ac.uk', sdp: CALLER_SDP }), { source_address: '192.0.2.10' });
    const callerCallId = a.request!.get('call-id')!;
    const trunk = await sent('the 999 INVITE', (r) => r.method === 'INVITE' && r.uri.includes('999@'));
    trunk.respond(200, { body: TRUNK_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    // notify (the sample plan): nobody is rung until an officer asks.
    await card().waitFor({ timeout: WAIT });
    expect(fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.uri.startsWith('sip:2222@'))).toEqual([]);

    await card().locator('button.join').click();
    const security = await sent("Security's INVITE", (r) => r.method === 'INVITE' && r.uri.startsWith('sip:2222@'));
    await cardSays(/Calling Security \(talk\), asked by sam\.patel/);
    security.respond(200, { body: sip.sdp({ ip: '192.0.2.22', port: 52000, sessionId: 2222 }) });
    (await sent('re-INVITE to the caller', (r) => r.method === 'INVITE' && r.get('call-id') === callerCallId)).respond(200, { body: CALLER_SDP });
    (await sent('re-INVITE to the trunk', (r) => r.method === 'INVITE' && r.get('call-id') === trunk.get('call-id'), 2)).respond(200, { body: TRUNK_SDP });
    await cardSays(/Security on the call \(talk\), asked by sam\.patel/);
    expect(await card().locator('button.join').count()).toBe(0);

    security.bye();
    (await sent('re-INVITE restoring the caller', (r) => r.method === 'INVITE' && r.get('call-id') === callerCallId, 2)).respond(200, { body: CALLER_SDP });
    (await sent('re-INVITE restoring the trunk', (r) => r.method === 'INVITE' && r.get('call-id') === trunk.get('call-id'), 3)).respond(200, { body: TRUNK_SDP });
    await cardSays(/Security left: Security hung up/);
    // Asked again, Security can be called back in while the call lasts.
    expect(await card().locator('button.join').count()).toBe(1);

    a.bye();
    (await sent('the BYE to the trunk', (r) => r.method === 'BYE' && r.get('call-id') === trunk.get('call-id'))).respond(200);
    await fs.allReleased();
  });

  it('a call that is not in progress: 404, and nobody is rung', async () => {
    const r = await fetch(`${url}/api/calls/${encodeURIComponent('no-such-call@192.0.2.10')}/security-join`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
    const bad = await fetch(`${url}/api/calls/x/security-join`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'shout' }) });
    expect(bad.status).toBe(400);
  });
});
