/**
 * The media pool, CI level: the SIP edge on the fake drachtio-server with two FreeSWITCH stand-ins.
 * Calls go to the connected server with the fewest calls in progress; a server that cannot make a
 * call's first endpoint is skipped within that call; a disconnected server gets no calls; a call's
 * endpoints all stay on one server. /health and /metrics show each server.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundTransaction } from '../support/fakeDrachtio.js';
import type { FreeswitchStandIn } from '../support/freeswitchStandIn.js';
import * as sip from '../support/sipText.js';
import { answerByes, expectNothingLeft, invitesSent, responseWith, startMediaEdge, type MediaEdge } from './mediaEdge.js';

const CALLEE_SDP = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });
const FS1 = 'fs1.stand-in:8021';
const FS2 = 'fs2.stand-in:8021';
const isNotice = (file: string) => file.includes('/audio/notices/');
/** The IT Service Desk: recorded, with a notice. */
const RECORDED = '3000';
const PREMIUM = '909012345678';

interface Health {
  media: { configured: boolean; available: boolean; description: string; servers: { address: string; connected: boolean; calls: number }[] };
}

describe('media pool: two FreeSWITCH servers', () => {
  let m: MediaEdge;
  let fs1: FreeswitchStandIn;
  let fs2: FreeswitchStandIn;

  const start = async () => {
    m = await startMediaEdge({ servers: 2 });
    [fs1, fs2] = m.pool as [FreeswitchStandIn, FreeswitchStandIn];
  };
  const health = async () => JSON.parse((await m.edge.get('/health')).text) as Health;
  const poolState = async () => (await health()).media.servers.map((s) => `${s.address} ${s.connected ? 'up' : 'down'} ${s.calls}`);
  /** Creations each stand-in saw. */
  const creations = () => m.pool.map((fs) => fs.journal.filter((s) => s.op === 'create').length);
  /** A recorded call in its notice (held until the stand-ins release it), and the server it went to. */
  const recordedCall = async (): Promise<{ a: InboundTransaction; on: string | undefined }> => {
    const before = m.pool.map((fs) => fs.endpoints.length);
    const a = m.edge.invite('4101', RECORDED);
    await responseWith(a, 183);
    return { a, on: m.pool.find((fs, i) => fs.endpoints.length > before[i]!)?.address };
  };
  /** Releases the notices, answers every callee and checks each caller is connected. */
  const connectAll = async (calls: InboundTransaction[]) => {
    for (const fs of m.pool) fs.release();
    for (let i = 0; i < calls.length; i++) (await m.edge.nextInvite()).respond(200, { body: CALLEE_SDP });
    for (const a of calls) expect((await a.finalResponse()).status).toBe(200);
  };
  const hangUpAll = async (calls: InboundTransaction[]) => {
    answerByes(m.edge);
    for (const a of calls) expect((await a.bye().finalResponse()).status).toBe(200);
    await expectNothingLeft(m);
  };

  afterEach(async () => {
    await m?.stop();
  });

  it('calls go to the server with the fewest calls in progress; each call stays on its server; /health and /metrics per server', async () => {
    await start();
    expect(await poolState()).toEqual([`${FS1} up 0`, `${FS2} up 0`]);
    expect((await health()).media).toMatchObject({ configured: true, available: true, description: `FreeSWITCH at ${FS1}, ${FS2}` });
    for (const fs of m.pool) fs.hold(isNotice);

    const first = await recordedCall();
    expect(first.on).toBe(FS1);
    const gone = await recordedCall();
    expect(gone.on, 'fs1 has a call').toBe(FS2);
    expect(await poolState()).toEqual([`${FS1} up 1`, `${FS2} up 1`]);
    gone.a.cancel();
    expect((await gone.a.finalResponse()).status).toBe(487);
    await fs2.allReleased();
    expect(await poolState()).toEqual([`${FS1} up 1`, `${FS2} up 0`]);
    const second = await recordedCall();
    expect(second.on, 'fs2 is idle again, though chosen last').toBe(FS2);
    const third = await recordedCall();
    expect(third.on, 'one call each: the server chosen longest ago').toBe(FS1);
    const fourth = await recordedCall();
    expect(fourth.on, 'fs1 has two calls').toBe(FS2);
    expect(await poolState()).toEqual([`${FS1} up 2`, `${FS2} up 2`]);
    expect(await m.edge.metric('callguard_media_server_calls', { server: FS1 })).toBe(2);
    expect(await m.edge.metric('callguard_media_server_calls', { server: FS2 })).toBe(2);
    expect(await m.edge.metric('callguard_media_server_connected', { server: FS1 })).toBe(1);

    const calls = [first, second, third, fourth].map((c) => c.a);
    await connectAll(calls);
    // caller and callee endpoints of each call on the same server, bridged there
    expect(m.pool.map((fs) => fs.endpoints.length)).toEqual([4, 5]);
    for (const fs of m.pool) {
      const bridges = fs.journal.filter((s) => s.op === 'bridge');
      expect(bridges).toHaveLength(2);
      for (const b of bridges) expect(fs.endpoints.map((e) => e.uuid)).toContain(b.arg);
    }
    await hangUpAll(calls);
    expect(await poolState()).toEqual([`${FS1} up 0`, `${FS2} up 0`]);
    expect(await m.edge.metric('callguard_media_server_calls', { server: FS2 })).toBe(0);
  });

  it('calls one after another alternate between idle servers', async () => {
    await start();
    for (let i = 0; i < 4; i++) {
      const final = await m.edge.invite('4101', PREMIUM).finalResponse();
      expect(final.status).toBe(403);
    }
    expect(creations()).toEqual([2, 2]);
    expect(fs1.played.length + fs2.played.length).toBe(4);
    await expectNothingLeft(m);
  });

  it('a server that cannot make the endpoint: the same call goes to the other server, logged and counted', async () => {
    await start();
    fs1.failCreate();
    fs1.hold(isNotice);
    fs2.hold(isNotice);
    const a = m.edge.invite('4101', RECORDED);
    const early = await responseWith(a, 183);
    expect(early.body).toBe(fs2.endpoints[0]!.local.sdp);
    expect(fs1.endpoints).toHaveLength(0);
    expect(await poolState()).toEqual([`${FS1} up 0`, `${FS2} up 1`]);
    const failover = await m.edge.waitForLog('the failover', (l) => l.where === 'media-endpoint');
    expect(failover).toMatchObject({ msg: `FreeSWITCH at ${FS1} could not make an endpoint: the call tries the next media server`, freeswitch: FS1, callId: a.request!.callId });
    expect(await m.edge.metric('callguard_call_path_errors_total', { where: 'media-endpoint' })).toBe(1);

    await connectAll([a]);
    expect(fs2.endpoints).toHaveLength(2);
    expect(fs1.journal.filter((s) => s.op === 'create')).toHaveLength(1);
    await hangUpAll([a]);
    expect(await poolState()).toEqual([`${FS1} up 0`, `${FS2} up 0`]);
  });

  it('a server that failed lately is tried after the others, and still when it is the only one left', async () => {
    await start();
    fs1.failCreate();
    expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(creations()).toEqual([1, 1]);
    // Both idle, fs1 chosen longer ago: it would be next, but it has just failed.
    expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(creations()).toEqual([1, 2]);
    fs2.up = false;
    expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(creations()).toEqual([2, 2]);
    expect(fs1.played).toHaveLength(1);
    await expectNothingLeft(m);
  });

  it('a failure is forgotten once that server is connected again (a new event-socket session)', async () => {
    await start();
    fs1.failCreate();
    expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(creations()).toEqual([1, 1]);
    fs1.up = false;
    fs1.up = true;
    // Both idle, fs1 chosen longer ago and its failure on the previous session: fs1 again.
    expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(creations()).toEqual([2, 1]);
    await expectNothingLeft(m);
  });

  it('every server refusing: the caller gets 503 media-failed, each failure counted once', async () => {
    await start();
    fs1.failCreate();
    fs2.failCreate();
    const final = await m.edge.invite('4101', RECORDED).finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    expect(invitesSent(m.edge)).toHaveLength(0);
    expect(creations()).toEqual([1, 1]);
    expect(await m.edge.metric('callguard_call_path_errors_total', { where: 'media-endpoint' })).toBe(2);
    await expectNothingLeft(m);
    expect(await poolState()).toEqual([`${FS1} up 0`, `${FS2} up 0`]);
  });

  it('a disconnected server is skipped until it is back', async () => {
    await start();
    fs1.up = false;
    expect(await poolState()).toEqual([`${FS1} down 0`, `${FS2} up 0`]);
    expect(await m.edge.metric('callguard_media_server_connected', { server: FS1 })).toBe(0);
    for (let i = 0; i < 3; i++) expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(fs1.journal).toEqual([]);
    expect(creations()).toEqual([0, 3]);

    fs1.up = true;
    expect(await m.edge.metric('callguard_media_server_connected', { server: FS1 })).toBe(1);
    expect((await m.edge.invite('4101', PREMIUM).finalResponse()).status).toBe(403);
    expect(creations()).toEqual([1, 3]);
    await expectNothingLeft(m);
  });

  it('every server disconnected: the failure rules, as with no FreeSWITCH', async () => {
    await start();
    fs1.up = false;
    fs2.up = false;
    expect((await health()).media.available).toBe(false);
    const final = await m.edge.invite('4101', '90033142685300').finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="pin-entry-unavailable"');
    expect(creations()).toEqual([0, 0]);
  });

  it("the call's server lost after its first endpoint: the callee endpoint is not made elsewhere; 503, nothing left", async () => {
    await start();
    fs1.hold(isNotice);
    const a = m.edge.invite('4101', RECORDED);
    await responseWith(a, 183);
    await fs1.waitFor('the notice', (s) => s.op === 'play' && isNotice(s.arg));
    fs1.up = false;
    fs1.release();
    const final = await a.finalResponse();
    expect(final.status).toBe(503);
    expect(final.get('Reason')).toBe('Q.850;cause=41;text="media-failed"');
    expect(fs2.journal).toEqual([]);
    expect(invitesSent(m.edge)).toHaveLength(0);
    await expectNothingLeft(m);
    expect(await poolState()).toEqual([`${FS1} down 0`, `${FS2} up 0`]);
  });
});
