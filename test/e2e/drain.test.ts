/**
 * End to end through a real drachtio-server: on SIGTERM the app drains: a new ordinary call gets 503
 * with Retry-After, an emergency call is still routed, and the process exits 0.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, sleep, waitFor } from '../support/lab.js';
import { dial, finish, peer, requests, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();

describe.skipIf(!lab)('callguard serve: drain on SIGTERM (real drachtio-server, SIPp peers)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(lab!, { env: { CALLGUARD_DRAIN_SECONDS: '30' } });
  }, 120_000);

  afterAll(async () => {
    await stopStack(stack);
  }, 60_000);

  it('SIGTERM: a new call gets 503 with Retry-After, an emergency call is still routed, the process exits 0', async () => {
    // A call in progress keeps the app draining rather than gone.
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const longCall = await dial(stack, { from: '4101', to: '4202', expect: 'call', holdMs: 12_000 });
    // SIPp writes its trace as it goes: wait until the PBX has the ACK of the long call.
    await waitFor('the long call to connect', () => requests(pbx, 'ACK').length > 0, 30_000, 100);

    const linesBefore = stack.app.process.stdoutLines.length;
    stack.app.signal('SIGTERM');
    await stack.app.process.waitForLine('the app to say it is stopping or draining', (l) => /drain|stopping/i.test(l), 10_000, { stdout: linesBefore, stderr: 0 }).catch(() => sleep(1_000));

    const refused = await dial(stack, { from: '4101', to: '901707123456', expect: 503 });
    const refusedCode = await refused.waitExit();
    // The 503 came from the draining app, not from a drachtio-server with no app left.
    expect(stack.app.process.alive, stack.app.output()).toBe(true);
    const emergency = await peer(stack, 'emergency', 'answer', 1);
    const security = await peer(stack, 'security', 'answer', 1);
    const emergencyCall = await dial(stack, { from: '4101', to: '999', expect: 'call' });
    const emergencyCode = await emergencyCall.waitExit();

    expect(refusedCode, refused.describe()).toBe(0);
    const [unavailable] = refused.received((m) => m.status === 503);
    expect(unavailable?.header('Retry-After'), refused.describe()).toMatch(/^\d+/);

    expect(emergencyCode, emergencyCall.describe()).toBe(0);
    await finish(emergency);
    expect(requests(emergency, 'INVITE')[0]?.uri, emergency.describe()).toBe(`sip:999@127.0.0.1:${stack.ports.emergency}`);

    expect(await longCall.waitExit(), longCall.describe()).toBe(0);
    await finish(pbx);
    await finish(security, 10_000);
    expect(await stack.app.waitExit(60_000), stack.app.output()).toBe(0);
  }, 180_000);
});
