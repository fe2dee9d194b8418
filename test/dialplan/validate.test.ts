import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import type { Problem } from '../../src/dialplan/problem.js';
import { planCopy, SAMPLE_DIALPLAN } from '../support/plans.js';

const copies: { remove(): void }[] = [];
afterEach(() => copies.splice(0).forEach((c) => c.remove()));

/** Problems of the sample plan with one extra file added. */
async function problemsWith(name: string, text: string, replace: Record<string, string> = {}): Promise<{ dir: string; problems: Problem[] }> {
  const copy = planCopy({ ...replace, [name]: text });
  copies.push(copy);
  const result = await loadPlan(copy.dir);
  return { dir: copy.dir, problems: result.ok ? [] : result.problems };
}

describe('validation pins every mistake to file:line:column', () => {
  it('accepts the shipped sample plan', async () => {
    expect(await problemsWith('empty.yaml', '{}\n')).toMatchObject({ problems: [] });
  });

  it('refuses a call prefix that would hide an emergency number or a short code', async () => {
    const gb = readFileSync(join(SAMPLE_DIALPLAN, 'numbering/GB.yaml'), 'utf8');
    const line = gb.split('\n').findIndex((l) => l.includes('callPrefixes:')) + 1;
    for (const [bad, clash] of [['112', '112'], ['1011', '101']]) {
      const { dir, problems } = await problemsWith('empty.yaml', '{}\n', { 'numbering/GB.yaml': gb.replace('callPrefixes: ["141", "1470"]', `callPrefixes: ["141", "${bad}"]`) });
      expect(problems).toEqual([{ where: expect.stringMatching(new RegExp(`^${dir}/numbering/GB.yaml:${line}:\\d+$`)), message: expect.stringContaining(`clashes with "${clash}"`) }]);
    }
  });

  it('refuses a withhold prefix that is not a call prefix, at its line', async () => {
    const gb = readFileSync(join(SAMPLE_DIALPLAN, 'numbering/GB.yaml'), 'utf8');
    const line = gb.split('\n').findIndex((l) => l.includes('withholdPrefixes:')) + 1;
    const { dir, problems } = await problemsWith('empty.yaml', '{}\n', { 'numbering/GB.yaml': gb.replace('withholdPrefixes: ["141"]', 'withholdPrefixes: ["141", "*67"]') });
    expect(problems).toEqual([{ where: expect.stringMatching(new RegExp(`^${dir}/numbering/GB.yaml:${line}:\\d+$`)), message: 'withhold prefix "*67" is not one of callPrefixes' }]);
  });

  it('takes a NANP site home area code for 7-digit dialling, and pins a wrong one to its line', async () => {
    const sample = (await import('node:fs')).readFileSync(new URL('../../dialplan/site.yaml', import.meta.url), 'utf8');
    const usSite = (areaCode: string) => sample.replace('country: GB\n', `country: US\n  areaCode: "${areaCode}"\n`);
    const good = planCopy({ 'site.yaml': usSite('212'), 'lists.yaml': '{}\n' });
    copies.push(good);
    const loaded = await loadPlan(good.dir);
    expect(loaded.ok && loaded.plan.classify('555 0100')).toMatchObject({ class: 'geographic', e164: '+12125550100' });
    const line = sample.split('\n').findIndex((l) => l.includes('country: GB')) + 2;
    for (const [code, message] of [
      ['613', "area code 613 is in CA, not the site's country US"],
      ['311', '"311" is not a geographic area code of plan "NANP"'],
      ['2a2', '"2a2" is not an area code such as "212"'],
    ]) {
      const { dir, problems } = await problemsWith('lists.yaml', '{}\n', { 'site.yaml': usSite(code!) });
      expect(problems).toEqual([{ where: expect.stringMatching(new RegExp(`^${dir}/site.yaml:${line}:\\d+$`)), message }]);
    }
    const { dir, problems } = await problemsWith('extra.yaml', '{}\n', { 'site.yaml': sample.replace('country: GB\n', 'country: GB\n  areaCode: "1707"\n') });
    expect(problems).toEqual([{ where: expect.stringMatching(new RegExp(`^${dir}/site.yaml:${line}:\\d+$`)), message: expect.stringContaining('plan "GB" of site country GB has none') }]);
  });

  it('takes an IANA time zone, canonical or alias, and pins an unknown one to its line', async () => {
    const sample = readFileSync(join(SAMPLE_DIALPLAN, 'site.yaml'), 'utf8');
    const line = sample.split('\n').findIndex((l) => l.includes('timezone: Europe/London')) + 1;
    for (const zone of ['America/New_York', 'UTC', 'US/Eastern', 'Europe/Kiev']) {
      expect(await problemsWith('empty.yaml', '{}\n', { 'site.yaml': sample.replace('timezone: Europe/London', `timezone: ${zone}`) })).toMatchObject({ problems: [] });
    }
    const { dir, problems } = await problemsWith('empty.yaml', '{}\n', { 'site.yaml': sample.replace('timezone: Europe/London', 'timezone: Mars/Olympus_Mons') });
    expect(problems).toEqual([
      { where: expect.stringMatching(new RegExp(`^${dir}/site.yaml:${line}:\\d+$`)), message: 'unknown time zone "Mars/Olympus_Mons" (use an IANA name such as Europe/London)' },
    ]);
  });

  it('checks the region prefixes of a numbering plan', async () => {
    const gbPlan = (await import('node:fs')).readFileSync(new URL('../../dialplan/numbering/GB.yaml', import.meta.url), 'utf8');
    const broken = gbPlan.replace('"1481": GG', '"1481": XQ').replace('"1624": IM', '"1624": IM\n    "16X5": IM\n    "165X": GG');
    const { dir, problems } = await problemsWith('extra.yaml', '{}\n', { 'numbering/GB.yaml': broken });
    const line = (text: string) => broken.split('\n').findIndex((l) => l.includes(text)) + 1;
    expect(problems).toContainEqual({ where: expect.stringMatching(new RegExp(`^${dir}/numbering/GB.yaml:${line('"1481": XQ')}:\\d+$`)), message: 'unknown country code XQ' });
    expect(problems).toContainEqual({
      where: `${dir}/numbering/GB.yaml:${line('"165X": GG')}`,
      message: `region prefix "165X" (GG) overlaps "16X5" (IM) at ${dir}/numbering/GB.yaml:${line('"16X5": IM')}`,
    });
  });

  it('reports unknown keys at the key', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', ['extensions:', '  - ext: "5001"', '    name: Lab', '    clas: staff', ''].join('\n'));
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:4:5`, message: 'unknown key "clas"' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:2:5`, message: 'extensions is missing "class"' });
  });

  it('reports YAML syntax errors with their position', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'extensions:\n  - ext: "5001"\n   name: [unclosed\n');
    expect(problems[0]?.where).toMatch(new RegExp(`^${dir}/extra.yaml:\\d+:\\d+$`));
    expect(problems[0]?.message).toMatch(/^YAML: /);
  });

  it('asks for quoted extensions rather than silently losing leading zeros', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'extensions:\n  - ext: 5001\n    name: Lab\n    class: staff\n');
    expect(problems).toEqual([{ where: `${dir}/extra.yaml:2:10`, message: expect.stringContaining('must be a quoted string ("5001")') }]);
  });

  it('reports numbers that cannot be classified and numbers with stray characters', async () => {
    const unclassifiable = await problemsWith('extra.yaml', 'deny:\n  - number: "0909"\n    for: everyone\n    reason: typo\n');
    expect(unclassifiable.problems).toEqual([{ where: `${unclassifiable.dir}/extra.yaml:2:13`, message: '"0909" is not a number callguard can classify (invalid)' }]);
    const spaced = await problemsWith('extra.yaml', 'deny:\n  - prefix: "+44 871"\n    for: everyone\n    reason: spaces\n');
    expect(spaced.problems).toEqual([{ where: `${spaced.dir}/extra.yaml:2:13`, message: '"+44 871" is not digits, optionally after "+"' }]);
  });

  it('refuses list entries on emergency numbers', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'deny:\n  - number: "999"\n    for: everyone\n    reason: hoax calls\n');
    expect(problems).toEqual([{ where: `${dir}/extra.yaml:2:13`, message: expect.stringContaining('emergency calls are never listed') }]);
  });

  it('reports overlapping definitions with both places', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'extensions:\n  - ext: "4101"\n    name: Copy\n    class: staff\nclasses:\n  staff:\n    allow: [geographic]\n');
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:2:10`, message: `extension 4101 is defined again (first at ${dir}/extensions/academic.yaml:2:10)` });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:6:3`, message: `class "staff" is defined again (first at ${dir}/classes.yaml:4:3)` });
  });

  it('reports overlapping numbering ranges', async () => {
    const { dir, problems } = await problemsWith('numbering/extra.yaml', 'international:\n  ranges:\n    "+881": premium\n');
    const overlap = problems.find((p) => p.message.startsWith('range "881"'));
    const said = `${overlap?.where} ${overlap?.message}`;
    expect(said).toContain(`${dir}/numbering/extra.yaml:3`);
    expect(said).toMatch(/numbering\/international\.yaml:\d+/);
  });

  it('reports extensions that collide with emergency numbers, the outside prefix, short codes or each other', async () => {
    const exts = ['999', '9123', '101', '41', '4150'].map((ext) => `  - ext: "${ext}"\n    name: Phone ${ext}\n    class: staff\n`).join('');
    const { dir, problems } = await problemsWith('extra.yaml', `extensions:\n${exts}`);
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:2:10`, message: 'extension 999 collides with an emergency number' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:5:10`, message: 'extension 9123 starts with the outside-line prefix 9' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:8:10`, message: 'extension 101 collides with the public short code 101 (public-service)' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:14:10`, message: 'extension 4150 is defined again (first at ' + `${dir}/extensions/academic.yaml:16:10)` });
    expect(problems.some((p) => p.message.startsWith('extension 4101 begins with extension 41'))).toBe(true);
  });

  it('reports dates that end before they start, and impossible dates', async () => {
    const grants = ['grants:', '  - user: cwei', '    countries: [FR]', '    from: 2026-05-01', '    until: 2026-04-01', '    reason: trip', '    approver: Dean', '  - user: cwei', '    countries: [FR]', '    until: 2026-02-30', '    reason: trip', '    approver: Dean', ''].join('\n');
    const { dir, problems } = await problemsWith('extra.yaml', grants);
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:5:12`, message: 'ends (2026-04-01) before it starts (2026-05-01)' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:10:12`, message: '"2026-02-30" is not a real date' });
  });

  it('reports grants for unknown users and unknown countries', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'grants:\n  - user: zed\n    countries: [FR, QQ]\n    reason: trip\n    approver: Dean\n');
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:2:11`, message: 'grant for unknown user "zed" (no extension has user: zed)' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:3:21`, message: 'unknown country code QQ' });
  });

  it('refuses a class that would open premium or international calls', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'classes:\n  vip:\n    allow: [geographic, premium]\n');
    expect(problems).toEqual([{ where: `${dir}/extra.yaml:3:25`, message: expect.stringMatching(/^"premium" is not allowed here; choose one of: public-service, /) }]);
  });

  it('refuses a recording retention over 12 months and unknown references', async () => {
    const site = (await import('node:fs')).readFileSync(new URL('../../dialplan/site.yaml', import.meta.url), 'utf8').replace('retentionDays: 180', 'retentionDays: 400');
    const { dir, problems } = await problemsWith('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: Lab\n    class: nope\n    recorded: { notice: missing }\n', { 'site.yaml': site });
    expect(problems).toContainEqual({ where: `${dir}/site.yaml:13:20`, message: 'retentionDays must be <= 365' });
    // Shape problems are reported first, alone: they would make later checks misleading.
    expect(problems).toHaveLength(1);
  });

  it('refuses a bad route URI, a missing route and an address without a country, each at its line', async () => {
    const sample = (await import('node:fs')).readFileSync(new URL('../../dialplan/site.yaml', import.meta.url), 'utf8');
    const site = sample
      .replace('internal: sip:pbx.herts.example.ac.uk:5060', 'internal: pbx.herts.example.ac.uk')
      .replace(/\n {4}external: .*/, '')
      .replace('address: { country: GB, ', 'address: { ');
    const { dir, problems } = await problemsWith('extra.yaml', '# nothing\n', { 'site.yaml': site });
    const line = (text: string) => site.split('\n').findIndex((l) => l.includes(text)) + 1;
    expect(problems).toContainEqual({ where: expect.stringMatching(new RegExp(`^${dir}/site.yaml:${line('internal:')}:`)), message: '"pbx.herts.example.ac.uk" is not a SIP next hop such as sip:pbx.example.ac.uk:5060 (no user part)' });
    expect(problems).toContainEqual({ where: expect.stringMatching(new RegExp(`^${dir}/site.yaml:${line('routes:') + 1}:`)), message: 'routes is missing "external"' });
    expect(problems).toContainEqual({ where: expect.stringMatching(new RegExp(`^${dir}/site.yaml:${line('address:')}:`)), message: 'address is missing "country"' });
  });

  it('reports unknown classes, notices and emergency lines without a location', async () => {
    const { dir, problems } = await problemsWith('extra.yaml', 'extensions:\n  - ext: "5001"\n    name: Lab\n    class: nope\n    recorded: { notice: missing }\n    emergencyLine: true\n');
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:4:12`, message: 'unknown class of service "nope" (have staff, service-desk, switchboard, common-area, hotline)' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:5:25`, message: 'unknown notice "missing"' });
    expect(problems).toContainEqual({ where: `${dir}/extra.yaml:6:5`, message: 'emergency line 5001 needs a location for Security Control' });
  });

  it('says so when the directory is missing or empty', async () => {
    const result = await loadPlan('/nonexistent/dialplan');
    expect(result).toMatchObject({ ok: false, problems: [{ where: '/nonexistent/dialplan', message: expect.stringContaining('cannot read dialplan directory') }] });
  });
});
