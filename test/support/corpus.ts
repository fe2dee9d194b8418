import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CorpusRow {
  line: number;
  site: string;
  outsidePrefix: string | undefined;
  dialled: string;
  expected: string;
  note: string;
}

/** The shared public corpus: site, outside prefix ('-' = none), dialled string, expected class, note. */
export const CORPUS_PATH = fileURLToPath(new URL('../../../shared/corpus/numbers.tsv', import.meta.url));

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
