import { describe, expect, it } from 'vitest';
import { StateRefused } from '../../src/state/runtimeState.js';
import { bothStores } from '../support/bothStores.js';

const stores = bothStores();

const MINUTE = 60_000;
const T = Date.parse('2026-11-23T14:00:00Z');
const ALICE = '4101';

describe.each(stores.cases)('admin unlock, %s', (_name, fresh) => {
  it('unlocks without the PIN, clears failures and a lockout, and the idle re-lock still applies', async () => {
    const s = await fresh();
    await s.state.setPin(ALICE, '731946');
    for (let i = 0; i < 5; i++) await s.state.unlock(ALICE, '000000', T);
    expect(s.state.status(ALICE, T)).toMatchObject({ lock: 'locked', failures: 5, lockoutUntil: T + 15 * MINUTE });
    await s.state.unlockByAdmin(ALICE, T + MINUTE);
    expect(s.state.status(ALICE, T + MINUTE)).toMatchObject({ lock: 'unlocked', failures: 0, lockoutUntil: undefined, relocksAt: T + 31 * MINUTE });
    expect(s.state.replica.phoneState(stores.plan, ALICE, T + 31 * MINUTE).lock).toBe('locked');
  });

  it('refuses an extension the dialplan does not have', async () => {
    const s = await fresh();
    await expect(s.state.unlockByAdmin('9999999', T)).rejects.toBeInstanceOf(StateRefused);
  });
});
