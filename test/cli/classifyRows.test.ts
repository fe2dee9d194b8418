import { beforeAll, describe, expect, it } from 'vitest';
import { Rows } from '../../src/cli/classifyRows.js';
import type { Classify } from '../../src/numbering/classifier.js';
import { sampleNumbering } from '../support/plans.js';

let classify: Classify;
beforeAll(async () => {
  classify = (await sampleNumbering()).classifierFor({ country: 'GB', outsidePrefix: '9' });
});

const jsonRow = (input: string) => `${JSON.stringify({ input, class: 'invalid', e164: null, country: null })}\n`;

describe('classify rows', () => {
  it('writes rows that take six bytes a character (JSON escapes) across many buffers, and keeps each block it handed out intact', () => {
    const rows = new Rows(classify, 'json');
    // Control characters are escaped as \u00XX in JSON: the longest row a line of this length can make.
    const lines = Array.from({ length: 300 }, (_, i) => '\u0001'.repeat(2000 + i) + '☎'.repeat(i % 7));
    const blocks = [lines.slice(0, 150), lines.slice(150)].map((part) => part.map((l) => `${l}\n`).join(''));
    const handedOut = blocks.map((block) => rows.block(block));
    expect(Buffer.concat(handedOut).toString()).toBe(lines.map(jsonRow).join(''));
    expect(handedOut[0]!.byteLength).toBeGreaterThan(1 << 20);
  });

  it('writes new rows over a full buffer only once every block in it has been released', () => {
    const rows = new Rows(classify, 'tsv');
    // A quarter of a megabyte of rows a block: ten more blocks than the first two fill three buffers.
    const block = (n: number) => Array.from({ length: 6000 }, (_, i) => `01707 ${String(200_000 + n * 10_000 + i)}\n`).join('');
    const text = (bytes: Uint8Array) => Buffer.from(bytes).toString();
    const first = [0, 1].map((n) => rows.block(block(n)));
    const copies = first.map(text);
    const kept = Array.from({ length: 10 }, (_, n) => rows.block(block(2 + n)));
    expect(new Set([...first, ...kept].map((b) => b.buffer)).size).toBe(3);
    expect(first.map(text)).toEqual(copies);
    // Released, the first buffer takes rows again once the current one is full.
    for (const bytes of [...first, ...kept]) rows.release(bytes);
    const again = Array.from({ length: 8 }, (_, n) => rows.block(block(12 + n)));
    expect(again.some((b) => b.buffer === first[0]!.buffer)).toBe(true);
    expect(again.map(text)).toEqual(Array.from({ length: 8 }, (_, n) => text(new Rows(classify, 'tsv').block(block(12 + n)))));
  });

  it('writes the rows of arguments that overflow a buffer', () => {
    const inputs = Array.from({ length: 200 }, (_, i) => '\u001f'.repeat(2000 + i));
    expect(Buffer.from(new Rows(classify, 'json').lines(inputs)).toString()).toBe(inputs.map(jsonRow).join(''));
  });

  it('writes the rows of as many arguments as a command line holds (several megabytes of rows) without copying them again for each row', () => {
    // About 2 MB of arguments, the most a Linux command line holds: 4.5 MB of rows. A buffer grown to
    // fit only one more row was copied whole for every row after the first megabyte: more than two
    // minutes here (70,000 arguments to the command: 7.5 s).
    const inputs = Array.from({ length: 150_000 }, (_, i) => `01707 ${String(200_000 + i)}`);
    const rows = Buffer.from(new Rows(classify, 'tsv').lines(inputs)).toString().split('\n');
    expect(rows).toHaveLength(inputs.length + 1);
    expect(rows[0]).toBe('01707 200000\tgeographic\t+441707200000\tGB');
    expect(rows.at(-2)).toBe('01707 349999\tgeographic\t+441707349999\tGB');
  });
});
