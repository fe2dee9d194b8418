import { beforeAll, describe, expect, it } from 'vitest';
import { decide } from '../../src/policy/decide.js';
import type { Decision } from '../../src/policy/decision.js';
import type { Grant } from '../../src/policy/grant.js';
import { LOCKED_PHONE, type PhoneState } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import { samplePlan } from '../support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});

const NOW = Date.parse('2026-11-22T12:00:00Z');
const UNLOCKED: PhoneState = { lock: 'unlocked', grants: [] };
const call = (from: string, to: string, phone: PhoneState = LOCKED_PHONE, now = NOW): Decision => decide(plan, phone, { from, to }, now);

function runtimeGrant(overrides: Partial<Grant>): Grant {
  return { id: 'rt-1', user: 'dfischer', worldwide: false, countries: new Set(), prefixes: [], reason: 'conference', approver: 'Head of School', where: 'runtime', ...overrides };
}

describe('policy 1: premium, chat and paid directory are barred', () => {
  it.each([
    ['909011234567', 'premium', 'premium-barred'],
    ['909821234567', 'chat-line', 'chat-line-barred'],
    ['9118118', 'directory', 'directory-barred'],
    ['+97912345678', 'premium', 'premium-barred'],
  ])('%s is %s', (to, cls, reason) => {
    expect(call('4101', to, UNLOCKED)).toMatchObject({ action: 'reject', sipStatus: 403, class: cls, reason });
  });

  it('names the numbering rule that made the number premium', () => {
    expect(call('4101', '909011234567').rule.where).toMatch(/numbering\/GB\.yaml:\d+/);
  });
});

describe('classes of service', () => {
  it('lets staff call mobiles but not a corridor phone', () => {
    expect(call('4101', '907911123456')).toMatchObject({ action: 'allow', class: 'mobile', reason: 'class-of-service', rule: { id: 'class:staff' } });
    expect(call('4150', '907911123456')).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'class-not-permitted', rule: { id: 'class:common-area' } });
  });
  it('rejects what cannot be a number with 484', () => {
    expect(call('4101', '90909')).toMatchObject({ action: 'reject', sipStatus: 484, reason: 'invalid-number' });
  });
  it('does not let strangers break out, and sends unknown extensions 404', () => {
    expect(call('+441234567890', '901707284678')).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'unknown-caller' });
    expect(call('4101', '4999')).toMatchObject({ action: 'reject', sipStatus: 484 });
    expect(call('+441234567890', '4999')).toMatchObject({ action: 'reject', sipStatus: 404, reason: 'unknown-extension' });
  });
});

describe('policy 2: international by grant, PIN on locked phones', () => {
  it('bars international for users without a grant', () => {
    expect(call('4202', '90033142685300', UNLOCKED)).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'international-not-granted' });
  });
  it('asks a locked phone for the PIN, and lets an unlocked one through under the grant', () => {
    expect(call('4101', '90033142685300')).toMatchObject({ action: 'pin-required', reason: 'phone-locked' });
    expect(call('4101', '90033142685300', UNLOCKED)).toMatchObject({ action: 'allow', reason: 'international-granted', rule: { id: 'grant:amoreno-cern' } });
  });
  it('refuses a call the PBX forwards abroad for a locked phone: nobody is there to give the PIN', () => {
    expect(decide(plan, LOCKED_PHONE, { from: '4101', to: '90033142685300', forwarded: true }, NOW)).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'phone-locked' });
    expect(decide(plan, UNLOCKED, { from: '4101', to: '90033142685300', forwarded: true }, NOW)).toMatchObject({ action: 'allow', reason: 'international-granted' });
  });
  it('asks for the PIN when the lock state is unknown', () => {
    expect(call('4101', '90033142685300', { lock: 'unknown', grants: [] })).toMatchObject({ action: 'pin-required', rule: { id: 'phone-unknown' } });
  });
  it('refuses instead of prompting while PIN entry is locked out', () => {
    expect(call('4101', '90033142685300', { lock: 'locked', grants: [], pinLockoutUntil: NOW + 60_000 })).toMatchObject({ action: 'reject', reason: 'pin-locked-out' });
    expect(call('4101', '90033142685300', { lock: 'locked', grants: [], pinLockoutUntil: NOW - 1 })).toMatchObject({ action: 'pin-required' });
  });
  it('keeps a grant to its countries', () => {
    expect(call('4101', '900390612345678', UNLOCKED)).toMatchObject({ action: 'reject', reason: 'international-not-granted' });
  });
  it('honours start and end dates (until is inclusive of its day)', () => {
    const paris = '90033142685300';
    expect(call('4102', paris, UNLOCKED, Date.parse('2026-08-31T23:59:59Z'))).toMatchObject({ action: 'reject' });
    expect(call('4102', paris, UNLOCKED, Date.parse('2026-09-01T00:00:00Z'))).toMatchObject({ action: 'allow', rule: { id: 'grant:bokafor-fieldwork' } });
    expect(call('4102', paris, UNLOCKED, Date.parse('2027-03-31T23:59:00Z'))).toMatchObject({ action: 'allow' });
    expect(call('4102', paris, UNLOCKED, Date.parse('2027-04-01T00:00:00Z'))).toMatchObject({ action: 'reject' });
  });
  it('needs high-risk destinations named even for worldwide grants', () => {
    expect(call('4102', '+5371234567', UNLOCKED)).toMatchObject({ action: 'reject', reason: 'high-risk-not-granted' });
    expect(call('4102', '+881612345678', UNLOCKED)).toMatchObject({ action: 'allow', reason: 'international-granted' });
    expect(call('4102', '+881612345678')).toMatchObject({ action: 'pin-required' });
  });
  it('uses grants issued at run time, and then PIN-locks that user\'s phone', () => {
    const phone: PhoneState = { lock: 'locked', grants: [runtimeGrant({ countries: new Set(['FR']), until: NOW + 3_600_000 })] };
    expect(call('4202', '90033142685300', phone)).toMatchObject({ action: 'pin-required' });
    expect(call('4202', '90033142685300', { ...phone, lock: 'unlocked' })).toMatchObject({ action: 'allow', rule: { id: 'grant:rt-1', where: 'runtime' } });
    expect(call('4202', '90033142685300', { ...phone, lock: 'unlocked' }, NOW + 3_600_000)).toMatchObject({ action: 'reject' });
  });
  it('does not lock phones of users without international rights', () => {
    expect(call('4202', '901707284678', LOCKED_PHONE)).toMatchObject({ action: 'allow' });
  });
});

