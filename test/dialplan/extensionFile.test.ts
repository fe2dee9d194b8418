import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readExtensionFile } from '../../src/dialplan/extensionFile.js';
import { loadPlan } from '../../src/dialplan/load.js';
import { schemaProblems } from '../../src/dialplan/schemaProblems.js';
import { SourceFile } from '../../src/dialplan/sourceFile.js';
import { planCopy } from '../support/plans.js';
import { documentsTaken, jsYamlWithLines, linesByPath } from '../support/yamlOracle.js';

/**
 * The quick extension reader either gives up or gives exactly what YAML gives, with the lines YAML
 * cites, for a file whose shape the schema accepts: the file it reads needs no schema pass.
 */
function expectSameAsGeneralWay(text: string): boolean {
  const quick = readExtensionFile(text);
  if (quick === undefined) return false;
  const oracle = jsYamlWithLines(text, 2);
  expect(oracle, `YAML refuses what the quick reader accepted:\n${text}`).toBeDefined();
  expect(quick.data).toStrictEqual(oracle!.data);
  expect(linesByPath(quick.data, quick.openedAt)).toStrictEqual(oracle!.lines);
  // The general way, with its schema pass, finds nothing wrong.
  const general = new SourceFile('x.yaml', text);
  expect(general.shapeChecked).toBe(true);
  expect(schemaProblems({ ...general, data: oracle!.data } as SourceFile), text).toStrictEqual([]);
  return true;
}

/** Per key: values the quick form takes, then values it must leave to the general way (or that the schema refuses). */
const VALUES: Record<string, [string[], string[]]> = {
  ext: [['"4101"', '"500000"', '"12"', '"12345678"'], ['4101', '"1"', '"123456789"', '"41a"', "'4101'", '""']],
  name: [['Dr Alice Moreno', 'Lift 1, Main Building', 'O-Neil', 'x#y'], ['', 'a: b', 'true', '123', '"Quoted"', 'Zoë', '- x', 'a #b', 'null']],
  user: [['amoreno', 'u1', 'a.b-c_d'], ['AMoreno', '1abc', 'true', 'null', 'a b', '"amoreno"', 'no']],
  class: [['staff', 'common-area'], ['', '[staff]', 'yes']],
  department: [['Computer Science'], ['~', '1e3']],
  location: [['Block 3, room 12', 'Main Building, lift 1 car'], ['{ x: 1 }', 'a: b']],
  ddi: [['"+441707284101"', '"+123456"'], ['+441707284101', '"441707284101"', '"+12345"', '"+1234567890123456"']],
  recorded: [['true', 'false'], ['yes', 'True', '"true"', '{ notice: x }']],
  emergencyLine: [['true', 'false'], ['TRUE', 'on', '1']],
  address: [[], ['{ country: GB }']],
};
const KEYS = Object.keys(VALUES);
const pairOf = (k: string) =>
  fc.oneof({ weight: VALUES[k]![0].length > 0 ? 60 : 0, arbitrary: fc.constantFrom(...(VALUES[k]![0].length > 0 ? VALUES[k]![0] : VALUES[k]![1])) }, { weight: 1, arbitrary: fc.constantFrom(...VALUES[k]![1]) }).map((v) => `${k}: ${v}`);
/** keys[k] written once in `oneIn` items. */
const optional = (k: string, oneIn: number) => fc.oneof({ weight: oneIn - 1, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: pairOf(k) });
const usual = fc
  .tuple(pairOf('ext'), pairOf('name'), optional('user', 2), pairOf('class'), optional('department', 2), optional('location', 2), optional('ddi', 3), optional('recorded', 4), optional('emergencyLine', 6), optional('address', 40))
  .map((p) => p.filter((x): x is string => x !== null));
