/**
 * Self-test of the fake drachtio-server harness: a tiny inline drachtio-srf app (not callguard)
 * connects to it over TCP, and real SIP text goes through drachtio-srf's own parser and
 * createUAS / createUAC / createB2BUA.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import Srf from 'drachtio-srf';
import { FakeDrachtio } from '../support/fakeDrachtio.js';
import * as sip from '../support/sipText.js';

// drachtio-srf's bundled typings do not match its runtime API (createUAC/createB2BUA/request
// overloads), so the inline test app uses it untyped.
type AnySrf = Record<string, any>;
const newSrf = (): AnySrf => new Srf() as unknown as AnySrf;

const B_PARTY = 'sip:bob@192.0.2.20:5060';

interface AppEvents {
  b2bua: Array<{ uas: any; uac: any }>;
  b2buaErrors: unknown[];
  invites: string[];
}

/** The app under test: behaviour chosen by the Request-URI user. */
function makeApp(srf: AnySrf, ev: AppEvents): void {
  srf.invite(async (req: any, res: any) => {
    const user = sip.userOf(req.uri);
    ev.invites.push(user);
    if (user === 'reject') {
      res.send(403, { headers: { Reason: 'Q.850;cause=21;text="Call Rejected"', 'X-Policy': 'denied' } });
      return;
    }
    if (user === 'b2bua' || user === 'redirect') {
      try {
        const { uas, uac } = await srf.createB2BUA(req, res, B_PARTY, {
          localSdpB: req.body,
          followRedirects: user === 'redirect',
        });
        uas.on('destroy', () => uac.destroy());
        uac.on('destroy', () => uas.destroy());
        ev.b2bua.push({ uas, uac });
      } catch (err) {
        ev.b2buaErrors.push(err);
      }
      return;
    }
    res.send(404);
  });
}

