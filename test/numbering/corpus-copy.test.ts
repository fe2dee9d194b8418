import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CORPUS_PATH, SHARED_CORPUS_PATH } from '../support/corpus.js';

const shared = existsSync(SHARED_CORPUS_PATH);

describe('corpus copy', () => {
  it.skipIf(!shared)(`equals ${SHARED_CORPUS_PATH} (skipped when that checkout is absent)`, () => {
    expect(readFileSync(CORPUS_PATH, 'utf8')).toBe(readFileSync(SHARED_CORPUS_PATH, 'utf8'));
  });
});
