/**
 * End to end through a real drachtio-server and redis-server, SIPp as the phones, trunks, PBX and Security
 * Control: a phone without a DDI calls 999 with one of the site's callback numbers; the emergency service
 * calling that number back from the trunk reaches the phone, or Security Control when the phone does not
 * answer in callbackRingSeconds; once the window is over the number reaches the switchboard again.
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, editSite, quietly, waitFor } from '../support/lab.js';
import { dial, displayNameOf, finish, peer, requests, startStack, stopStack, streamEntries, type Stack } from './stack.js';

const lab = e2eLab();

const MAIN_NUMBER = '+441707284000';
const CALLBACK_NUMBERS = [MAIN_NUMBER, '+441707284990'];
/** The emergency service's operator calling back through the public trunk. */
const PSAP = '+441632960123';

describe.skipIf(!lab)('callguard serve: PSAP callback (real drachtio-server, redis-server, SIPp peers)', () => {
  let stack: Stack;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    stack = await startStack(lab!, { site: { emergency: { callbackNumbers: CALLBACK_NUMBERS, callbackMinutes: 60, callbackRingSeconds: 5 } } });
    redis = createClient({ url: stack.redis.url });
    redis.on('error', () => {});
    await redis.connect();
  }, 120_000);

  afterAll(async () => {
    await quietly(() => redis?.close());
    await stopStack(stack);
  }, 60_000);

  /** `from` dials 999, the emergency trunk answers; returns the callback number the INVITE presented. */
  async function emergencyCall(from: string): Promise<string> {
    const trunk = await peer(stack, 'emergency', 'answer', 1);
    const uac = await dial(stack, { from, to: '999', expect: 'call' });
    expect(await uac.waitExit(), uac.describe()).toBe(0);
    expect(await finish(trunk), trunk.describe()).toBe(0);
    const [invite] = requests(trunk, 'INVITE');
    const callback = /<tel:(\+\d+)>/.exec(invite?.header('P-Asserted-Identity') ?? '')?.[1];
    expect(callback, invite?.raw ?? trunk.describe()).toBeDefined();
    return callback!;
  }

  it('4150 (no DDI) dials 999 with the first callback number; the emergency service calling it back reaches 4150 at the PBX', async () => {
    // Security Control hears of the 999 and of the callback (two MESSAGEs).
    const security = await peer(stack, 'security', 'answer', 2);
    const callback = await emergencyCall('4150');
    expect(callback).toBe(MAIN_NUMBER);
    // Shared through Redis: a key per number with the extension and the expiry.
    const stored = await waitFor('the hold in Redis', () => redis.get(`callguard:callback:${callback}`).then((v) => v ?? undefined));
    expect(JSON.parse(stored)).toMatchObject({ number: callback, ext: '4150', dialled: '999' });
    expect(await redis.pTTL(`callguard:callback:${callback}`)).toBeGreaterThan(50 * 60_000);

    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const psap = await dial(stack, { from: PSAP, to: callback, expect: 'call' });
    expect(await psap.waitExit(), psap.describe()).toBe(0);
    expect(await finish(pbx), pbx.describe()).toBe(0);
    const [ringing] = requests(pbx, 'INVITE');
    expect(ringing?.uri, pbx.describe()).toBe(`sip:4150@127.0.0.1:${stack.ports.pbx}`);
    expect(displayNameOf(ringing?.header('From')), ringing?.raw).toBe('EMERGENCY CALLBACK');

    await finish(security, 15_000);
    const bodies = requests(security, 'MESSAGE').map((m) => m.body);
    expect(bodies.some((b) => /^EMERGENCY 999/.test(b.trimStart()) && /callback: \+441707284000 \(reaches this extension until /.test(b)), security.describe()).toBe(true);
    expect(bodies.some((b) => b.includes('callback from the emergency service → 4150')), security.describe()).toBe(true);
    const alert = (await streamEntries(stack.redis.url, 'callguard:alerts')).find((e) => e.kind === 'emergency' && e.ext === '4150' && !e.note);
    expect(alert?.callbackUntil, JSON.stringify(alert)).toMatch(/^\d{4}-\d\d-\d\dT/);
  }, 180_000);

  it('4202 (no DDI) meanwhile gets the other number; the callback unanswered at 4202 for callbackRingSeconds goes to Security Control', async () => {
    // The 999 alert, the callback's two follow-ups, and the callback itself.
    const security = await peer(stack, 'security', 'answer', 4);
    const callback = await emergencyCall('4202');
    expect(callback).toBe(CALLBACK_NUMBERS[1]);
    const pbx = await peer(stack, 'pbx', 'no-answer', 1);
    const psap = await dial(stack, { from: PSAP, to: callback, expect: 'call' });
    const code = await psap.waitExit();
    await finish(pbx);
    await finish(security, 20_000);
    expect(requests(pbx, 'INVITE')[0]?.uri, pbx.describe()).toBe(`sip:4202@127.0.0.1:${stack.ports.pbx}`);
    expect(requests(pbx, 'CANCEL'), pbx.describe()).toHaveLength(1);
    const [toSecurity] = requests(security, 'INVITE');
    expect(toSecurity?.uri, security.describe()).toBe(`sip:security@127.0.0.1:${stack.ports.security}`);
    expect(displayNameOf(toSecurity?.header('From')), toSecurity?.raw).toBe('EMERGENCY CALLBACK for 4202');
    expect(requests(security, 'MESSAGE').some((m) => m.body.includes('4202 did not take it (no answer in 5 s), put through to Security Control')), security.describe()).toBe(true);
    expect(code, psap.describe()).toBe(0);
  }, 180_000);

  it('after the window the number reaches the switchboard again (a reloaded plan with a 6 s window; the pool exhausted reuses the oldest)', async () => {
    const from = stack.app.logs().length;
    editSite(stack.dialplan.dir, { emergency: { callbackMinutes: 0.1 } });
    await stack.app.waitForLog('the reloaded plan', (e) => e.msg === 'dialplan reloaded', 30_000, from);

    const security = await peer(stack, 'security', 'answer', 1);
    // Both numbers are held for an hour: the lift phone takes the one held longest (4150's).
    const callback = await emergencyCall('2900');
    expect(callback).toBe(MAIN_NUMBER);
    const exhausted = await stack.app.waitForLog('the exhausted pool', (e) => /PSAP callback numbers exhausted/.test(String(e.msg)), 20_000, from);
    expect(exhausted).toMatchObject({ ext: '2900', callback: MAIN_NUMBER, displacedExt: '4150' });
    await finish(security, 15_000);

    // The key expires with the window; the app's copy ends at the same instant.
    await waitFor('the window to end', async () => (await redis.exists(`callguard:callback:${MAIN_NUMBER}`)) === 0, 60_000, 200);
    const pbx = await peer(stack, 'pbx', 'answer', 1);
    const psap = await dial(stack, { from: PSAP, to: MAIN_NUMBER, expect: 'call' });
    expect(await psap.waitExit(), psap.describe()).toBe(0);
    expect(await finish(pbx), pbx.describe()).toBe(0);
    expect(requests(pbx, 'INVITE')[0]?.uri, pbx.describe()).toBe(`sip:3200@127.0.0.1:${stack.ports.pbx}`);
  }, 180_000);
});