describe('fake drachtio-server', () => {
  let fake: FakeDrachtio;
  let srf: AnySrf;
  let ev: AppEvents;

  beforeEach(async () => {
    fake = await FakeDrachtio.start({ secret: 'test-secret' });
    srf = newSrf();
    ev = { b2bua: [], b2buaErrors: [], invites: [] };
    makeApp(srf, ev);
    srf.on('error', () => undefined); // reconnect attempts after dropConnection()
    srf.connect({ host: fake.host, port: fake.port, secret: fake.secret });
    await fake.waitForRoutes(['invite']);
  });

  afterEach(async () => {
    vi.restoreAllMocks();
    try {
      srf.disconnect();
    } catch {
      // already disconnected
    }
    await fake.close();
  });

  it('accepts the connection: authenticate, route registration', () => {
    expect(fake.connections).toBe(1);
    expect(fake.routes).toContain('invite');
  });

  it('INVITE → app rejects with 403 and a Reason header', async () => {
    const a = fake.sendRequest(
      sip.invite({ from: 'sip:alice@example.com', to: 'sip:reject@callguard.test', pai: 'sip:+441234567890@example.com' }),
    );
    const final = await a.finalResponse();
    expect(final.status).toBe(403);
    expect(final.generatedBy).toBe('app');
    expect(final.get('Reason')).toBe('Q.850;cause=21;text="Call Rejected"');
    expect(final.get('X-Policy')).toBe('denied');
    // the stack completed the response from the request
    expect(final.get('Call-ID')).toBe(a.request!.callId);
    expect(sip.tagOf(final.get('To'))).toBeTruthy();
    expect(final.get('Via')).toBe(a.request!.get('Via'));
  });

  it('B2BUA: outbound INVITE seen, answered 200, A-leg gets 200 with the SDP; BYE from A tears down B', async () => {
    const offer = sip.sdp({ ip: '192.0.2.10', port: 40000 });
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test', sdp: offer }));

    const bInvite = await fake.nextOutboundRequest({ method: 'INVITE' });
    expect(bInvite.uri).toBe(B_PARTY);
    expect(bInvite.body).toBe(offer);
    expect(bInvite.get('Content-Type')).toBe('application/sdp');
    expect(sip.tagOf(bInvite.get('From'))).toBeTruthy();

    const answer = sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 });
    bInvite.respond(180);
    const ringing = await a.nextResponse();
    expect(ringing.status).toBe(180);

    bInvite.respond(200, { body: answer });
    const ok = await a.finalResponse();
    expect(ok.status).toBe(200);
    expect(ok.body).toBe(answer);
    expect(ok.get('Contact')).toBeTruthy();

    // the app ACKs B's 200; the caller's ACK (automatic) reaches the app's UAS dialog
    const bAck = await fake.nextOutboundRequest({ method: 'ACK' });
    expect(bAck.uri).toBe(sip.uriOf(bInvite.responses.at(-1)!.get('Contact')!));
    await expect.poll(() => ev.b2bua.length).toBe(1);

    // BYE from A → app answers 200 and sends BYE to B
    const aBye = a.bye();
    expect((await aBye.finalResponse()).status).toBe(200);
    const bBye = await fake.nextOutboundRequest({ method: 'BYE' });
    expect(bBye.get('Call-ID')).toBe(bInvite.get('Call-ID'));
    expect(bBye.uri).toBe(bAck.uri);
    bBye.respond(200);
    await expect.poll(() => srf.idle).toBe(true);
  });

  it('BYE from B tears down A', async () => {
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test' }));
    const bInvite = await fake.nextOutboundRequest({ method: 'INVITE' });
    bInvite.respond(200, { body: sip.sdp({ ip: '192.0.2.20' }) });
    expect((await a.finalResponse()).status).toBe(200);
    await expect.poll(() => ev.b2bua.length).toBe(1);

    const bBye = bInvite.bye();
    expect((await bBye.finalResponse()).status).toBe(200);
    const aBye = await fake.nextOutboundRequest({ method: 'BYE' });
    expect(aBye.get('Call-ID')).toBe(a.request!.callId);
    // the BYE to A goes to A's Contact, From is the app's side of A's dialog
    expect(aBye.uri).toBe(sip.uriOf(a.request!.get('Contact')!));
    expect(sip.tagOf(aBye.get('To'))).toBe(sip.tagOf(a.request!.get('From')));
    aBye.respond(200);
  });

  it('CANCEL before answer: the app CANCELs B, A gets 487 and the CANCEL 200', async () => {
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test' }));
    const bInvite = await fake.nextOutboundRequest({ method: 'INVITE' });
    bInvite.respond(180);
    expect((await a.nextResponse()).status).toBe(180);

    const cancel = a.cancel({ headers: { Reason: 'SIP;cause=200;text="Call completed elsewhere"' } });
    expect((await cancel.finalResponse()).status).toBe(200);
    const aFinal = await a.finalResponse();
    expect(aFinal.status).toBe(487);
    expect(aFinal.generatedBy).toBe('server');

    const bCancel = await bInvite.waitForCancel();
    expect(bCancel.method).toBe('CANCEL');
    expect(bCancel.get('Via')).toBe(bInvite.get('Via'));
    expect(bCancel.get('Reason')).toBe('SIP;cause=200;text="Call completed elsewhere"');
    // far end answered 487 on its own (autoRespond487OnCancel); the app gives up on the call
    await expect.poll(() => ev.b2buaErrors.length).toBe(1);
    expect((ev.b2buaErrors[0] as { status?: number }).status).toBe(487);
    // no response from the app after the stack's 487
    expect(a.responses.map((r) => r.status)).toEqual([180, 487]);
  });

  it('B rings then fails: A sees 180 then the failure', async () => {
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test' }));
    const bInvite = await fake.nextOutboundRequest({ method: 'INVITE' });
    bInvite.respond(180);
    bInvite.respond(486);
    expect((await a.nextResponse()).status).toBe(180);
    expect((await a.nextResponse()).status).toBe(486);
    await expect.poll(() => ev.b2buaErrors.length).toBe(1);
    expect(fake.stackEvents.some((e) => e.includes('stack ACKed 486'))).toBe(true);
  });

  it('503 from B, and a 3xx with a Contact the app follows', async () => {
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test' }));
    (await fake.nextOutboundRequest({ method: 'INVITE' })).respond(503, { headers: { 'Retry-After': '30' } });
    expect((await a.finalResponse()).status).toBe(503);

    const r = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:redirect@callguard.test' }));
    const first = await fake.nextOutboundRequest({ method: 'INVITE' });
    first.respond(302, { headers: { Contact: '<sip:carol@192.0.2.30:5060>' } });
    const second = await fake.nextOutboundRequest({ method: 'INVITE' });
    expect(second.uri).toBe('sip:carol@192.0.2.30:5060');
    second.respond(200, { body: sip.sdp({ ip: '192.0.2.30' }) });
    expect((await r.finalResponse()).status).toBe(200);
  });

  it('createUAC: the test answers 200, the app BYEs the dialog later', async () => {
    const pending = srf.createUAC('sip:dave@192.0.2.40:5070', {
      localSdp: sip.sdp(),
      headers: { From: '<sip:app@localhost>', 'X-Test': 'uac' },
    });
    const inv = await fake.nextOutboundRequest({ method: 'INVITE' });
    expect(inv.get('X-Test')).toBe('uac');
    expect(inv.get('From')).toContain('sip:app@127.0.0.1');
    inv.respond(200, { body: sip.sdp({ ip: '192.0.2.40' }) });
    const dialog = await pending;
    expect(dialog.sip.callId).toBe(inv.get('Call-ID'));
    await fake.nextOutboundRequest({ method: 'ACK' });

    const destroyed = dialog.destroy();
    const bye = await fake.nextOutboundRequest({ method: 'BYE' });
    expect(bye.uri).toBe('sip:dave@192.0.2.40:5070'); // the Contact of the 200
    bye.respond(200);
    await destroyed;
  });

  it('a 407 challenge: drachtio-srf re-sends the INVITE with credentials', async () => {
    const pending = srf.createUAC('sip:gina@192.0.2.70', { localSdp: sip.sdp(), auth: { username: 'u', password: 'p' } });
    const first = await fake.nextOutboundRequest({ method: 'INVITE' });
    first.respond(407, { headers: { 'Proxy-Authenticate': 'Digest realm="trunk", nonce="abc123", algorithm=MD5, qop="auth"' } });
    const second = await fake.nextOutboundRequest({ method: 'INVITE' });
    expect(second.get('Proxy-Authorization')).toMatch(/^Digest .*username="u".*realm="trunk"/);
    expect(second.get('Call-ID')).toBe(first.get('Call-ID'));
    expect(second.message.cseq!.seq).toBe(first.message.cseq!.seq + 1);
    second.respond(200, { body: sip.sdp({ ip: '192.0.2.70' }) });
    const dialog = await pending;
    expect(dialog.connected).toBe(true);
  });

  it('an app that never gets an answer CANCELs (the far end can stay silent)', async () => {
    const quiet = await FakeDrachtio.start({ secret: 's2', autoRespond487OnCancel: false });
    const srf2 = newSrf();
    srf2.connect({ host: quiet.host, port: quiet.port, secret: quiet.secret });
    await quiet.waitForRoutes([]);
    try {
      let sentReq: any;
      const call = srf2.createUAC('sip:erin@192.0.2.50', { localSdp: sip.sdp() }, { cbRequest: (_e: unknown, r: any) => (sentReq = r) });
      const inv = await quiet.nextOutboundRequest({ method: 'INVITE' });
      await expect.poll(() => sentReq).toBeTruthy();
      sentReq.cancel(); // e.g. the app's own no-answer timer fired
      const c = await inv.waitForCancel();
      expect(c.get('CSeq')).toMatch(/ CANCEL$/);
      inv.respond(487);
      await expect(call).rejects.toMatchObject({ status: 487 });
    } finally {
      srf2.disconnect();
      await quiet.close();
    }
  });

  it('the app sends a MESSAGE via srf.request', async () => {
    const sent = new Promise<any>((resolve, reject) =>
      srf.request('sip:frank@192.0.2.60', {
        method: 'MESSAGE',
        headers: { 'Content-Type': 'text/plain', From: '<sip:callguard@localhost>' },
        body: 'hello',
      }, (err: unknown, req: any) => (err ? reject(err) : resolve(req))),
    );
    const msg = await fake.nextOutboundRequest({ method: 'MESSAGE' });
    expect(msg.uri).toBe('sip:frank@192.0.2.60');
    expect(msg.body).toBe('hello');
    expect(msg.get('Content-Type')).toBe('text/plain');
    const req = await sent;
    const response = new Promise<any>((resolve) => req.on('response', resolve));
    msg.respond(202);
    expect((await response).status).toBe(202);
  });

  it('REFER inside an established dialog reaches the app', async () => {
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test' }));
    (await fake.nextOutboundRequest({ method: 'INVITE' })).respond(200, { body: sip.sdp({ ip: '192.0.2.20' }) });
    await a.finalResponse();
    await expect.poll(() => ev.b2bua.length).toBe(1);
    const referred = new Promise<any>((resolve) =>
      ev.b2bua[0]!.uas.on('refer', (req: any, res: any) => {
        res.send(202);
        resolve(req);
      }),
    );
    const refer = a.refer('sip:transfer@example.com');
    expect((await refer.finalResponse()).status).toBe(202);
    expect((await referred).get('Refer-To')).toBe('<sip:transfer@example.com>');
  });

  it('in-dialog request for an unknown dialog: 481 from the stack; no route: 503', async () => {
    const stray = fake.sendRequest(
      sip.bye({ ruri: 'sip:x@127.0.0.1', from: '<sip:a@example.com>;tag=1', to: '<sip:b@example.com>;tag=2', callId: 'nope', cseq: 2 }),
    );
    expect((await stray.finalResponse()).status).toBe(481);
    expect(stray.delivered).toBe(false);
    const opt = fake.sendRequest(sip.request({ method: 'OPTIONS', ruri: 'sip:x@127.0.0.1', from: 'sip:a@example.com', to: 'sip:x@127.0.0.1' }));
    expect((await opt.finalResponse()).status).toBe(503);
  });

  it('malformed request text does not crash the app', async () => {
    const errors: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      errors.push(args.map(String).join(' '));
    });
    // not SIP at all: the stack drops it
    const junk = fake.sendRequest('this is not SIP\r\n\r\n');
    await junk.settled();
    expect(junk.delivered).toBe(false);
    // missing mandatory headers but addressable: 400 from the stack
    const bad = fake.sendRequest('INVITE sip:x@y SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:x@y>\r\nCall-ID: c1\r\nCSeq: one INVITE\r\nContent-Length: 0\r\n\r\n');
    expect((await bad.finalResponse()).status).toBe(400);
    // forced through to drachtio-srf's own parser anyway
    const forced = fake.sendRequest('INVITE\u0000garbage\r\n\r\n', { raw: true });
    await forced.settled();
    expect(forced.delivered).toBe(true);
    const truncated = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:reject@callguard.test' }).slice(0, 120), { raw: true });
    await truncated.settled();
    // drachtio-srf's own parser saw both and refused them without throwing
    await expect.poll(() => errors.filter((e) => e.includes('unable to parse incoming message')).length).toBe(2);
    spy.mockRestore();

    // the app is still alive and routing
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:reject@callguard.test' }));
    expect((await a.finalResponse()).status).toBe(403);
    expect(fake.connections).toBe(1);
  });

  it('dropConnection: drachtio-srf reconnects and routes again', async () => {
    expect(fake.dropConnection()).toBe(1);
    await fake.waitForTotalConnections(2, { timeoutMs: 10_000 });
    await fake.waitForRoutes(['invite'], { timeoutMs: 10_000 });
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:reject@callguard.test' }));
    expect((await a.finalResponse()).status).toBe(403);
  });

  it('a retransmitted INVITE is absorbed by the stack', async () => {
    const text = sip.invite({ from: 'sip:alice@example.com', to: 'sip:reject@callguard.test' });
    const a = fake.sendRequest(text);
    const again = fake.sendRequest(text);
    expect((await a.finalResponse()).status).toBe(403);
    expect(again.delivered).toBe(false);
    expect(ev.invites).toEqual(['reject']);
  });

  it('CDRs go to an app that asked for them', async () => {
    const cdrs: string[] = [];
    srf.on('cdr:attempt', (source: string) => cdrs.push(`attempt ${source}`));
    srf.on('cdr:start', (source: string, _time: string, role: string) => cdrs.push(`start ${source} ${role}`));
    srf.on('cdr:stop', (source: string, _time: string, reason: string) => cdrs.push(`stop ${source} ${reason}`));
    await fake.waitForRoutes(['cdr:attempt', 'cdr:start', 'cdr:stop']);

    await fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:reject@callguard.test' })).finalResponse();
    await expect.poll(() => cdrs).toEqual(['attempt network', 'stop application call-rejected']);

    cdrs.length = 0;
    const a = fake.sendRequest(sip.invite({ from: 'sip:alice@example.com', to: 'sip:b2bua@callguard.test' }));
    (await fake.nextOutboundRequest({ method: 'INVITE' })).respond(200, { body: sip.sdp() });
    await a.finalResponse();
    await expect.poll(() => ev.b2bua.length).toBe(1);
    a.bye();
    (await fake.nextOutboundRequest({ method: 'BYE' })).respond(200);
    await expect.poll(() => cdrs).toEqual([
      'attempt network',
      'attempt application',
      'start network uac',
      'start application uas',
      'stop network normal-release',
      'stop application normal-release',
    ]);
  });

  it('wrong secret: authentication refused', async () => {
    const srf3 = newSrf();
    const result = new Promise<unknown>((resolve) => srf3.on('connect', (err: unknown) => resolve(err)));
    srf3.connect({ host: fake.host, port: fake.port, secret: 'wrong' });
    expect(String(await result)).toMatch(/failed to authenticate/);
    srf3.disconnect();
  });
});
