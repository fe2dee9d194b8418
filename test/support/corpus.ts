import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../src/packageRoot.js';

export interface CorpusRow {
  line: number;
  site: string;
  outsidePrefix: string | undefined;
  dialled: string;
  expected: string;
  note: string;
}

/**
 * The team's public corpus (site, outside prefix '-' = none, dialled string, expected class, note).
 * A copy lives in the repo so a bare checkout can test; corpus-copy.test.ts keeps it equal to the shared one.
 */
export const CORPUS_PATH = join(packageRoot(), 'test', 'corpus', 'numbers.tsv');
export const SHARED_CORPUS_PATH = join(packageRoot(), '..', 'shared', 'corpus', 'numbers.tsv');

export function readCorpus(path = CORPUS_PATH): CorpusRow[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .map((text, i) => ({ text, line: i + 1 }))
    .filter(({ text }) => text.trim() !== '' && !text.startsWith('#'))
    .map(({ text, line }) => {
      const [site = '', prefix = '', dialled = '', expected = '', note = ''] = text.split('\t');
      return { line, site, outsidePrefix: prefix === '-' ? undefined : prefix, dialled, expected, note };
    });
}
