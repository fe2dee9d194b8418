/**
 * The callee answers but the caller cannot be answered (drachtio-server will not send the 200: it no
 * longer knows the transaction): the callee is hung up and the cause is in the log, not lost.
 * CI level: the SIP edge on the fake drachtio-server.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Edge } from '../support/edgeFixture.js';
import * as sip from '../support/sipText.js';

describe('SIP edge: the caller cannot be answered', () => {
  let edge: Edge;

  beforeEach(async () => {
    edge = await Edge.start();
  });

  afterEach(async () => {
    await edge.stop();
  });

  it('the callee gets a BYE and the log keeps why the answer failed', async () => {
    const a = edge.invite('4101', '4202');
    const b = await edge.nextInvite();
    // drachtio-server loses the caller's transaction without telling the app: it refuses the app's 200.
    a.canceled = true;
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 }) });
    const failed = await edge.waitForLog('the failure', (l) => l.level === 50 && l.callId === a.request!.callId);
    expect(failed.err).toMatch(/^the caller could not be answered: .+/);
    expect(String(failed.err)).toContain('unknown transaction');
    const bye = await edge.nextRequest('BYE');
    bye.respond(200);
    expect(bye.get('Call-ID')).toBe(b.get('Call-ID'));
  });
});
