import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { readListFile, type ListItem } from '../../src/dialplan/listFile.js';
import { loadPlan } from '../../src/dialplan/load.js';
import type { AppliesToFile, ListEntryFile } from '../../src/dialplan/schema.js';
import { schemaProblems } from '../../src/dialplan/schemaProblems.js';
import { SourceFile } from '../../src/dialplan/sourceFile.js';
import { packageRoot } from '../../src/packageRoot.js';
import { documentsTaken, jsYamlWithLines } from '../support/yamlOracle.js';

/** An item of the quick reader as the value YAML gives: only the keys written. */
function valueOf(item: Readonly<ListItem>): ListEntryFile {
  const who: Record<string, string[]> = {};
  for (const selector of ['users', 'extensions', 'classes'] as const) if (item[selector].length > 0) who[selector] = [...item[selector]];
  const entry: ListEntryFile = { [item.field]: item.digits, for: item.everyone ? 'everyone' : (who as AppliesToFile), reason: item.reason };
  if (item.approver !== undefined) entry.approver = item.approver;
  if (item.from !== undefined) entry.from = item.from;
  if (item.until !== undefined) entry.until = item.until;
  return entry;
}

/** The entries the quick reader gives, with their lines, by section; undefined when it gives up. */
function readQuickly(text: string) {
  const read = { allow: [] as { value: ListEntryFile; line: number }[], deny: [] as { value: ListEntryFile; line: number }[] };
  return readListFile(text, (kind, item) => read[kind].push({ value: valueOf(item), line: item.line }) > 0) ? read : undefined;
}

/**
 * The quick list reader either gives up or gives exactly what YAML gives, at the lines YAML cites, for
 * a file the schema accepts: what it accepts, the general way would load the same.
 */
function expectSameAsGeneralWay(text: string): boolean {
  const quick = readQuickly(text);
  if (quick === undefined) return false;
  const oracle = jsYamlWithLines(text, 2);
  expect(oracle, `YAML refuses what the quick reader accepted:\n${text}`).toBeDefined();
  const data = oracle!.data as Record<string, unknown>;
  const sections = (['allow', 'deny'] as const).filter((k) => quick[k].length > 0);
  expect(Object.keys(data).sort()).toStrictEqual(sections.sort());
  for (const kind of sections) {
    expect(quick[kind].map((i) => i.value)).toStrictEqual(data[kind]);
    quick[kind].forEach((item, i) => expect(item.line).toBe(oracle!.lines.get(`/${kind}/${i}`)));
  }
  expect(schemaProblems(new SourceFile('x.yaml', text)), text).toStrictEqual([]);
  return true;
}

/** Per key: values the quick form takes, then values it must leave to the general way (or that the schema refuses). */
const VALUES: Record<string, [string[], string[]]> = {
  number: [['"+442079460000"', '"01707284000"', '"999"'], ['+442079460000', '"+44 20"', '""', '"+"', "'0800'", '01707']],
  prefix: [['"+4420"', '"09"'], ['09', '"0x"']],
  for: [
    ['everyone', '{ users: [u1] }', '{ users: [u1, u2], classes: [staff] }', '{ classes: [a.b, x-y, j@x] }', '{ extensions: [e4101] }'],
    ['{ extensions: ["4101"] }', '{ users: [] }', '{}', '{ users: [u1]}', '{users: [u1]}', '{ users: [true] }', '{ users: [u1], users: [u2] }', '{ users: [12] }', 'Everyone', '{ users: [u1, ] }', '{ people: [u1] }', '{ users: [@x] }'],
  ],
  reason: [['Project line 1', 'Block 3, room 12', 'a#b', '-x', 'ok:x'], ['a: b', 'a #b', '123', 'true', 'null', '"quoted"', 'x   ', '- x', '[a]', '&a', 'ok:', 'Ünïcode', '~', '.inf', '1e3']],
  approver: [['Head of Telecoms', 'HoT'], ['0x1F', 'yes', '']],
  from: [['2026-01-01'], ['2026-1-1', '"2026-01-01"', '2026-01-01T09:00Z']],
  until: [['2027-12-31'], ['2027-02-30', '20271231']],
};
const KEYS = Object.keys(VALUES);
const pairOf = (k: string) =>
  fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...VALUES[k]![0]) }, { weight: 1, arbitrary: fc.constantFrom(...VALUES[k]![1]) }).map((v) => `${k}: ${v}`);
const usual = (kind: string) =>
  fc
    .tuple(fc.oneof({ weight: 5, arbitrary: pairOf('number') }, { weight: 1, arbitrary: pairOf('prefix') }), pairOf('for'), pairOf('reason'), fc.option(pairOf('approver'), { freq: kind === 'allow' ? 20 : 2 }), fc.option(pairOf('from'), { freq: 3 }), fc.option(pairOf('until'), { freq: 2 }))
    .map((p) => p.filter((x): x is string => x !== null));
const odd = fc.array(fc.constantFrom(...KEYS).chain(pairOf), { minLength: 1, maxLength: 6 });
const item = (kind: string) =>
  fc.record({
    pairs: fc.oneof({ weight: 20, arbitrary: usual(kind) }, { weight: 1, arbitrary: odd }),
    dash: fc.oneof({ weight: 12, arbitrary: fc.constant('  - ') }, { weight: 1, arbitrary: fc.constantFrom('- ', '    - ', '  -  ') }),
    filler: fc.constantFrom('', '', '', '    # note', '', '  '),
  });
