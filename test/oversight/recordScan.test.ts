/**
 * The record reader scans each line in place (no JSON.parse) with its WebAssembly line scanner. Checked
 * here against JSON.parse on generated lines (escapes,
 * non-ASCII, unknown keys, keys out of order or repeated), against the grammar it accepts on arbitrary
 * bytes, and for torn lines: no proper prefix of a record is ever a record.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { F, RecordReader, scanFiles, type Field } from '../../src/oversight/recordScan.js';

const KEYS = Object.keys(F) as (keyof typeof F)[];

/**
 * What the reader accepts: `{`, members `"key":value` separated by commas (a trailing comma allowed), `}`,
 * then only carriage returns or spaces. A value is a string (a backslash escapes the next byte) or a bare
 * run of bytes up to the next comma or brace. Bytes as latin1 characters.
 */
const GRAMMAR = /^\{(?:"[^"]*":(?:"(?:[^"\\]|\\[\s\S])*"|[^",}][^,}]*),)*(?:"[^"]*":(?:"(?:[^"\\]|\\[\s\S])*"|[^",}][^,}]*))?\}[\r ]*$/;

const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('answered', 'class-of-service', 'Finance Office', '2026-11-03T00:00:50.341Z', 'a"b\\c', 'R&D}', 'x\ny', '', 'grant:g600050', '/tmp/dialplan/classes.yaml:4'),
);
const bare = fc.oneof(fc.integer({ min: -1_000_000, max: 1_000_000 }), fc.constantFrom(true, false, null));
const key = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.constantFrom('newField', 'pin', 'v2', 'x', 'pinFailures', 'dept ') });
/** Members in the writer's order, shuffled a little, some repeated, some unknown. */
const members = fc.array(fc.tuple(key, fc.oneof(text, bare)), { maxLength: 28 });

