import { describe, expect, it } from 'vitest';
import { readCorpus } from '../support/corpus.js';
import { callguard, callguardStream } from '../support/cli.js';
import { planCopy } from '../support/plans.js';

describe('callguard classify', () => {
  it('prints input, class, E.164 and country per line, in order, for the whole corpus', () => {
    const groups = new Map<string, ReturnType<typeof readCorpus>>();
    for (const row of readCorpus()) {
      const key = `${row.site} ${row.outsidePrefix ?? ''}`;
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const rows of groups.values()) {
      const { site, outsidePrefix } = rows[0]!;
      const args = ['classify', '--country', site, ...(outsidePrefix ? ['--outside-prefix', outsidePrefix] : [])];
      const r = callguard(args, rows.map((row) => row.dialled).join('\n') + '\n');
      expect(r.status).toBe(0);
      const out = r.stdout.split('\n').slice(0, -1).map((l) => l.split('\t'));
      expect(out.map((f) => [f[0], f[1]])).toEqual(rows.map((row) => [row.dialled, row.expected]));
      expect(out.every((f) => f.length === 4)).toBe(true);
    }
  });

  it('takes numbers as arguments and fills E.164 and country', () => {
    const r = callguard(['classify', '--country', 'GB', '01707 284678', '999']);
    expect(r.stdout).toBe('01707 284678\tgeographic\t+441707284678\tGB\n999\temergency\t\tGB\n');
  });

  it('takes a NANP home area code for 7-digit local dialling, refusing one that is not an area code', () => {
    expect(callguard(['classify', '--country', 'US', '--outside-prefix', '9', '--area-code', '212', '9 555 0100', '9 1 415 555 0100']).stdout).toBe(
      '9 555 0100\tgeographic\t+12125550100\tUS\n9 1 415 555 0100\tgeographic\t+14155550100\tUS\n',
    );
    expect(callguard(['classify', '--country', 'US', '555 0100']).stdout).toBe('555 0100\tinvalid\t\t\n');
    expect(callguard(['classify', '--country', 'US', '--area-code', '800', '555 0100'])).toMatchObject({ status: 2, stderr: expect.stringContaining('"800" is not a geographic area code') });
    expect(callguard(['classify', '--country', 'US', '--area-code', '2x', '555 0100'])).toMatchObject({ status: 2, stderr: expect.stringContaining('--area-code must be') });
  });

  it('uses the dialplan site when no country is given', () => {
    expect(callguard(['classify', '9999']).stdout).toBe('9999\temergency\t\tGB\n');
  });

  it('prints one JSON object per line, and counts per class', () => {
    expect(JSON.parse(callguard(['classify', '--country', 'US', '--format', 'json', '411']).stdout)).toEqual({ input: '411', class: 'directory', e164: null, country: 'US' });
    expect(callguard(['classify', '--country', 'GB', '--format', 'summary'], '999\n112\nabc\n').stdout).toBe('emergency\t2\ninvalid\t1\ntotal\t3\n');
  });

  it('refuses an unknown format or site country with a clear message', () => {
    expect(callguard(['classify', '--format', 'xml', '999'])).toMatchObject({ status: 2, stderr: expect.stringContaining('unknown format "xml"') });
    expect(callguard(['classify', '--country', 'FR', '999'])).toMatchObject({ status: 2, stderr: expect.stringContaining('no numbering plan for site country FR') });
  });

  it('streams a million lines', async () => {
    const base = ['01707284678', '09011234567', '+33142685300', 'abc', '9999'];
    function* lines() {
      for (let i = 0; i < 1_000_000; i++) yield base[i % base.length]!;
    }
    const r = await callguardStream(['classify', '--country', 'GB', '--outside-prefix', '9'], lines());
    expect(r).toEqual({ status: 0, lines: 1_000_000, last: '9999\temergency\t\tGB' });
  }, 120_000);
});