const odd = fc.array(fc.constantFrom(...KEYS).chain(pairOf), { minLength: 1, maxLength: 5 });
const item = fc.record({
  pairs: fc.oneof({ weight: 20, arbitrary: usual }, { weight: 1, arbitrary: odd }),
  dash: fc.oneof({ weight: 12, arbitrary: fc.constant('  - ') }, { weight: 1, arbitrary: fc.constantFrom('- ', '    - ', '  -  ') }),
  filler: fc.oneof({ weight: 30, arbitrary: fc.constantFrom('', '', '', '    # note', '', '  ') }, { weight: 1, arbitrary: fc.constant('# é') }),
});
const doc = fc.record({ head: fc.constantFrom('', '', '# generated\n', '\n'), section: fc.oneof({ weight: 40, arbitrary: fc.constant('extensions:') }, { weight: 1, arbitrary: fc.constantFrom('extensions: []', 'extension:', 'grants:') }), items: fc.array(item, { minLength: 1, maxLength: 4 }) }).map(({ head, section, items }) => {
  const lines: string[] = [section];
  for (const it of items) {
    const col = ' '.repeat(it.dash.length);
    it.pairs.forEach((p, i) => lines.push(`${i === 0 ? it.dash : col}${p}`));
    if (it.filler) lines.push(it.filler);
  }
  return `${head}${lines.join('\n')}\n`;
});

describe('the quick extension reader', () => {
  it('reads the generated form exactly as YAML and the schema do', () => {
    const lines = ['# generated', 'extensions:'];
    for (let i = 0; i < 100; i++) lines.push(`  - ext: "${500000 + i}"`, `    name: Person ${i}`, `    user: u${i}`, '    class: staff', `    location: Block ${i % 40}, room ${i}`);
    lines.push('  - ext: "2900"', '    name: Lift 1', '    class: hotline', '    emergencyLine: true', '    location: Main Building, lift 1 car', '    recorded: false', '    ddi: "+441707282900"');
    expect(expectSameAsGeneralWay(`${lines.join('\n')}\n`)).toBe(true);
  });

  it('matches YAML and the schema on generated extension files, or leaves them to the general way', () => {
    // A good share of the documents are in the quick form; the rest check that it gives up rather than misreads.
    expect(documentsTaken(doc, expectSameAsGeneralWay)).toBeGreaterThan(300);
  });

  it.each([
    ['an address', 'extensions:\n  - ext: "4101"\n    name: A\n    class: staff\n    address:\n      country: GB\n'],
    ['a recorded notice', 'extensions:\n  - ext: "4101"\n    name: A\n    class: staff\n    recorded: { notice: n }\n'],
    ['an extension without its class', 'extensions:\n  - ext: "4101"\n    name: A\n'],
    ['a key written twice', 'extensions:\n  - ext: "4101"\n    name: A\n    name: B\n    class: staff\n'],
    ['another section', 'extensions:\n  - ext: "4101"\n    name: A\n    class: staff\nsite:\n  name: x\n'],
    ['a control character in a comment', 'extensions:\n  # \u0001\n  - ext: "4101"\n    name: A\n    class: staff\n'],
  ])('leaves %s to the general way', (_what, text) => {
    expect(readExtensionFile(text)).toBeUndefined();
  });
});

describe('loading extension files the quick way', () => {
  const copies: { remove(): void }[] = [];
  afterAll(() => copies.forEach((c) => c.remove()));

  it('reports a problem in a quick-form file at its line and column, and cites each extension at its line', async () => {
    const text = 'extensions:\n  - ext: "5001"\n    name: Lab\n    class: staff\n  - ext: "5002"\n    name: Store\n    class: no-such-class\n';
    expect(readExtensionFile(text)).toBeDefined();
    const copy = planCopy({ 'extensions/generated.yaml': text });
    copies.push(copy);
    const bad = await loadPlan(copy.dir);
    expect(bad.ok ? [] : bad.problems).toStrictEqual([{ where: `${copy.dir}/extensions/generated.yaml:7:12`, message: expect.stringContaining('unknown class of service "no-such-class"') }]);
    copy.write('extensions/generated.yaml', text.replace('no-such-class', 'staff'));
    const good = await loadPlan(copy.dir);
    if (!good.ok) throw new Error(good.problems.map((p) => p.message).join('\n'));
    expect(good.plan.extensions.get('5002')?.where).toBe(`${copy.dir}/extensions/generated.yaml:5`);
  });
});
