/**
 * 999s in legal forms a fuzzing campaign found failing, raw over UDP to a real drachtio-server in front
 * of `callguard serve`: each must reach the emergency trunk and connect. A display name with escaped
 * quotes, headers folded over lines (RFC 3261 §7.3.1), an IPv6 Request-URI host with an IPv4 tail, a
 * phone that requires 100rel but never PRACKs (which must not take drachtio-server down with it), and a
 * far end's status drachtio-srf does not know (which must not take callguard down).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, waitFor } from '../support/lab.js';
import * as sipText from '../support/sipText.js';
import { responseHead, type AnsweredRequest } from '../sip/rfc4475Messages.js';
import { ackAndHangUp, ackFailure, FarEnd, SipSocket, type ReadSip } from './rawSip.js';
import { startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();

const TRUNK_SDP = sipText.sdp({ ip: '127.0.0.1', port: 46000, sessionId: 4600 });
const ringing = (invite: AnsweredRequest): string => [...responseHead('SIP/2.0 180 Ringing', invite), `Contact: <${invite.contact}>`, 'Content-Length: 0', '', ''].join('\r\n');
const answer = (invite: AnsweredRequest): string =>
  [...responseHead('SIP/2.0 200 OK', invite), `Contact: <${invite.contact}>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(TRUNK_SDP)}`, '', TRUNK_SDP].join('\r\n');

describe.skipIf(!lab)('999s in legal forms from the field, raw over UDP to a real drachtio-server in front of callguard serve', () => {
  let stack: Stack;
  let caller: SipSocket;
  let trunk: FarEnd;
  const others: FarEnd[] = [];

  beforeAll(async () => {
    stack = await startStack(lab!);
    caller = await SipSocket.bind();
    trunk = await FarEnd.bind(stack.ports.emergency);
    trunk.answer = [ringing, answer];
    // Security Control and its failover take the alerts' MESSAGEs.
    for (const name of ['security', 'backup'] as const) others.push(await FarEnd.bind(stack.ports[name]));
  }, 120_000);

  afterAll(async () => {
    await caller?.close();
    await trunk?.close();
    for (const end of others) await end.close();
    await stopStack(stack);
  }, 60_000);

  /** A 999 from 4101 as sipText writes it, then `edit`ed; its Call-ID. */
  function emergencyInvite(edit: (text: string) => string = (t) => t, ruri?: string): { text: string; callId: string } {
    const callId = `${randomUUID()}@field.invalid`;
    const text = sipText.invite({
      from: `sip:4101@127.0.0.1:${caller.port}`,
      to: `sip:999@127.0.0.1:${stack.drachtio.sipPort}`,
      ...(ruri ? { ruri } : {}),
      via: `127.0.0.1:${caller.port}`,
      callId,
      sdp: sipText.sdp({ ip: '127.0.0.1', port: 41000 }),
    });
    return { text: edit(text), callId };
  }

  /** Sends the INVITE; expects the emergency trunk to get it and the caller a 200, then hangs up. */
  async function connects(invite: { text: string; callId: string }): Promise<ReadSip> {
    const before = trunk.invites.length;
    caller.send(invite.text, stack.drachtio.sipPort);
    const final = await caller.finalResponse(invite.callId);
    if (final.status !== 200) ackFailure(caller, invite.text, final, stack.drachtio.sipPort);
    expect(`${final.status} ${final.reason}`, caller.responses(invite.callId).map((r) => r.status).join(' ')).toBe('200 OK');
    expect(final.body).toBe(TRUNK_SDP);
    expect(trunk.invites.length).toBe(before + 1);
    const bye = await ackAndHangUp(caller, final, stack.drachtio.sipPort);
    expect(bye.status).toBe(200);
    return trunk.invites.at(-1)!;
  }

  it('a display name with escaped quotes ("J\\"oe\\""): the trunk gets the name as written', async () => {
    const reached = await connects(emergencyInvite((t) => t.replace(/^From: </m, 'From: "J\\"oe\\"" <')));
    expect(reached.get('from')).toMatch(/^"J\\"oe\\"" </);
  });

  it('a display name ending in a backslash ("Ward 3 \\\\")', async () => {
    const reached = await connects(emergencyInvite((t) => t.replace(/^From: </m, 'From: "Ward 3 \\\\" <')));
    expect(reached.get('from')).toMatch(/^"Ward 3 \\\\" </);
  });

  for (const [header, fold] of [
    ['From', (t: string) => t.replace(/^From: </m, 'From: "Alice"\r\n <')],
    ['To', (t: string) => t.replace(/^To: </m, 'To: "Emergency"\r\n <')],
    ['CSeq', (t: string) => t.replace(/^CSeq: 1 INVITE/m, 'CSeq: 1\r\n INVITE')],
  ] as const) {
    it(`${header} folded over two lines (RFC 3261 §7.3.1)`, async () => {
      await connects(emergencyInvite(fold));
    });
  }

  it('the emergency centre answering 184 with SDP, a status drachtio-srf does not know: the caller gets 183 early media, the 999 connects, and so does the next', async () => {
    const unknownProgress = (invite: AnsweredRequest): string =>
      [...responseHead('SIP/2.0 184 Unknown Progress', invite), `Contact: <${invite.contact}>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(TRUNK_SDP)}`, '', TRUNK_SDP].join('\r\n');
    trunk.answer = [unknownProgress, answer];
    try {
      const invite = emergencyInvite();
      await connects(invite);
      expect(caller.responses(invite.callId).map((r) => r.status)).toContain(183);
    } finally {
      trunk.answer = [ringing, answer];
    }
    await connects(emergencyInvite());
  }, 120_000);

  it('a Request-URI host that is IPv6 with an IPv4 tail (sip:999@[::ffff:127.0.0.1], RFC 3261 IPv6reference)', async () => {
    await connects(emergencyInvite((t) => t, 'sip:999@[::ffff:127.0.0.1]'));
  });

  it('a phone requiring 100rel that never PRACKs: it gets no 18x (a reliable one left unPRACKed takes drachtio-server down when the INVITE ends), the 999 connects, and so does the next', async () => {
    const invite = emergencyInvite((t) => t.replace(/^Contact: /m, 'Require: 100rel\r\nSupported: 100rel\r\nContact: '));
    await connects(invite);
    expect(caller.responses(invite.callId).filter((r) => r.status! > 100 && r.status! < 200)).toEqual([]);
    await connects(emergencyInvite());
  }, 120_000);
});
