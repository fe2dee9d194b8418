import { beforeAll, describe, expect, it } from 'vitest';
import { dialMix, MIX_SHARES, type MixKind } from '../../bench/dialMix.js';
import type { Classify } from '../../src/numbering/classifier.js';
import { isPublicClass } from '../../src/numbering/destination.js';
import { sampleNumbering } from '../support/plans.js';

let classify: Classify;
beforeAll(async () => {
  classify = (await sampleNumbering()).classifierFor({ country: 'GB', outsidePrefix: '9' });
});

describe("bench:classify's dial-string mix", () => {
  const lines = [...dialMix(100_000)];

  it('is the same for the same seed and different for another', () => {
    expect([...dialMix(1_000)]).toEqual(lines.slice(0, 1_000));
    expect([...dialMix(1_000, 1)]).not.toEqual(lines.slice(0, 1_000));
  });

  it('has each kind in its share', () => {
    const counts = new Map<MixKind, number>();
    for (const { kind } of lines) counts.set(kind, (counts.get(kind) ?? 0) + 1);
    for (const [kind, share] of Object.entries(MIX_SHARES)) expect(Math.abs((counts.get(kind as MixKind) ?? 0) / 1_000 - share)).toBeLessThan(1);
  });

  it('classifies every line into a public class, garbage as invalid and GB numbers as something else', () => {
    const wrong: string[] = [];
    for (const { kind, text } of lines) {
      const cls = classify(text).class;
      const expected = kind === 'garbage' ? cls === 'invalid' : kind !== 'gb' || cls !== 'invalid';
      if (!isPublicClass(cls) || !expected) wrong.push(`${kind} ${JSON.stringify(text)}: ${cls}`);
    }
    expect(wrong).toEqual([]);
  });

  it('has every written form of a GB number, calls abroad, short codes, star codes and empty lines', () => {
    const texts = new Set(lines.map((l) => l.text));
    for (const form of [/^0\d{4} \d{6}$/, /^0\d+-\d+-\d+$/, /^\(0\d+\) /, /^90\d{9,10}$/, /^\+44 \(0\)/, /^0044\d/, /^9 0044 /, /^\+(?!44)\d/, /^00(?!44)\d/, /^9 ?00(?!44)\d/, /^\*/, /^141/, /^9 ?1470/])
      expect([...texts].some((t) => form.test(t)), String(form)).toBe(true);
    for (const exact of ['999', '101', '', '9999']) expect(texts.has(exact), exact).toBe(true);
  });
});
