/**
 * Self-test of the e2e lab (test/support/lab.ts): a real drachtio-server, SIPp as caller and callee,
 * and a throwaway drachtio-srf app in this process (no callguard), so a lab problem shows up here
 * rather than as a confusing failure in the callguard suites.
 */
import Srf from 'drachtio-srf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cseqMethod, e2eLab, quietly, startDrachtio, startSipp, stopAll, waitFor, type Drachtio, type Sipp } from '../support/lab.js';

const lab = e2eLab();

describe.skipIf(!lab)('e2e lab: drachtio-server + SIPp + a bare drachtio-srf app', () => {
  let drachtio: Drachtio;
  let srf: Srf;
  let uas: Sipp | undefined;

  beforeAll(async () => {
    drachtio = await startDrachtio(lab!);
    srf = new Srf();
    srf.on('error', () => {});
    const connected = new Promise<void>((resolve) => srf.once('connect', () => resolve()));
    srf.connect(drachtio.connectOptions);
    await connected;
    uas = await startSipp(lab!, { scenarioFile: 'uas-answer.xml', role: 'uas', service: 'pbx', calls: 2, timeoutSeconds: 60 });
    srf.invite((req, res) => {
      if (req.calledNumber === '4202') {
        srf.createB2BUA(req, res, `sip:4202@127.0.0.1:${uas!.port}`, { headers: { 'P-Asserted-Identity': '<sip:+441707284101@127.0.0.1>' } })
          .then(({ uas: caller, uac: callee }) => {
            caller.on('destroy', () => void Promise.resolve(callee.destroy() as unknown).catch(() => {}));
            callee.on('destroy', () => void Promise.resolve(caller.destroy() as unknown).catch(() => {}));
          })
          .catch(() => {});
        return;
      }
      res.send(403, { headers: { Reason: 'Q.850;cause=21;text="premium-barred"' } });
    });
  });

  afterAll(async () => {
    await quietly(() => srf?.disconnect());
    await quietly(() => uas?.stop());
    await quietly(() => drachtio?.stop());
    await stopAll();
  });

  it('a rejected INVITE comes back to SIPp with its status and Reason header', async () => {
    const uac = await startSipp(lab!, { scenarioFile: 'uac-reject.xml', template: { status: 403 }, role: 'uac', remote: `127.0.0.1:${drachtio.sipPort}`, service: '909012345678', keys: { from: '4101' }, calls: 3, rate: 10 });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    const finals = uac.received((m) => m.status === 403);
    expect(finals).toHaveLength(3);
    expect(finals[0]!.header('Reason')).toBe('Q.850;cause=21;text="premium-barred"');
  });

  it('a B2BUA call reaches the SIPp callee with the request-URI and headers the app set', async () => {
    const uac = await startSipp(lab!, { scenarioFile: 'uac-call.xml', role: 'uac', remote: `127.0.0.1:${drachtio.sipPort}`, service: '4202', template: { hold: 200 }, keys: { from: '4101' }, calls: 2, rate: 5 });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    // The callee exits after its two calls (-m 2), BYEs included.
    expect(await uas!.waitExit(), uas!.describe()).toBe(0);
    const invites = uas!.received((m) => m.method === 'INVITE');
    expect(invites, uas!.describe()).toHaveLength(2);
    expect(invites[0]!.uri).toBe(`sip:4202@127.0.0.1:${uas!.port}`);
    expect(invites[0]!.header('p-asserted-identity')).toContain('+441707284101');
    expect(uas!.received((m) => m.method === 'BYE')).toHaveLength(2);
    expect(uas!.messages().filter((m) => m.direction === 'sent' && m.status === 200 && cseqMethod(m) === 'BYE')).toHaveLength(2);
  });

  it('drachtio-server is still serving after the calls', async () => {
    await waitFor('drachtio alive', () => drachtio.process.alive, 1_000);
  });
});
