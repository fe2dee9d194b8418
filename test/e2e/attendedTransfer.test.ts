/**
 * An attended transfer completing through callguard (RFC 5589 §7.1, RFC 3891), raw over UDP to a real
 * drachtio-server in front of `callguard serve`: the transferee's INVITE names the transferor's
 * consultation dialog with callguard, and the PBX, which holds only callguard's other leg of that
 * call, must be sent an INVITE whose Replaces names that leg with the tags as the PBX holds them.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab } from '../support/lab.js';
import * as sipText from '../support/sipText.js';
import { responseHead, type AnsweredRequest } from '../sip/rfc4475Messages.js';
import { ackAndHangUp, FarEnd, SipSocket, type ReadSip } from './rawSip.js';
import { startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();

const PBX_SDP = sipText.sdp({ ip: '127.0.0.1', port: 46100, sessionId: 4610 });
const tagOf = (header: string | undefined) => /;\s*tag=([^;>\s]+)/i.exec(header ?? '')?.[1];

describe.skipIf(!lab)('an attended transfer through callguard serve and a real drachtio-server (INVITE with Replaces)', () => {
  let stack: Stack;
  let transferor: SipSocket;
  let transferee: SipSocket;
  let pbx: FarEnd;
  /** The PBX's own tag on each dialog it answered, by Call-ID. */
  const pbxTags = new Map<string, string>();

  beforeAll(async () => {
    stack = await startStack(lab!);
    transferor = await SipSocket.bind();
    transferee = await SipSocket.bind();
    pbx = await FarEnd.bind(stack.ports.pbx);
    pbx.answer = [
      (invite: AnsweredRequest) => {
        pbxTags.set(invite.callId, tagOf(invite.to)!);
        return [...responseHead('SIP/2.0 200 OK', invite), `Contact: <${invite.contact}>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(PBX_SDP)}`, '', PBX_SDP].join('\r\n');
      },
    ];
  }, 120_000);

  afterAll(async () => {
    await transferor?.close();
    await transferee?.close();
    await pbx?.close();
    await stopStack(stack);
  }, 60_000);

  /** `from` (on `socket`) calls 4202 with `headers`; returns callguard's 200 and the INVITE the PBX got. */
  async function callPbx(socket: SipSocket, from: string, headers: Record<string, string> = {}): Promise<{ ok: ReadSip; atPbx: ReadSip; fromTag: string; callId: string }> {
    const callId = `${randomUUID()}@transfer.invalid`;
    const fromTag = randomBytes(4).toString('hex');
    const before = pbx.invites.length;
    socket.send(
      sipText.invite({ from: `sip:${from}@127.0.0.1:${socket.port}`, fromTag, to: `sip:4202@127.0.0.1:${stack.drachtio.sipPort}`, via: `127.0.0.1:${socket.port}`, callId, headers, sdp: sipText.sdp({ ip: '127.0.0.1', port: 41100 }) }),
      stack.drachtio.sipPort,
    );
    const ok = await socket.finalResponse(callId);
    expect(`${ok.status} ${ok.reason}`).toBe('200 OK');
    expect(pbx.invites.length).toBe(before + 1);
    return { ok, atPbx: pbx.invites.at(-1)!, fromTag, callId };
  }

  it("the PBX gets the transferee's INVITE naming callguard's leg to it, and the call connects", async () => {
    const consultation = await callPbx(transferor, '4101');
    // The transferor names the consultation dialog as it holds it: to-tag callguard's, from-tag its own (RFC 5589 §7.1).
    const replaces = `${consultation.callId};to-tag=${tagOf(consultation.ok.get('to'))};from-tag=${consultation.fromTag}`;
    const transfer = await callPbx(transferee, '4150', { Replaces: replaces, Require: 'replaces' });
    const leg = consultation.atPbx;
    const legCallId = leg.get('call-id');
    expect(transfer.atPbx.get('replaces')).toBe(`${legCallId};to-tag=${pbxTags.get(legCallId)};from-tag=${tagOf(leg.get('from'))}`);
    expect(transfer.atPbx.get('require')).toBe('replaces');
    expect((await ackAndHangUp(transferee, transfer.ok, stack.drachtio.sipPort)).status).toBe(200);
    expect((await ackAndHangUp(transferor, consultation.ok, stack.drachtio.sipPort)).status).toBe(200);
  }, 120_000);
});
