import { beforeAll, describe, expect, it } from 'vitest';
import type { Numbering } from '../../src/numbering/classifier.js';
import { readCorpus } from '../support/corpus.js';
import { sampleNumbering } from '../support/plans.js';

let numbering: Numbering;
beforeAll(async () => {
  numbering = await sampleNumbering();
});

describe('shared/corpus/numbers.tsv', () => {
  const rows = readCorpus();

  it('has rows to check', () => {
    expect(rows.length).toBeGreaterThan(90);
  });

  it.each(rows.map((r) => [`${r.line}: ${r.site} ${r.outsidePrefix ?? '-'} "${r.dialled}" is ${r.expected} (${r.note})`, r] as const))('%s', (_, row) => {
    const classify = numbering.classifierFor({ country: row.site, outsidePrefix: row.outsidePrefix });
    expect(classify(row.dialled).class).toBe(row.expected);
  });
});
