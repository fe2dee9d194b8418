/**
 * Every legal form of a From header (RFC 3261 §25.1: name-addr with a token or quoted display name,
 * bare addr-spec, sip/sips/tel URIs, escaped users, odd parameters), read by drachtio-srf's own parser
 * as the edge reads it: an emergency number is always an emergency call with the caller's callback,
 * and a premium number always 403 premium-barred, never a 400.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { decide } from '../../src/policy/decide.js';
import type { PhoneState } from '../../src/policy/phoneState.js';
import type { Plan } from '../../src/policy/plan.js';
import { callSetup } from '../../src/sip/callSetup.js';
import { inviteView } from '../support/inviteView.js';
import { planCopy, samplePlan } from '../support/plans.js';

const PHONE: PhoneState = { lock: 'unlocked', grants: [] };
const NOW = Date.parse('2026-06-01T10:00:00Z');
const NO_TRUST = new Set<string>();

const TOKEN_CHARS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`\'~';
const token = fc.string({ unit: fc.constantFrom(...TOKEN_CHARS), minLength: 1, maxLength: 8 });
const lws = fc.constantFrom(' ', '  ', '\t', ' \t ');

/** Any text (markup, quotes, backslashes, UTF-8) as an RFC 3261 quoted-string, with quoted-pairs. */
const quotedName = fc
  .string({ unit: fc.oneof(fc.constantFrom('<', '>', '"', '\\', ';', ',', '@', ':', ' ', 'é', '—', '日', '👩‍⚕️'), fc.string({ unit: 'grapheme', maxLength: 1 })), maxLength: 24 })
  .map((text) => [...text].filter((c) => c >= ' ' || c === '\t').join(''))
  .map((text) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`);
const tokenName = fc.array(fc.tuple(token, lws), { minLength: 1, maxLength: 3 }).map((parts) => parts.map(([t, w], i) => (i < parts.length - 1 ? t + w : t)).join(''));
const displayName = fc.oneof(fc.constant(''), tokenName, quotedName);

const host = fc.constantFrom('pbx.herts.example.ac.uk', '192.0.2.10', '[2001:db8::10]', 'phone-4101.local');
const port = fc.constantFrom('', ':5060', ':5061', ':15060');
const uriParams = fc.array(fc.constantFrom(';user=phone', ';transport=tcp', ';lr', ';x-odd=val.ue', ';ob'), { maxLength: 3 }).map((p) => p.join(''));
/** 4101 written plainly or with some digits escaped (`%34101` is 4101). */
const user4101 = fc.constantFrom('4101', '%34101', '41%301', '%34%31%30%31');
const sipUri = fc.tuple(fc.constantFrom('sip', 'sips', 'SIP'), user4101, host, port, uriParams).map(([s, u, h, p, params]) => `${s}:${u}@${h}${p}${params}`);
const telUri = fc.constantFrom('tel:4101;phone-context=herts.example.ac.uk', 'tel:4101;phone-context=+441707284');
const headerParams = fc.array(fc.constantFrom(';tag=a1b2', ';tag=Zq-9.x', ';x-odd=1', ';x="quoted ; value"', ' ; tag = spaced'), { maxLength: 3 }).map((p) => p.join(''));

/** A From value naming extension 4101, in one of the forms RFC 3261 allows. */
const fromHeader = fc.oneof(
  fc.tuple(displayName, fc.constantFrom('', ' ', '  '), fc.oneof(sipUri, telUri), headerParams).map(([name, gap, uri, params]) => `${name}${name && !name.startsWith('"') ? ' ' : gap}<${uri}>${params}`),
  // addr-spec: no URI parameters (they would be the header's), no display name
  fc.tuple(fc.constantFrom('sip', 'sips'), user4101, host, port, headerParams).map(([s, u, h, p, params]) => `${s}:${u}@${h}${p}${params}`),
);

async function usPlan(): Promise<{ plan: Plan; remove(): void }> {
  const site = readFileSync(join(planCopy().dir, 'site.yaml'), 'utf8');
  const copy = planCopy({ 'site.yaml': site.replace('country: GB\n', 'country: US\n  areaCode: "212"\n'), 'lists.yaml': '{}\n' });
  const loaded = await loadPlan(copy.dir);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => `${p.where}: ${p.message}`).join('\n'));
  return { plan: loaded.plan, remove: copy.remove };
}

describe('every legal From form', () => {
  let gb: Plan;
  let us: { plan: Plan; remove(): void };
  beforeAll(async () => {
    gb = await samplePlan();
    us = await usPlan();
  });
  afterAll(() => us.remove());

  function decided(plan: Plan, dialled: string, from: string) {
    const setup = callSetup(plan, inviteView(`sip:${dialled}@callguard.herts.example.ac.uk`, { From: from }), NO_TRUST);
    if (!setup.ok) return { refused: setup.status };
    expect(setup.setup.call.from, from).toBe('4101');
    return decide(plan, PHONE, setup.setup.call, NOW);
  }

  it('999, 112 and 9-999 (GB), 911, 9-911 and 112 (US) are emergency calls with the caller\'s callback', () => {
    const sites = fc.constantFrom(
      ...['999', '112', '9999', '18000'].map((n) => ['gb', n] as const),
      ...['911', '9911', '112'].map((n) => ['us', n] as const),
    );
    fc.assert(
      fc.property(sites, fromHeader, ([site, dialled], from) => {
        const d = decided(site === 'gb' ? gb : us.plan, dialled, from);
        expect(d, from).toMatchObject({ action: 'emergency', alert: { callback: '+441707284101' } });
      }),
      { numRuns: 1_000 },
    );
  });

  it('a premium number is 403 premium-barred, never a bad request', () => {
    const premium = fc.constantFrom(['gb', '09011234567'] as const, ['gb', '909011234567'] as const, ['us', '19005550100'] as const, ['us', '919005550100'] as const);
    fc.assert(
      fc.property(premium, fromHeader, ([site, dialled], from) => {
        const d = decided(site === 'gb' ? gb : us.plan, dialled, from);
        expect(d, from).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'premium-barred' });
      }),
      { numRuns: 1_000 },
    );
  });

  it('whatever else a From holds, an emergency number is routed', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }).map((s) => s.replace(/[\r\n]/g, ' ')), fc.constantFrom('999', '112', '9999'), (from, dialled) => {
        const setup = callSetup(gb, inviteView(`sip:${dialled}@callguard.herts.example.ac.uk`, { From: from }), NO_TRUST);
        expect(setup.ok, from).toBe(true);
        const d = setup.ok && decide(gb, PHONE, setup.setup.call, NOW);
        expect(d && d.action).toBe('emergency');
        expect(d && d.action === 'emergency' && d.alert.callback).toMatch(/^\+[1-9]\d{6,14}$/);
      }),
      { numRuns: 1_000 },
    );
  });
});
