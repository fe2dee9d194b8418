/**
 * End to end through a real drachtio-server: rejects with status and Reason, internal and public calls
 * routed per the SIP contract (DESIGN.md), and a REFER to a barred number refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cseqMethod, e2eLab, startSipp } from '../support/lab.js';
import { dial, finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();

describe.skipIf(!lab)('callguard serve: rejects and routing (real drachtio-server, SIPp peers)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(lab!);
  }, 120_000);

  afterAll(async () => {
    await stopStack(stack);
  }, 60_000);

  it('4101 dialling a premium number gets 403 with Reason Q.850 cause 21 premium-barred', async () => {
    const uac = await dial(stack, { from: '4101', to: '909012345678', expect: 403 });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    const [final] = uac.received((m) => m.status === 403);
    expect(final?.header('Reason'), uac.describe()).toBe('Q.850;cause=21;text="premium-barred"');
  }, 120_000);

  it('an invalid number gets 484 with Reason Q.850 cause 28', async () => {
    const uac = await dial(stack, { from: '4101', to: '9017', expect: 484 });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    const [final] = uac.received((m) => m.status === 484);
    expect(final?.header('Reason'), uac.describe()).toBe('Q.850;cause=28;text="invalid-number"');
  }, 120_000);

  it('4101 -> 4202 reaches the PBX as sip:4202@<routes.internal>', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const uac = await dial(stack, { from: '4101', to: '4202', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(pbx), pbx.describe()).toBe(0);
    const [invite] = requests(pbx, 'INVITE');
    expect(invite?.uri, pbx.describe()).toBe(`sip:4202@127.0.0.1:${stack.ports.pbx}`);
  }, 120_000);

  it('a caller making no offer (delayed offer) reaches 4202: the PBX offers in its 200 and its ACK carries the caller\'s answer', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    // The caller's scenario fails unless its 200 carries an audio offer.
    const uac = await dial(stack, { from: '4101', to: '4202', expect: 'call', lateOffer: true });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(pbx), pbx.describe()).toBe(0);
    const [invite] = requests(pbx, 'INVITE');
    expect(invite?.body.trim(), invite?.raw).toBe('');
    const [ack] = requests(pbx, 'ACK');
    expect(ack?.body, pbx.describe()).toContain('o=late-answer ');
  }, 120_000);

  it('4101 -> 9 01707 123456 reaches the trunk as sip:+441707123456@<routes.external> with P-Asserted-Identity +441707284101', async () => {
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    const uac = await dial(stack, { from: '4101', to: '901707123456', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:+441707123456@127.0.0.1:${stack.ports.trunk}`);
    expect(invite?.header('P-Asserted-Identity'), invite?.raw).toMatch(/[:<]\+441707284101[@>;]/);
  }, 120_000);

  it('4101 dialling 9 141 01707 123456 (UK: withhold my number): the trunk gets an anonymous From and Privacy: id, with P-Asserted-Identity +441707284101 for itself', async () => {
    const trunk = await peer(stack, 'trunk', 'answer', 1);
    const uac = await dial(stack, { from: '4101', to: '914101707123456', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    const [invite] = requests(trunk, 'INVITE');
    expect(invite?.uri, trunk.describe()).toBe(`sip:+441707123456@127.0.0.1:${stack.ports.trunk}`);
    expect(invite?.header('From'), invite?.raw).toMatch(/^"Anonymous" <sip:anonymous@anonymous\.invalid>;tag=/);
    expect(invite?.header('Privacy'), invite?.raw).toBe('id');
    expect(invite?.header('P-Asserted-Identity'), invite?.raw).toMatch(/[:<]\+441707284101[@>;]/);
    expect(invite?.header('Contact'), invite?.raw).not.toContain('4101');
  }, 120_000);

  it('a REFER to a premium number on a connected 4101 -> 4202 call gets 403', async () => {
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const uac = await startSipp(lab!, {
      role: 'uac',
      scenarioFile: 'uac-refer.xml',
      template: { refer_status: 403 },
      remote: `127.0.0.1:${stack.drachtio.sipPort}`,
      service: '4202',
      keys: { from: '4101', refer_to: '909012345678' },
      calls: 1,
      timeoutSeconds: 90,
    });
    const code = await uac.waitExit();
    await finish(pbx);
    const referAnswers = uac.received((m) => m.status !== undefined && cseqMethod(m) === 'REFER');
    expect(referAnswers.map((m) => m.status), uac.describe()).toContain(403);
    expect(code, uac.describe()).toBe(0);
    // The barred transfer never reaches the PBX as a new INVITE to the premium number.
    expect(requests(pbx, 'INVITE').filter((m) => m.uri?.includes('9012345678'))).toEqual([]);
  }, 120_000);

  it('a REFER from the callee (4202) to a premium number on a connected call gets 403', async () => {
    const pbx = await startSipp(lab!, { role: 'uas', scenarioFile: 'uas-refer.xml', template: { refer_status: 403 }, port: stack.ports.pbx, service: 'pbx', keys: { refer_to: '909012345678' }, calls: 1, timeoutSeconds: 90 });
    const uac = await dial(stack, { from: '4101', to: '4202', expect: 'call', holdMs: 3_000 });
    const callerCode = await uac.waitExit();
    const calleeCode = await finish(pbx);
    const referAnswers = pbx.received((m) => m.status !== undefined && cseqMethod(m) === 'REFER');
    expect(referAnswers.map((m) => m.status), pbx.describe()).toContain(403);
    expect(calleeCode, pbx.describe()).toBe(0);
    expect(callerCode, uac.describe()).toBe(0);
    // Nothing reached the caller's side as a transfer to the barred number.
    expect(uac.received((m) => m.method === 'REFER' || m.method === 'INVITE'), uac.describe()).toEqual([]);
  }, 120_000);
});
