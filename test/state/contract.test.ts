import { describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.js';
import { StateRefused } from '../../src/state/runtimeState.js';
import { bothStores } from '../support/bothStores.js';
import type { StateUnderTest } from '../support/stateFixtures.js';

const stores = bothStores();

const MINUTE = 60_000;
// 14:00 in London on a winter weekday: the 19:00 end-of-day re-lock is five hours away.
const T = Date.parse('2026-11-23T14:00:00Z');
const PIN = '731946';
const ALICE = '4101'; // amoreno, DDI +441707284101, granted CH/FR/DE

describe.each(stores.cases)('%s', (_name, fresh) => {
  const lockOf = (s: StateUnderTest, at: number, ext = ALICE) => s.state.replica.phoneState(stores.plan, ext, at).lock;

  it('knows a phone nobody unlocked as locked', async () => {
    const { state } = await fresh();
    expect(state.replica.phoneState(stores.plan, ALICE, T)).toEqual({ lock: 'locked', pinLockoutUntil: undefined, grants: [] });
    expect(state.status(ALICE, T)).toMatchObject({ lock: 'locked', hasPin: false, failures: 0 });
  });

  it.each([
    ['111111', 'one repeated digit'],
    ['123456', 'run of digits'],
    ['654321', 'run of digits'],
    ['890123', 'run of digits'],
    ['410188', "phone's own extension"],
    ['441707', 'direct-dial number'],
    ['017072', 'direct-dial number'],
    ['12345', 'wrong number of digits'],
    ['12a456', 'digits only'],
  ])('refuses the weak PIN %s (%s) without repeating it', async (pin, why) => {
    const { state } = await fresh();
    const error = await state.setPin(ALICE, pin).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StateRefused);
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).not.toContain(pin);
  });

  it('unlocks with the right PIN, then locks itself after 30 idle minutes', async () => {
    const { state } = await fresh();
    await state.setPin(ALICE, PIN);
    expect(await state.unlock(ALICE, PIN, T)).toEqual({ outcome: 'unlocked' });
    expect(state.status(ALICE, T)).toMatchObject({ lock: 'unlocked', relocksAt: T + 30 * MINUTE });
    expect(state.replica.phoneState(stores.plan, ALICE, T + 29 * MINUTE).lock).toBe('unlocked');
    expect(state.replica.phoneState(stores.plan, ALICE, T + 30 * MINUTE).lock).toBe('locked');
  });

  it('counts the idle time from the last call', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    await s.state.unlock(ALICE, PIN, T);
    await s.state.recordCall(ALICE, T + 20 * MINUTE);
    expect(lockOf(s, T + 49 * MINUTE)).toBe('unlocked');
    expect(lockOf(s, T + 50 * MINUTE)).toBe('locked');
  });

  it('locks at the end of the day in the site time zone', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    const tenToSeven = Date.parse('2026-07-01T17:50:00Z'); // 18:50 BST
    await s.state.unlock(ALICE, PIN, tenToSeven);
    expect(lockOf(s, tenToSeven + 9 * MINUTE)).toBe('unlocked');
    expect(lockOf(s, tenToSeven + 10 * MINUTE)).toBe('locked');
  });

  it('locks on request, and a new PIN locks the phone too', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    await s.state.unlock(ALICE, PIN, T);
    await s.state.lock(ALICE);
    expect(lockOf(s, T + MINUTE)).toBe('locked');
    await s.state.unlock(ALICE, PIN, T + 2 * MINUTE);
    await s.state.setPin(ALICE, '802519');
    expect(lockOf(s, T + 3 * MINUTE)).toBe('locked');
    expect(await s.state.unlock(ALICE, PIN, T + 4 * MINUTE)).toMatchObject({ outcome: 'wrong-pin' });
    expect(await s.state.unlock(ALICE, '802519', T + 5 * MINUTE)).toEqual({ outcome: 'unlocked' });
  });

  it('locks PIN entry out after five wrong PINs, alerts Security once, and lets the right PIN in after 15 minutes', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    for (let left = 4; left >= 1; left--) expect(await s.state.unlock(ALICE, '000001', T)).toEqual({ outcome: 'wrong-pin', attemptsLeft: left });
    expect(await s.state.unlock(ALICE, '000001', T)).toEqual({ outcome: 'locked-out', until: T + 15 * MINUTE });
    expect(s.alerts).toEqual([{ kind: 'pin-lockout', ext: ALICE, user: 'amoreno', location: 'Lindop Building, room 2F410', at: T, until: T + 15 * MINUTE }]);
    expect(await s.state.unlock(ALICE, PIN, T + 14 * MINUTE)).toEqual({ outcome: 'locked-out', until: T + 15 * MINUTE });
    expect(s.state.replica.phoneState(stores.plan, ALICE, T).pinLockoutUntil).toBe(T + 15 * MINUTE);
    expect(decide(stores.plan, s.state.replica.phoneState(stores.plan, ALICE, T), { from: ALICE, to: '90033142685300' }, T)).toMatchObject({ action: 'reject', reason: 'pin-locked-out' });
    expect(await s.state.unlock(ALICE, PIN, T + 15 * MINUTE)).toEqual({ outcome: 'unlocked' });
    expect(s.alerts).toHaveLength(1);
  });

  it('lets no sixth guess through when twenty arrive at once', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => s.state.unlock(ALICE, '000001', T)));
    expect(outcomes.filter((o) => o.outcome === 'wrong-pin')).toHaveLength(4);
    expect(outcomes.filter((o) => o.outcome === 'locked-out')).toHaveLength(16);
    expect(s.alerts).toHaveLength(1);
    expect(s.state.status(ALICE, T)).toMatchObject({ failures: 5, lockoutUntil: T + 15 * MINUTE });
  });

  it('keeps the phone locked when an admin resets the PIN while the old one is being checked', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    const attempt = await s.state.backend.beginPinAttempt(ALICE, T, { maxAttempts: 5, lockoutMs: 15 * MINUTE });
    if (!attempt.ok) throw new Error(`attempt not started: ${attempt.reason}`);
    await s.state.setPin(ALICE, '802519');
    expect(await s.state.backend.pinAccepted(ALICE, T, attempt.pinHash)).toBe(false);
    expect(lockOf(s, T)).toBe('locked');
    expect(await s.state.unlock(ALICE, '802519', T)).toEqual({ outcome: 'unlocked' });
  });

  it('resets the count of failures after a success', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    for (let i = 0; i < 4; i++) await s.state.unlock(ALICE, '000001', T);
    await s.state.unlock(ALICE, PIN, T);
    expect(s.state.status(ALICE, T).failures).toBe(0);
    expect(await s.state.unlock(ALICE, '000001', T)).toEqual({ outcome: 'wrong-pin', attemptsLeft: 4 });
  });

  it('says when a phone has no PIN yet', async () => {
    const { state } = await fresh();
    expect(await state.unlock(ALICE, PIN, T)).toEqual({ outcome: 'no-pin' });
  });

  it('refuses changes for extensions the dialplan does not have', async () => {
    const { state } = await fresh();
    await expect(state.lock('9999')).rejects.toThrow(/extension 9999 is not in the dialplan/);
  });

  it('issues, lists and revokes run-time grants, which decide then uses', async () => {
    const s = await fresh();
    const grant = await s.state.addGrant({ user: 'dfischer', worldwide: false, countries: ['JP'], prefixes: [], until: T + 60 * MINUTE, reason: 'conference in Kyoto', approver: 'Head of School' });
    expect(s.state.grants('dfischer')).toEqual([grant]);
    const phone = { ...s.state.replica.phoneState(stores.plan, '4202', T), lock: 'unlocked' as const };
    expect(decide(stores.plan, phone, { from: '4202', to: '90081312345678' }, T)).toMatchObject({ action: 'allow', rule: { id: `grant:${grant.id}`, where: 'runtime' } });
    expect(decide(stores.plan, s.state.replica.phoneState(stores.plan, '4202', T), { from: '4202', to: '90081312345678' }, T)).toMatchObject({ action: 'pin-required' });
    await s.state.revokeGrant(grant.id);
    expect(s.state.grants()).toEqual([]);
    await expect(s.state.revokeGrant(grant.id)).rejects.toThrow(/no runtime grant/);
  });

  it('re-derives re-lock times when a reloaded stores.plan changes the idle time', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, PIN);
    await s.state.unlock(ALICE, PIN, T);
    s.state.usePlan({ ...stores.plan, site: { ...stores.plan.site, relock: { ...stores.plan.site.relock, idleMinutes: 5 } } });
    expect(lockOf(s, T + 5 * MINUTE)).toBe('locked');
    s.state.usePlan(stores.plan);
    expect(lockOf(s, T + 5 * MINUTE)).toBe('unlocked');
  });

  it('refuses grants for unknown users, countries or prefixes, or with no destination', async () => {
    const { state } = await fresh();
    await expect(state.addGrant({ user: 'cwei', worldwide: false, countries: ['XQ'], prefixes: [], reason: 'x', approver: 'y' })).rejects.toThrow(/unknown country code XQ/);
    await expect(state.addGrant({ user: 'cwei', worldwide: false, countries: [], prefixes: ['+88x'], reason: 'x', approver: 'y' })).rejects.toThrow(/not an E.164 prefix/);
    await expect(state.addGrant({ user: 'nobody', worldwide: true, countries: [], prefixes: [], reason: 'x', approver: 'y' })).rejects.toThrow(/no extension .* has user nobody/);
    await expect(state.addGrant({ user: 'cwei', worldwide: false, countries: [], prefixes: [], reason: 'x', approver: 'y' })).rejects.toThrow(/needs --worldwide/);
  });
});
