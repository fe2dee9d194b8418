import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readPlainYaml } from '../../src/dialplan/plainYaml.js';
import { packageRoot } from '../../src/packageRoot.js';
import { documentsTaken, jsYamlWithLines, linesByPath } from '../support/yamlOracle.js';

const CITED_DEPTH = 2;

/** The reader either gives up or gives exactly js-yaml's data and cited lines; it never accepts what js-yaml refuses. */
function expectSameAsJsYaml(text: string): boolean {
  const plain = readPlainYaml(text, CITED_DEPTH);
  if (plain === undefined) return false;
  const oracle = jsYamlWithLines(text, CITED_DEPTH);
  expect(oracle, `js-yaml refuses what the plain reader accepted:\n${text}`).toBeDefined();
  expect(plain.data).toStrictEqual(oracle!.data);
  expect([...linesByPath(plain.data, plain.openedAt)]).toStrictEqual([...oracle!.lines]);
  return true;
}

const ORDINARY = ['staff', 'Head of Telecoms', 'u1', '"+442079460000"', '2027-12-31', '[u1, u2]', '{ users: [u1] }', 'Block 3, room 12'];
const AWKWARD = [
  'staff', 'Head of Telecoms', 'u1', '"+442079460000"', "'0800'", '2027-12-31', '123', '0123', '-5', '+44', '0x1F', '0o17',
  '1_000', '1e3', '.5', '.inf', '-.Inf', '.NaN', 'true', 'True', 'FALSE', 'yes', 'null', 'Null', '~', 'a#b', 'a #comment',
  'x   ', 'a: b', 'a:b', 'ends:', '"esc\\n"', "'it''s'", '"a" tail', '"unclosed', '[a, b]', '[u1, "u2", 3]', '{ users: [u1] }',
  '{ users: [u1], classes: [staff] }', '[]', '{}', '[a, ]', '[a', '{a:1}', '&anchor x', '*alias', '!tag x', '|', '>', '- x',
  '@x', '`x', '%x', '? x', ': x', '-x', 'Ünïcode', '"quoted # not a comment"', 'a, b', '{ a: 1, a: 2 }',
];
const KEYS = ['number', 'for', 'reason', 'until', 'ext', 'name', 'x-y', '_a', 'true', 'Null', '"1481"', '"a\\b"', '__proto__', 'a b', '12', 'key '];

const scalar = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...ORDINARY) }, { weight: 1, arbitrary: fc.constantFrom(...AWKWARD) });
const key = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('number', 'for', 'reason', 'ext') }, { weight: 1, arbitrary: fc.constantFrom(...KEYS) });
const indent = fc.constantFrom('', '  ', '    ', ' ');
const filler = fc.constantFrom('', '', '', '# a comment', '   # indented comment', '  ');

/** Lines of an item mapping under "- ", with its continuation lines at the key's column. */
const item = fc.record({ pairs: fc.array(fc.tuple(key, scalar), { minLength: 1, maxLength: 4 }), dash: fc.constantFrom('- ', '-   '), scalarItem: fc.option(scalar, { freq: 4 }) });
const section = fc.record({
  key,
  value: fc.oneof(
    { weight: 1, arbitrary: scalar.map((s) => ({ inline: s })) },
    { weight: 4, arbitrary: fc.record({ at: indent, items: fc.array(item, { minLength: 0, maxLength: 4 }), nested: fc.boolean() }) },
  ),
  after: filler,
});

const doc = fc.array(section, { minLength: 1, maxLength: 4 }).map((sections) => {
  const lines: string[] = [];
  for (const s of sections) {
    if ('inline' in s.value) {
      lines.push(`${s.key}: ${s.value.inline}`);
    } else {
      lines.push(`${s.key}:`);
      const { at, items, nested } = s.value;
      for (const it of items) {
        if (it.scalarItem !== null) {
          lines.push(`${at}${it.dash}${it.scalarItem}`);
          continue;
        }
        const col = ' '.repeat(at.length + it.dash.length);
        it.pairs.forEach(([k, v], i) => {
          if (nested && i === 1) lines.push(`${col}${k}:`, `${col}  inner: ${v}`);
          else lines.push(`${i === 0 ? at + it.dash : col}${k}: ${v}`);
        });
      }
    }
    if (s.after) lines.push(s.after);
  }
  return `${lines.join('\n')}\n`;
});

describe('the plain YAML reader', () => {
  it('reads every file of the sample dialplan exactly as js-yaml does', () => {
    const dir = join(packageRoot(), 'dialplan');
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) expect(expectSameAsJsYaml(readFileSync(join(dir, f), 'utf8')), f).toBe(true);
  });

  it('reads generated list and extension files of the plan-scale shape', () => {
    const list = ['allow:'];
    const exts = ['extensions:'];
    for (let i = 0; i < 200; i++) {
      list.push(`  - number: "+44207000${String(i).padStart(4, '0')}"`, `    for: { users: [u${i}] }`, `    reason: Project line ${i}`, '    approver: Head of Telecoms', '    until: 2027-12-31');
      exts.push(`  - ext: "${5000 + i}"`, `    name: Person ${i}`, `    user: u${i}`, '    class: staff', `    location: Block ${i % 40}, room ${i}`);
    }
    expect(expectSameAsJsYaml(`${list.join('\n')}\n`)).toBe(true);
    expect(expectSameAsJsYaml(`${exts.join('\n')}\n`)).toBe(true);
  });

  it('matches js-yaml on generated documents, or leaves them to it', () => {
    // The generator mixes plain and awkward values: many documents must still be read here.
    expect(documentsTaken(doc, expectSameAsJsYaml)).toBeGreaterThan(600);
  });

  it.each([
    ['an anchor', 'a: &x 1\nb: *x\n'],
    ['a tab', 'a:\n\t- 1\n'],
    ['a multi-line plain scalar', 'a: one\n  two\n'],
    ['an escaped double-quoted scalar', 'a: "x\\ty"\n'],
    ['a doubled single quote', "a: 'it''s'\n"],
    ['a duplicate key', 'a: 1\na: 2\n'],
    ['a document marker', '---\na: 1\n'],
    ['a block scalar', 'a: |\n  text\n'],
    ['a multi-line flow collection', 'a: [1,\n  2]\n'],
    ['a sequence at the top', '- a\n- b\n'],
    ['bad indentation', 'a:\n  b: 1\n c: 2\n'],
    ['carriage returns', 'a: 1\r\nb: 2\r\n'],
    ['a byte-order mark', '\uFEFFa: 1\n'],
    ['a non-printable character', 'a: \u0007\n'],
    ['an empty file', ''],
    ['only comments', '# nothing\n'],
  ])('leaves %s to js-yaml', (_what, text) => {
    expect(readPlainYaml(text, CITED_DEPTH)).toBeUndefined();
  });
});