describe('callguard check', () => {
  it('prints the decision and why', () => {
    const r = callguard(['check', '--from', '4101', '--to', '909011234567']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^REJECT  4101 -> 909011234567\n/);
    expect(r.stdout).toMatch(/sipStatus:\s+403/);
    expect(r.stdout).toMatch(/why:\s+premium-rate numbers are barred/);
  });

  it('prints one JSON object with --json, honouring --unlocked and --at', () => {
    const locked = JSON.parse(callguard(['check', '--from', '4102', '--to', '900390612345678', '--json', '--at', '2026-10-01T10:00:00Z']).stdout);
    expect(locked).toMatchObject({ action: 'pin-required', class: 'international', country: 'IT', reason: 'phone-locked' });
    const unlocked = JSON.parse(callguard(['check', '--from', '4102', '--to', '900390612345678', '--json', '--unlocked', '--at', '2026-10-01T10:00:00Z']).stdout);
    expect(unlocked).toMatchObject({ action: 'allow', reason: 'international-granted', rule: 'grant:bokafor-fieldwork', where: expect.stringMatching(/grants\.yaml:\d+$/) });
    const expired = JSON.parse(callguard(['check', '--from', '4102', '--to', '900390612345678', '--json', '--unlocked', '--at', '2027-06-01']).stdout);
    expect(expired).toMatchObject({ action: 'reject', sipStatus: 403, reason: 'international-not-granted' });
  });

  it('shows the recording notice and the emergency alert', () => {
    expect(JSON.parse(callguard(['check', '--from', '3000', '--to', '901707284678', '--json']).stdout)).toMatchObject({ action: 'allow', notice: 'service-desk', record: true });
    expect(JSON.parse(callguard(['check', '--from', '2900', '--to', '999', '--json']).stdout)).toMatchObject({ action: 'emergency', alert: { callback: '+441707284000', location: 'Main Building, lift 1 car' } });
  });

  it('reads the dialplan from --dialplan or CALLGUARD_DIALPLAN', () => {
    const copy = planCopy({ 'extra.yaml': 'extensions:\n  - ext: "5001"\n    name: Lab\n    class: staff\n' });
    try {
      expect(JSON.parse(callguard(['check', '--from', '5001', '--to', '4101', '--json', '--dialplan', copy.dir]).stdout)).toMatchObject({ action: 'allow', class: 'internal' });
      expect(JSON.parse(callguard(['check', '--from', '5001', '--to', '4101', '--json'], undefined, { CALLGUARD_DIALPLAN: copy.dir }).stdout)).toMatchObject({ action: 'allow' });
    } finally {
      copy.remove();
    }
  });

  it('fails clearly on a bad --at or missing options', () => {
    expect(callguard(['check', '--from', '4101', '--to', '999', '--at', 'tomorrow'])).toMatchObject({ status: 2, stderr: expect.stringContaining('--at "tomorrow" is not an ISO-8601') });
    expect(callguard(['check', '--from', '4101']).status).not.toBe(0);
  });
});

describe('callguard validate', () => {
  it('exits 0 for the sample plan', () => {
    expect(callguard(['validate'])).toMatchObject({ status: 0, stdout: expect.stringContaining('valid') });
  });

  it('exits 1 with one line per problem', () => {
    const copy = planCopy({ 'extra.yaml': 'extensions:\n  - ext: "999"\n    name: Bad\n    class: staff\n  - ext: "5001"\n    name: Bad\n    class: nope\n' });
    try {
      const r = callguard(['validate', copy.dir]);
      expect(r.status).toBe(1);
      expect(r.stdout.trim().split('\n')).toEqual([
        `${copy.dir}/extra.yaml:2:10: extension 999 collides with an emergency number`,
        `${copy.dir}/extra.yaml:7:12: unknown class of service "nope" (have staff, service-desk, switchboard, common-area, hotline)`,
      ]);
    } finally {
      copy.remove();
    }
  });
});
