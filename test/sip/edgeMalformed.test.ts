/**
 * Hostile and broken INVITEs: each gets a SIP error response and the server keeps serving (a barred
 * call right after still gets its 403).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_HOST, Edge } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

describe('SIP edge: malformed requests', () => {
  let edge: Edge;

  beforeAll(async () => {
    edge = await Edge.start();
  });

  afterAll(async () => {
    await edge.stop();
  });

  /** The server still decides and answers. */
  async function stillServing(): Promise<void> {
    const a = edge.invite('4101', '909012345678');
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
  }

  function rawInvite(requestLine: string, lines: string[], body = sip.sdp()): string {
    return [
      requestLine,
      `Via: SIP/2.0/UDP 192.0.2.10:5060;branch=${sip.newBranch()};rport`,
      'Max-Forwards: 70',
      ...lines,
      `Call-ID: ${sip.newCallId()}`,
      'CSeq: 1 INVITE',
      'Contact: <sip:4101@192.0.2.10:5060>',
      'Content-Type: application/sdp',
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
  }

  it('a Request-URI without a user gets a SIP error (484)', async () => {
    const a = edge.invite('4101', '', { ruri: `sip:${APP_HOST}` });
    const final = await a.finalResponse();
    expect(final.status).toBe(484);
    await stillServing();
  });

  it('an unsupported scheme (im:) gets a SIP error (416)', async () => {
    const a = edge.invite('4101', '', { ruri: 'im:4202@example.com' });
    const final = await a.finalResponse();
    expect(final.status).toBe(416);
    await stillServing();
  });

  it('a From without a user gets 400', async () => {
    const a = edge.invite('', '4202', { fromUri: `sip:${APP_HOST}` });
    expect((await a.finalResponse()).status).toBe(400);
    await stillServing();
  });

  it('garbage in From gets a SIP error response', async () => {
    const text = rawInvite(`INVITE sip:4202@${APP_HOST} SIP/2.0`, [`From: <<<garbage>>>;tag=${sip.newTag()}`, `To: <sip:4202@${APP_HOST}>`]);
    const a = edge.fake.sendRequest(text, { raw: true });
    const final = await a.finalResponse();
    expect(final.status).toBeGreaterThanOrEqual(400);
    expect(final.status).toBeLessThan(600);
    await stillServing();
  });

  it('a percent-encoding that does not decode gets a SIP error', async () => {
    const a = edge.invite('4101', '', { ruri: `sip:%E0%A4%A@${APP_HOST}` });
    const final = await a.finalResponse();
    expect(final.status).toBeGreaterThanOrEqual(400);
    expect(final.status).toBeLessThan(500);
    await stillServing();
  });

  it('garbage headers and an absurd dial string: a SIP error or a refusal, never a crash', async () => {
    const text = rawInvite(
      `INVITE sip:${'9'.repeat(300)}@${APP_HOST} SIP/2.0`,
      [
        `From: "\u0000\u00ff" <sip:4101@192.0.2.10>;tag=${sip.newTag()}`,
        `To: <sip:x@${APP_HOST}>`,
        'P-Asserted-Identity: <sip:@>',
        'Geolocation: <<<<',
        'X-Garbage: \u00e9\u00e8\u0001',
        'Refer-To: ;;;;',
      ],
    );
    const a = edge.fake.sendRequest(text, { raw: true });
    const final = await a.finalResponse();
    expect(final.status).toBeGreaterThanOrEqual(400);
    await stillServing();
  });

  it('a dial string of separators and letters is invalid (484), not a crash', async () => {
    const a = edge.invite('4101', '', { ruri: `sip:--()..--@${APP_HOST}` });
    expect((await a.finalResponse()).status).toBe(484);
    await stillServing();
  });
});
