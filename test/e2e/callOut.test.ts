/**
 * Call-out and e-mail end to end: the real `callguard serve` with drachtio-server, FreeSWITCH and
 * redis-server; a 999 from 4101 phones the responders of site.security.callOut through FreeSWITCH (an
 * extension via the PBX route: a SIPp phone that answers, hears the message and presses 1 in RFC 2833;
 * an outside number via the trunk route: busy every time) and e-mails site.security.email through a
 * local SMTP server. The acknowledgement reaches Security's MESSAGE, the Redis alert stream, the
 * console's feed and a second e-mail; /metrics counts both responders' outcomes and the e-mails.
 * Skips with one line when E2E_DRACHTIO_BIN / E2E_DRACHTIO_CONF / E2E_SIPP_BIN / E2E_FREESWITCH_RUN are unset.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addToken } from '../../src/admin/tokens.js';
import { e2eMediaLab, type Freeswitch } from '../support/freeswitch.js';
import { editSite, labTempDir, quietly, startSipp, waitFor } from '../support/lab.js';
import { startSmtp, type TestSmtp } from '../support/smtpServer.js';
import { writeRtpPcap } from './rtpPcap.js';
import { dial, displayNameOf, finish, peer, requests, startStack, stopStack, streamEntries, type Stack } from './stack.js';

const lab = e2eMediaLab();

/** Security Control's backup desk, phoned through the PBX route; an outside number through the trunk route. */
const DESK = '2223';
const MOBILE = '+447700900123';
const EMAIL = ['security@herts.example.ac.uk', 'duty.manager@herts.example.ac.uk'];
const CONSOLE_URL = 'https://callguard.herts.example.ac.uk/console';
const LOCATION_4101 = 'Lindop Building, room 2F410';