function lineOf(m: [string, unknown][]): string {
  return `{${m.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;
}

interface Seen {
  has: boolean;
  text: string | undefined;
  intern: string | undefined;
  int: number;
}

const reader = new RecordReader();

/**
 * The line as the reader sees it inside a file (whole lines before and after it): what it reads of each
 * field, or undefined when the line is not a record.
 */
function scanned(line: string | Buffer, pad = 0): Map<Field, Seen> | undefined {
  const bytes = typeof line === 'string' ? Buffer.from(line) : line;
  const file = Buffer.concat([Buffer.from('{"v":1}\n'.repeat(pad)), bytes, Buffer.from('\n{"id":"next"}\n')]);
  let index = 0;
  let fields: Map<Field, Seen> | undefined;
  const stats = reader.bytes(file, (view) => {
    if (index++ !== pad) return;
    fields = new Map(KEYS.map((k): [Field, Seen] => [F[k], { has: view.has(F[k]), text: view.text(F[k]), intern: view.intern(F[k]), int: view.int(F[k]) }]));
  });
  // The line is a record when the one after it is not the only one after the padding.
  return stats.records === pad + 2 ? fields : undefined;
}

describe('record scanning', () => {
  it('a written line: every known field as JSON.parse reads it (the last of a repeated key)', () => {
    fc.assert(
      fc.property(members, fc.nat(3), (m, pad) => {
        const line = lineOf(m);
        const fields = scanned(line, pad);
        expect(fields).toBeDefined();
        const parsed = JSON.parse(line) as Record<string, unknown>;
        for (const k of KEYS) {
          const got = fields!.get(F[k])!;
          const want = parsed[k];
          if (want === undefined) {
            expect(got).toEqual({ has: false, text: undefined, intern: undefined, int: Number.NaN });
            continue;
          }
          expect(got.has).toBe(true);
          const asText = typeof want === 'string' ? want : JSON.stringify(want);
          expect(got.text).toBe(asText);
          expect(got.intern).toBe(asText);
          if (typeof want === 'number') expect(got.int).toBe(want);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('interned values: the same string for the same value, never one value for another', () => {
    const one = new RecordReader();
    const seen = new Map<string, string>();
    const ids = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(fc.oneof(text, fc.stringMatching(/^[0-9]{4,12}$/)), { minLength: 1, maxLength: 40 }), (values) => {
        for (const value of values) {
          let got = '';
          let id = -1;
          const stats = one.bytes(Buffer.from(`${lineOf([['rule', value]])}\n`), (view) => {
            got = view.intern(F.rule)!;
            id = view.internId(F.rule);
          });
          expect(stats.records).toBe(1);
          expect(got).toBe(value);
          const before = seen.get(value);
          if (before !== undefined) expect(Object.is(got, before)).toBe(true);
          else seen.set(value, got);
          expect(ids.get(value) ?? id).toBe(id);
          ids.set(value, id);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('a torn line (any proper prefix of a record) is never a record', () => {
    fc.assert(
      fc.property(members, (m) => {
        const bytes = Buffer.from(lineOf(m));
        for (let cut = 0; cut < bytes.length; cut++) expect(scanned(bytes.subarray(0, cut))).toBeUndefined();
      }),
      { numRuns: 200 },
    );
  });

  it('a string with an escape JSON does not know is given as it stands, not a failure', () => {
    const fields = scanned('{"v":1,"to":"12\\q4","dept":"\\u00e9t\\u00e9"}');
    expect(fields?.get(F.to)?.text).toBe('12\\q4');
    expect(fields?.get(F.dept)?.text).toBe('été');
  });

  it('arbitrary bytes: a record exactly when the line is in the grammar', () => {
    const alphabet = fc.constantFrom('{', '}', '"', ':', ',', '\\', ' ', '\r', 'a', '1', 'v', 'id', 'dur', 'from', 'é', '"v":1', '"dur":', '"class":"x"');
    const noisy = fc.oneof(
      fc.array(alphabet, { maxLength: 30 }).map((parts) => parts.join('')),
      // a written line with a few bytes changed, added or removed
      fc.tuple(members, fc.array(fc.tuple(fc.nat(), alphabet, fc.nat(2)), { minLength: 1, maxLength: 3 })).map(([m, edits]) => {
        let line = lineOf(m);
        for (const [at, s, drop] of edits) {
          const i = at % (line.length + 1);
          line = line.slice(0, i) + s + line.slice(i + drop);
        }
        return line;
      }),
      members.map((m) => `${lineOf(m)}\r `),
    );
    fc.assert(
      fc.property(noisy, (line) => {
        const bytes = Buffer.from(line);
        expect(scanned(bytes) !== undefined).toBe(GRAMMAR.test(bytes.toString('latin1')));
      }),
      { numRuns: 5000 },
    );
  });

  describe('files', () => {
    const dir = mkdtempSync(join(tmpdir(), 'callguard-scan-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('lines across read boundaries, a line longer than the read buffer, a torn last line: the records JSON.parse gives', () => {
      const lines: string[] = [];
      for (let i = 0; i < 3000; i++) lines.push(lineOf([['v', 1], ['id', `call-${i}`], ['from', String(600_000 + (i % 97))], ['to', '9'.repeat(i % 50)], ['dept', i % 7 === 0 ? 'Études "avancées"' : 'Law']]));
      // Longer than the scanner's room for input at first (about 320 KB): it grows.
      lines.splice(1500, 0, lineOf([['id', 'long'], ['where', 'x'.repeat(700_000)]]));
      const file = join(dir, '2026-11-01.jsonl');
      writeFileSync(file, `${lines.join('\n')}\n{"v":1,"id":"torn`);
      const ids: string[] = [];
      const depts: string[] = [];
      const stats = scanFiles([file], (v) => {
        ids.push(v.text(F.id)!);
        depts.push(v.intern(F.dept) ?? '');
      });
      expect(stats).toMatchObject({ files: 1, lines: lines.length + 1, records: lines.length, skipped: 1 });
      const parsed = lines.map((l) => JSON.parse(l) as { id: string; dept?: string });
      expect(ids).toEqual(parsed.map((r) => r.id));
      expect(depts).toEqual(parsed.map((r) => r.dept ?? ''));
    });
  });
});