describe('policy 3: allow- and deny-list entries', () => {
  it('opens paid directory for the switchboard only', () => {
    expect(call('3200', '9118118')).toMatchObject({ action: 'allow', reason: 'allow-list', rule: { where: expect.stringMatching(/lists\.yaml:\d+$/) } });
    expect(call('3200', '9118500')).toMatchObject({ action: 'reject', reason: 'directory-barred' });
    expect(call('4101', '9118118')).toMatchObject({ action: 'reject', reason: 'directory-barred' });
  });
  it('opens a premium number for a named user within its dates', () => {
    expect(call('4301', '909012345678', LOCKED_PHONE, Date.parse('2026-11-01T10:00:00Z'))).toMatchObject({ action: 'allow', reason: 'allow-list' });
    expect(call('4301', '909012345678', LOCKED_PHONE, Date.parse('2026-12-19T10:00:00Z'))).toMatchObject({ action: 'reject', reason: 'premium-barred' });
  });
  it('blocks deny-listed numbers and prefixes that the class would allow', () => {
    expect(call('3200', '908712345678')).toMatchObject({ action: 'reject', reason: 'deny-list', sipStatus: 403 });
    expect(call('3200', '908714345678')).toMatchObject({ action: 'allow' });
    expect(call('4101', '902079460999')).toMatchObject({ action: 'reject', reason: 'deny-list' });
  });
});

describe('policy 4: recorded extensions, both directions', () => {
  it('plays the area notice and records outbound, inbound and internal calls', () => {
    expect(call('3000', '901707284678')).toMatchObject({ action: 'allow', recording: { notice: 'service-desk', record: true } });
    expect(call('+447911123456', '3000')).toMatchObject({ action: 'allow', class: 'internal', reason: 'inbound', recording: { notice: 'service-desk' } });
    expect(call('4101', '3100')).toMatchObject({ action: 'allow', reason: 'internal', recording: { notice: 'finance' } });
    expect(call('3200', '901707284678')).toMatchObject({ recording: { notice: 'general' } });
  });
  it('does not record unrecorded extensions', () => {
    const d = call('4101', '4202');
    expect(d).toMatchObject({ action: 'allow', class: 'internal' });
    expect(d.action === 'allow' && d.recording).toBeFalsy();
  });
  it('never puts a notice in front of an emergency call from a recorded extension', () => {
    expect(call('3000', '999')).toMatchObject({ action: 'emergency' });
    expect(call('3000', '999')).not.toHaveProperty('recording');
  });
});

describe('policy 5: emergency lines are hotlines to Security Control', () => {
  it('sends any dialled string to Security with the location and failover', () => {
    for (const to of ['4101', '901707284678', '909011234567', '', 'abc']) {
      expect(call('2900', to)).toMatchObject({ action: 'security', reason: 'emergency-line', target: '2222', failover: ['2223', '+441707284999'], answerTimeoutSeconds: 15, location: 'Main Building, lift 1 car' });
    }
  });
  it('still reaches 999 directly', () => {
    expect(call('2910', '999')).toMatchObject({ action: 'emergency', alert: { location: 'Lindop Building, level 2, east stair refuge' } });
  });
});

describe('policy 6: emergency numbers', () => {
  it('always connect, to the emergency trunk, with callback and location for the alert', () => {
    expect(call('4101', '9999')).toMatchObject({
      action: 'emergency',
      class: 'emergency',
      reason: 'emergency-number',
      trunk: 'sip:sbc1.herts.example.ac.uk:5060',
      alert: { callback: '+441707284101', location: 'Lindop Building, room 2F410', address: { RD: 'College Lane', PC: 'AL10 9AB' } },
    });
  });
  it("send the PSAP to the phone's own campus, and call back the switchboard for a phone without a DDI", () => {
    expect(call('4301', '999')).toMatchObject({ alert: { callback: '+441707284301', address: { RD: 'Mosquito Way', PC: 'AL10 9EU' } } });
    expect(call('2900', '999')).toMatchObject({ alert: { callback: '+441707284000', address: { RD: 'College Lane' } } });
  });
  it('connect for callers the plan does not know, with the switchboard as callback (never what their From says)', () => {
    expect(call('sip-unknown', '112')).toMatchObject({ action: 'emergency', alert: { callback: '+441707284000', address: { RD: 'College Lane' } } });
  });
});

describe('purity', () => {
  it('returns the same decision for the same inputs and leaves the plan untouched', () => {
    const before = plan.extensions.size;
    expect(call('4101', '90033142685300')).toEqual(call('4101', '90033142685300'));
    expect(plan.extensions.size).toBe(before);
  });
});
