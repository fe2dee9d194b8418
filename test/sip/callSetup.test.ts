import { beforeAll, describe, expect, it } from 'vitest';
import type { Plan } from '../../src/policy/plan.js';
import { callSetup, UNKNOWN_CALLER } from '../../src/sip/callSetup.js';
import { inviteView } from '../support/inviteView.js';
import { samplePlan } from '../support/plans.js';

let plan: Plan;
beforeAll(async () => {
  plan = await samplePlan();
});

const invite = inviteView;

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

  it('reads a quoted display name that holds angle brackets, quotes and backslashes', () => {
    for (const [from, name] of [
      ['"<script>x</script>" <sip:4101@host>;tag=1', '<script>x</script>'],
      ['"a \\"b\\" <c>" <sip:4101@host>;tag=1', 'a "b" <c>'],
      ['"Zoë Ärztin" <sip:4101@host>;tag=1', 'Zoë Ärztin'],
      ['Alice   Moreno <sip:4101@host>;tag=1', 'Alice   Moreno'],
      ['sip:4101@host;tag=1', undefined],
      ['<tel:4101>;tag=1', undefined],
    ] as const) {
      expect(callSetup(plan, invite('sip:09011234567@cg', { From: from }), trusted), from).toMatchObject({ ok: true, setup: { call: { from: '4101' }, callerName: name } });
    }
  });

  it.each(['<sip:@host>;tag=1', '<sip:%C3%28@host>;tag=1', 'garbage', '<mailto:x@y>;tag=1', '""'])('routes 999 from an unreadable From (%s) as an unknown caller with the site callback', (from) => {
    const r = callSetup(plan, invite('sip:999@cg', { From: from }), trusted);
    expect(r).toMatchObject({ ok: true, setup: { call: { from: UNKNOWN_CALLER, to: '999' }, callerNumber: plan.site.mainNumber } });
    expect(r.ok && r.setup.callerUnreadable).toBeTruthy();
    expect(callSetup(plan, invite('sip:09011234567@cg', { From: from }), trusted)).toMatchObject({ ok: false, status: 400 });
  });

  describe('calls the PBX forwards', () => {
    const PBX = '192.0.2.1';
    const outside = '"Caller" <sip:+447700900123@pbx>;tag=1';

    it.each([
      ['Diversion', '<sip:4101@pbx>;reason=unconditional;counter=1'],
      ['Diversion', '<tel:4101>;reason=no-answer, <sip:4202@pbx>;reason=user-busy'],
      ['History-Info', '<sip:4101@pbx>;index=1, <sip:+447700900456@pbx;cause=302>;index=1.1'],
    ])('a trusted %s naming 4101 makes it a call from 4101 to the new target', (header, value) => {
      const r = callSetup(plan, invite('sip:+447700900456@cg', { From: outside, [header]: value }, PBX), trusted);
      expect(r).toMatchObject({ ok: true, setup: { call: { from: '4101', to: '+447700900456', forwarded: true }, callerNumber: '+447700900123', callerName: 'Caller', inbound: false } });
    });

    it("leaves a forward to 999 the outside caller's emergency call, not the diverting phone's (its desk is not where they are)", () => {
      const r = callSetup(plan, invite('sip:999@cg', { From: outside, Diversion: '<sip:4101@pbx>' }, PBX), trusted);
      expect(r).toMatchObject({ ok: true, setup: { call: { from: '+447700900123', to: '999' } } });
    });

    it('ignores a Diversion from an untrusted source', () => {
      const r = callSetup(plan, invite('sip:+447700900456@cg', { From: outside, Diversion: '<sip:4101@pbx>' }, '192.0.2.66'), trusted);
      expect(r).toMatchObject({ ok: true, setup: { call: { from: '+447700900123', to: '+447700900456' } } });
      expect(r.ok && r.setup.call.forwarded).toBeFalsy();
    });

    it('ignores a Diversion naming no extension of ours, and an internal caller is never re-read', () => {
      expect(callSetup(plan, invite('sip:+447700900456@cg', { From: outside, Diversion: '<sip:+441234567890@pbx>' }, PBX), trusted)).toMatchObject({ setup: { call: { from: '+447700900123' } } });
      expect(callSetup(plan, invite('sip:+447700900456@cg', { From: '<sip:4202@pbx>;tag=1', Diversion: '<sip:4101@pbx>' }, PBX), trusted)).toMatchObject({ setup: { call: { from: '4202' } } });
    });
  });
});
