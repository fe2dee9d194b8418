import { describe, expect, it } from 'vitest';
import { LineBytes } from '../../src/audit/lineBytes.js';

describe('lines kept as bytes', () => {
  it('gives back every line, in order, as UTF-8, one run per key change', () => {
    const queue = new LineBytes(64);
    const lines = ['{"a":1}\n', '{"b":"Zürich – ☎"}\n', '{"c":3}\n', `${'x'.repeat(100)}\n`, '{"d":4}\n'];
    queue.append(lines[0]!, '2026-12-05');
    queue.append(lines[1]!, '2026-12-05');
    queue.append(lines[2]!, '2026-12-06');
    queue.append(lines[3]!, '2026-12-06'); // longer than a slab: a slab of its own
    queue.append(lines[4]!, '2026-12-06');
    expect(queue.lines).toBe(5);
    expect(queue.bytes).toBe(Buffer.byteLength(lines.join('')));
    const runs = queue.take();
    expect(runs.map((r) => [r.key, r.lines])).toEqual([
      ['2026-12-05', 2],
      ['2026-12-06', 1],
      ['2026-12-06', 1],
      ['2026-12-06', 1],
    ]);
    expect(Buffer.concat(runs.map((r) => r.bytes)).toString('utf8')).toBe(lines.join(''));
    expect([queue.lines, queue.bytes, queue.take()]).toEqual([0, 0, []]);
  });
});
