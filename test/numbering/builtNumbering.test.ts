import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildNumbering, numberingFromBuilt } from '../../src/dialplan/builtNumbering.js';
import { loadNumbering, readSources, type Source } from '../../src/dialplan/load.js';
import { SAMPLE_DIALPLAN } from '../support/plans.js';

const dir = join(SAMPLE_DIALPLAN, 'numbering');

async function sampleSources(): Promise<Source[]> {
  const sources = await readSources(dir);
  if (!Array.isArray(sources)) throw new Error(sources.problems.map((p) => p.message).join('\n'));
  return sources;
}

describe('numbering tables compiled at build time', () => {
  it('are the tables the files compile to, citing the files where they are now', async () => {
    const sources = await sampleSources();
    const built = JSON.stringify(await buildNumbering(dir, sources));
    const compiled = await loadNumbering(SAMPLE_DIALPLAN);
    if (!compiled.ok) throw new Error('the sample numbering is invalid');
    const elsewhere = '/srv/site/dialplan/numbering';
    const moved = sources.map((s) => ({ path: s.path.replace(dir, elsewhere), text: s.text }));
    expect(numberingFromBuilt(dir, sources, built)?.spec).toEqual(compiled.numbering.spec);
    const relocated = numberingFromBuilt(elsewhere, moved, built)!;
    expect(relocated.spec.plans.map((p) => p.where)).toEqual(compiled.numbering.spec.plans.map((p) => p.where.replace(dir, elsewhere)));
    expect(relocated.classifierFor({ country: 'GB' })('01707 284678')).toMatchObject({ class: 'geographic', source: { kind: 'table', rule: expect.stringMatching(/^\/srv\/site\/dialplan\/numbering\/GB\.yaml:\d+$/) } });
  });

  it('are not used for files that differ from those they were built from', async () => {
    const sources = await sampleSources();
    const built = JSON.stringify(await buildNumbering(dir, sources));
    const edited = sources.map((s, i) => (i === 0 ? { ...s, text: `${s.text}\n# edited\n` } : s));
    expect(numberingFromBuilt(dir, edited, built)).toBeUndefined();
    expect(numberingFromBuilt(dir, sources.slice(1), built)).toBeUndefined();
    const renamed = sources.map((s, i) => (i === 0 ? { ...s, path: join(dir, 'other.yaml') } : s));
    expect(numberingFromBuilt(dir, renamed, built)).toBeUndefined();
  });

  it('refuse to be built from tables with a problem', async () => {
    const sources = await sampleSources();
    const broken = sources.map((s, i) => (i === 0 ? { ...s, text: s.text.replace(/callingCode: "\d+"/, 'callingCode: 44') } : s));
    await expect(buildNumbering(dir, broken)).rejects.toThrow(/numbering tables are invalid/);
  });
});