describe.skipIf(!lab)('call-out and e-mail on an emergency call (real drachtio-server, FreeSWITCH, redis-server, SIPp, SMTP)', () => {
  let stack: Stack;
  let fs: Freeswitch;
  let smtp: TestSmtp;
  let token: string;
  const work = labTempDir('callguard-callout-e2e-');

  const metric = async (line: RegExp): Promise<number | undefined> => {
    const text = await (await fetch(`http://127.0.0.1:${stack.app.httpPort}/metrics`)).text();
    const found = text.split('\n').find((l) => line.test(l));
    return found === undefined ? undefined : Number(found.split(' ').at(-1));
  };

  beforeAll(async () => {
    smtp = await startSmtp();
    const tokensFile = join(work, 'tokens.json');
    token = await addToken(tokensFile, 'sam.patel', 'security', { N: 2 ** 10, r: 8, p: 1 });
    stack = await startStack(lab!, { media: true, env: { SMTP_URL: smtp.url, SMTP_FROM: 'callguard@herts.example.ac.uk', CALLGUARD_CONSOLE_URL: CONSOLE_URL, CALLGUARD_TOKENS: tokensFile } });
    fs = stack.freeswitch!;
    const from = stack.app.logs().length;
    editSite(stack.dialplan.dir, { security: { callOut: [DESK, MOBILE], email: EMAIL } });
    await stack.app.waitForLog('the dialplan reloaded', (e) => e.msg === 'dialplan reloaded', 30_000, from);
  }, 180_000);

  afterAll(async () => {
    await stopStack(stack);
    await quietly(() => smtp?.close());
  }, 90_000);

  it('a 999 phones both responders; the desk hears the message and presses 1; the busy mobile is tried 3 times; Security, the stream, the console and e-mail learn who acknowledged', async () => {
    // The desk phone answers, stays silent for 4 s (the message is playing) and presses 1, then waits for our BYE.
    const pcap = join(work, 'responder.pcap');
    writeRtpPcap(pcap, [{ kind: 'silence', ms: 4_000 }, { kind: 'digits', digits: '1' }, { kind: 'silence', ms: 30_000 }]);
    const desk = await startSipp(lab!, { role: 'uas', scenarioFile: 'uas-media.xml', template: { pcap }, port: stack.ports.pbx, service: 'pbx', calls: 1, timeoutSeconds: 120 });
    const mobile = await peer(stack, 'trunk', { reject: 486, phrase: 'Busy Here' }, 3, { timeoutSeconds: 150 });
    const trunk = await peer(stack, 'emergency', 'answer', 1);
    // The alert MESSAGE, then the acknowledgement's.
    const security = await peer(stack, 'security', 'answer', 2, { timeoutSeconds: 150 });

    const caller = await dial(stack, { from: '4101', to: '999', expect: 'call' });
    // The emergency call itself goes through as ever, whatever the call-out is doing.
    expect(await caller.waitExit(60_000), caller.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);

    expect(await desk.waitExit(120_000), desk.describe()).toBe(0);
    const [invite] = requests(desk, 'INVITE');
    expect(invite?.uri, desk.describe()).toBe(`sip:${DESK}@127.0.0.1:${stack.ports.pbx}`);
    expect(displayNameOf(invite!.header('From')), invite!.raw).toBe(`EMERGENCY ${LOCATION_4101}`);
    expect(invite!.body, invite!.raw).toMatch(/^v=0/); // FreeSWITCH's SDP: the message comes from there
    expect(requests(desk, 'BYE'), desk.describe()).toHaveLength(1); // we hung up after the 1
    // The desk heard speech, not the alarm tone that stands in when rendering fails.
    const rendered = stack.app.logs().find((e) => e.msg === 'call-out message rendered');
    expect(rendered, stack.app.output()).toBeDefined();
    process.stdout.write(`call-out message rendered in ${String(rendered!.ms)} ms (while the phones rang)\n`);

    // Security Control's MESSAGE says who acknowledged.
    expect(await finish(security, 60_000), security.describe()).toBe(0);
    const messages = requests(security, 'MESSAGE').map((m) => m.body);
    expect(messages[0], security.describe()).toMatch(/^EMERGENCY 999/);
    expect(messages[1], security.describe()).toMatch(new RegExp(`call-out: acknowledged by ${DESK} at \\d{4}-`));

    // The Redis alert stream (every console reads it) carries the acknowledgement as a follow-up of the call.
    const entries = await waitFor('the acknowledgement on callguard:alerts', async () => {
      const all = await streamEntries(stack.redis.url, 'callguard:alerts');
      return all.some((e) => e.callOutAckBy) ? all : undefined;
    }, 30_000, 200);
    const first = entries.find((e) => e.kind === 'emergency' && !e.callOutAckBy)!;
    const ack = entries.find((e) => e.callOutAckBy)!;
    expect(ack).toMatchObject({ kind: 'emergency', ext: '4101', callId: first.callId, callOutAckBy: DESK });
    expect(Date.parse(ack.callOutAckAt!)).toBeGreaterThanOrEqual(Date.parse(first.at!));

    // The console's feed, as the page reads it.
    const feed = await waitFor('the acknowledgement on the console feed', async () => {
      const r = await fetch(`http://127.0.0.1:${stack.app.httpPort}/api/alerts`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await r.json()) as { alerts: Array<{ alert: { callId: string; callOutAck?: { by: string } } }> };
      return body.alerts.find((i) => i.alert.callId === first.callId && i.alert.callOutAck);
    }, 30_000, 200);
    expect(feed.alert.callOutAck?.by).toBe(DESK);

    // The mobile was busy: three INVITEs through the trunk route, then given up, counted unanswered.
    expect(await finish(mobile, 90_000), mobile.describe()).toBe(0);
    const mobileInvites = requests(mobile, 'INVITE');
    expect(mobileInvites.map((i) => i.uri)).toEqual(Array(3).fill(`sip:${MOBILE}@127.0.0.1:${stack.ports.trunk}`));
    await waitFor('both call-out outcomes counted', async () => (await metric(/^callguard_callout_calls_total\{outcome="unanswered"\}/)) === 1, 30_000, 200);
    expect(await metric(/^callguard_callout_calls_total\{outcome="acknowledged"\}/)).toBe(1);

    // E-mail: the alert and the acknowledgement, to every address, with the location and the console's link.
    await waitFor('two e-mails', () => smtp.mails.length >= 2, 30_000, 200);
    expect(smtp.mails.map((m) => m.subject)).toEqual([
      `EMERGENCY 999: ext 4101 (Dr Alice Moreno), ${LOCATION_4101}`,
      `EMERGENCY 999: ext 4101 (Dr Alice Moreno), ${LOCATION_4101} - acknowledged by ${DESK}`,
    ]);
    for (const mail of smtp.mails) {
      expect(mail.to).toEqual(EMAIL);
      expect(mail.text).toContain(`location: ${LOCATION_4101}`);
      expect(mail.text).toContain(CONSOLE_URL);
    }
    expect(await metric(/^callguard_security_alerts_total\{channel="email",outcome="sent"\}/)).toBe(2);

    // Nothing left behind in FreeSWITCH: the call-out's endpoints went with its calls.
    expect(await fs.waitForChannelCount(0, 30_000)).toBe(0);
  }, 300_000);
});
