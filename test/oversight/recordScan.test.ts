/**
 * The record reader scans each line in place (no JSON.parse), finding keys by the order the edge writes
 * them and long values by indexOf. Checked here against JSON.parse on generated lines (escapes,
 * non-ASCII, unknown keys, keys out of order or repeated), against the grammar it accepts on arbitrary
 * bytes, and for torn lines: no proper prefix of a record is ever a record.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { F, RecordView, scanFiles, type Field } from '../../src/oversight/recordScan.js';

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

function scanned(line: string | Buffer, pad = 0): RecordView | undefined {
  // The line inside a larger buffer, as the reader sees it (bytes before and after it).
  const bytes = typeof line === 'string' ? Buffer.from(line) : line;
  const buf = Buffer.concat([Buffer.from('{"v":1}\n'.repeat(pad)), bytes, Buffer.from('\n{"id":"next"}\n')]);
  const view = new RecordView();
  const start = 8 * pad;
  return view.scan(buf, start, start + bytes.length) ? view : undefined;
}

describe('record scanning', () => {
  it('a written line: every known field as JSON.parse reads it (the last of a repeated key)', () => {
    fc.assert(
      fc.property(members, fc.nat(3), (m, pad) => {
        const line = lineOf(m);
        const view = scanned(line, pad);
        expect(view).toBeDefined();
        const parsed = JSON.parse(line) as Record<string, unknown>;
        for (const k of KEYS) {
          const f = F[k] as Field;
          const want = parsed[k];
          if (want === undefined) {
            expect(view!.has(f)).toBe(false);
            continue;
          }
          expect(view!.has(f)).toBe(true);
          const asText = typeof want === 'string' ? want : JSON.stringify(want);
          expect(view!.text(f)).toBe(asText);
          expect(view!.intern(f)).toBe(asText);
          if (typeof want === 'number') expect(view!.int(f)).toBe(want);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('interned values: the same string for the same value, never one value for another', () => {
    const view = new RecordView();
    const seen = new Map<string, string>();
    const ids = new Map<string, number>();
    fc.assert(
      fc.property(fc.array(fc.oneof(text, fc.stringMatching(/^[0-9]{4,12}$/)), { minLength: 1, maxLength: 40 }), (values) => {
        for (const value of values) {
          const buf = Buffer.from(lineOf([['rule', value]]));
          expect(view.scan(buf, 0, buf.length)).toBe(true);
          const got = view.intern(F.rule)!;
          expect(got).toBe(value);
          const before = seen.get(value);
          if (before !== undefined) expect(Object.is(got, before)).toBe(true);
          else seen.set(value, got);
          const id = view.internId(F.rule);
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
      lines.splice(1500, 0, lineOf([['id', 'long'], ['where', 'x'.repeat(300_000)]]));
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
