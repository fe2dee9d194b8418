import { beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { callSetup, type InviteView } from '../../src/sip/callSetup.js';
import { samplePlan } from '../support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});

function invite(uri: string, headers: Record<string, string>, source = '192.0.2.10'): InviteView {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { uri, source_address: source, get: (n) => lower[n.toLowerCase()], has: (n) => n.toLowerCase() in lower };
}

const trusted = new Set(['192.0.2.1']);

describe('reading a call from an INVITE', () => {
  it('takes the caller from From and the number from the Request-URI', () => {
    const r = callSetup(plan, invite('sip:909012345678@callguard', { From: '"Dr Alice Moreno" <sip:4101@pbx>;tag=1' }), trusted);
    expect(r).toEqual({ ok: true, setup: { call: { from: '4101', to: '909012345678' }, callerNumber: '4101', callerName: 'Dr Alice Moreno', inbound: false } });
  });

  it('believes P-Asserted-Identity only from a trusted source', () => {
    const headers = { From: '<sip:anonymous@pbx>;tag=1', 'P-Asserted-Identity': '<sip:4101@pbx>' };
    expect(callSetup(plan, invite('sip:999@cg', headers, '192.0.2.1'), trusted)).toMatchObject({ setup: { call: { from: '4101' } } });
    expect(callSetup(plan, invite('sip:999@cg', headers, '192.0.2.66'), trusted)).toMatchObject({ setup: { call: { from: 'anonymous' } } });
  });

  it.each(['+441707284101', '01707284101', '441707284101', '4101', '+44-1707-284101', '01707-284101'])('maps an outside call to %s onto extension 4101', (dialled) => {
    const r = callSetup(plan, invite(`sip:${dialled}@cg`, { From: '<sip:+447700900123@trunk>;tag=1' }), trusted);
    expect(r).toMatchObject({ ok: true, setup: { call: { from: '+447700900123', to: '4101' }, inbound: true } });
  });

  it('leaves an outside call to a number that is not ours as dialled, for the policy to refuse', () => {
    const r = callSetup(plan, invite('sip:+441707999999@cg', { From: '<sip:+447700900123@trunk>;tag=1' }), trusted);
    expect(r).toMatchObject({ ok: true, setup: { call: { from: '+447700900123', to: '+441707999999' }, inbound: false } });
  });

  it('refuses what cannot be a call with a SIP status', () => {
    expect(callSetup(plan, invite('sip:callguard.example', { From: '<sip:4101@pbx>' }), trusted)).toMatchObject({ ok: false, status: 484 });
    expect(callSetup(plan, invite('im:4101@x', { From: '<sip:4101@pbx>' }), trusted)).toMatchObject({ ok: false, status: 416 });
    expect(callSetup(plan, invite('sip:4202@cg', {}), trusted)).toMatchObject({ ok: false, status: 400 });
    expect(callSetup(plan, invite('sip:4202@cg', { From: 'garbage' }), trusted)).toMatchObject({ ok: false, status: 400 });
  });
});