const section = fc.oneof({ weight: 20, arbitrary: fc.constantFrom('allow', 'deny') }, { weight: 1, arbitrary: fc.constant('deny: []') }).chain((kind) =>
  fc.record({ kind: fc.constant(kind), items: fc.array(item(kind), { minLength: kind.includes(':') ? 0 : 1, maxLength: 4 }) }),
);
const doc = fc.array(section, { minLength: 1, maxLength: 2 }).map((sections) => {
  const lines = ['# generated'];
  for (const s of sections) {
    lines.push(s.kind.includes(':') ? s.kind : `${s.kind}:`);
    for (const it of s.items) {
      const col = ' '.repeat(it.dash.length);
      it.pairs.forEach((p, i) => lines.push(`${i === 0 ? it.dash : col}${p}`));
      if (it.filler) lines.push(it.filler);
    }
  }
  return `${lines.join('\n')}\n`;
});

describe('the quick list reader', () => {
  it('reads the generated form exactly as YAML and the schema do', () => {
    const lines = ['allow:'];
    for (let i = 0; i < 100; i++) lines.push(`  - number: "+44207000${String(i).padStart(4, '0')}"`, `    for: { users: [u${i}] }`, `    reason: Project line ${i}`, '    approver: Head of Telecoms', '    until: 2027-12-31');
    lines.push('deny:', '  - prefix: "0909"', '    for: everyone', '    reason: Premium');
    expect(expectSameAsGeneralWay(`${lines.join('\n')}\n`)).toBe(true);
  });

  it('matches the general way on generated list files, or leaves them to it', () => {
    // About 550 documents a run are in the quick form; the rest check that it gives up rather than misreads.
    expect(documentsTaken(doc, expectSameAsGeneralWay)).toBeGreaterThan(300);
  });

  it.each([
    ['a section written twice', 'allow:\n  - number: "1"\n    for: everyone\n    reason: r\n    approver: a\nallow:\n  - number: "2"\n    for: everyone\n    reason: r\n    approver: a\n'],
    ['an empty section', 'deny:\n'],
    ['an entry without its reason', 'deny:\n  - number: "1"\n    for: everyone\n'],
    ['an allow entry without an approver', 'allow:\n  - number: "1"\n    for: everyone\n    reason: r\n'],
    ['both number and prefix', 'deny:\n  - number: "1"\n    prefix: "1"\n    for: everyone\n    reason: r\n'],
    ['an unknown key', 'deny:\n  - number: "1"\n    for: everyone\n    reason: r\n    note: n\n'],
    ['a trailing comment', 'deny:\n  - number: "1" # x\n    for: everyone\n    reason: r\n'],
    ['block-style for', 'deny:\n  - number: "1"\n    for:\n      users: [u1]\n    reason: r\n'],
  ])('leaves %s to the general way', (_what, text) => {
    expect(readQuickly(text)).toBeUndefined();
  });
});

describe('loading list files the quick way', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const planWith = (files: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'callguard-listfile-'));
    dirs.push(dir);
    cpSync(join(packageRoot(), 'dialplan'), dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  };
  const entries = (indent: string, user: string) =>
    ['allow:', ...Array.from({ length: 50 }, (_, i) => [`${indent}- number: "+44207946${String(i).padStart(4, '0')}"`, `${indent}  for: { users: [${user}] }`, `${indent}  reason: Line ${i}`, `${indent}  approver: HoT`, `${indent}  from: 2026-01-01`]).flat(), 'deny:', `${indent}- prefix: "0909"`, `${indent}  for: everyone`, `${indent}  reason: Premium`].join('\n') + '\n';

  it('builds the same list index, citing the same lines, as the general way', async () => {
    // Four spaces of indentation are valid YAML but not the quick form: that file is read the general way.
    const dir = planWith({ 'lists-big.yaml': entries('  ', 'amoreno') });
    const quick = await loadPlan(dir);
    writeFileSync(join(dir, 'lists-big.yaml'), entries('    ', 'amoreno'));
    const general = await loadPlan(dir);
    expect(readQuickly(entries('  ', 'amoreno'))).toBeDefined();
    expect(readQuickly(entries('    ', 'amoreno'))).toBeUndefined();
    if (!quick.ok || !general.ok) throw new Error('the plans did not load');
    expect(quick.plan.lists.packed).toStrictEqual(general.plan.lists.packed);
    expect(quick.plan.lists.size).toBeGreaterThan(50);
  });

  it('refuses an emergency number in a quick-form file, at its line and column: emergency calls are never listed', async () => {
    const text = 'deny:\n  - number: "+442079460001"\n    for: everyone\n    reason: Nuisance\n  - number: "999"\n    for: everyone\n    reason: Pranks\n';
    expect(readQuickly(text)).toBeDefined();
    const result = await loadPlan(planWith({ 'lists-big.yaml': text }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toStrictEqual([{ where: expect.stringMatching(/lists-big\.yaml:5:13$/), message: '"999" is an emergency number: emergency calls are never listed, blocked or delayed' }]);
  });

  it('reports a problem in a quick-form file at its line and column, as the general way does', async () => {
    const result = await loadPlan(planWith({ 'lists-big.yaml': entries('  ', 'nobody') }));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems[0]).toStrictEqual({ where: expect.stringMatching(/lists-big\.yaml:3:20$/), message: 'unknown user "nobody"' });
    expect(result.problems).toHaveLength(50);
  });
});
