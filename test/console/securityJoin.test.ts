/**
 * Security on an emergency call from the console, in a real headless Chromium (playwright-core) against
 * `callguard serve` in-process on the fake drachtio-server, with the FreeSWITCH stand-in as its media
 * server: the plan only alerts (notify), an officer presses "Call me in" on the 999's card, the API has
 * the instance holding the call ring Security Control and join it, and the card shows calling, on the
 * call (talk, asked by whom) and left when Security hangs up. A call that is not in progress is a 404.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FreeswitchGateway } from '../../src/media/freeswitchGateway.js';
import { MediaPool } from '../../src/media/mediaPool.js';
import { beginRecording } from '../../src/media/recordingStart.js';
import { chromiumOrSkip, CONSOLE_WAIT_MS as WAIT, ConsoleApp } from '../support/consoleFixture.js';
import { until } from '../support/edgeFixture.js';
import type { OutboundRequest } from '../support/fakeDrachtio.js';
import { FreeswitchStandIn } from '../support/freeswitchStandIn.js';
import * as sip from '../support/sipText.js';

const haveChromium = chromiumOrSkip('console Security join tests');
const CALLER_SDP = sip.sdp({ ip: '192.0.2.10', port: 40000, sessionId: 1000 });
const TRUNK_SDP = sip.sdp({ ip: '192.0.2.99', port: 60000, sessionId: 3000 });

describe.skipIf(!haveChromium)('Security on an emergency call, asked from the console (Chromium)', () => {
  let app: ConsoleApp;
  let officer: Page;
  let token: string;
  const fs = new FreeswitchStandIn();

  /** The requests the app has sent that match, in order, waiting until there are `n`. */
  const sent = (what: string, match: (r: OutboundRequest) => boolean, n = 1) => until(`${what} (#${n})`, () => app.fake.outboundRequests.filter(match)[n - 1], WAIT);
  const card = () => officer.locator('.alert.emergency');
  const cardSays = (text: RegExp) => card().filter({ hasText: text }).waitFor({ timeout: WAIT });

  beforeAll(async () => {
    app = await ConsoleApp.start({ users: { 'sam.patel': 'security' }, media: new FreeswitchGateway(new MediaPool([fs]), beginRecording) });
    token = app.tokens['sam.patel']!;
    officer = await (await app.browser.newContext()).newPage();
    await app.signIn(officer, token);
  });

  afterAll(async () => {
    await app?.stop();
  });

  it('"Call me in": Security rung and joined to the live 999 call; the card shows calling, on the call and left', async () => {
    const a = app.call('4101', '999', CALLER_SDP);
    const callerCallId = a.request!.get('call-id')!;
    const trunk = await sent('the 999 INVITE', (r) => r.method === 'INVITE' && r.uri.includes('999@'));
    trunk.respond(200, { body: TRUNK_SDP });
    expect((await a.finalResponse()).status).toBe(200);
    // notify (the sample plan): nobody is rung until an officer asks.
    await card().waitFor({ timeout: WAIT });
    expect(app.fake.outboundRequests.filter((r) => r.method === 'INVITE' && r.uri.startsWith('sip:2222@'))).toEqual([]);

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
    const r = await fetch(`${app.url}/api/calls/${encodeURIComponent('no-such-call@192.0.2.10')}/security-join`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(404);
    const bad = await fetch(`${app.url}/api/calls/x/security-join`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ mode: 'shout' }) });
    expect(bad.status).toBe(400);
  });
});
