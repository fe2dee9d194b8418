import { describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';

describe('callguard classify reading stdin', () => {
  it('splits lines at \\n, \\r\\n and a lone \\r, and classifies a last line without a newline', () => {
    const r = callguard(['classify', '--country', 'GB'], '999\r\n112\r01707 284678\n\n+33 1 42 68 53 00');
    expect(r.status).toBe(0);
    expect(r.stdout.split('\n').slice(0, -1).map((l) => l.split('\t').slice(0, 2))).toEqual([
      ['999', 'emergency'],
      ['112', 'emergency'],
      ['01707 284678', 'geographic'],
      ['', 'invalid'],
      ['+33 1 42 68 53 00', 'international'],
    ]);
  });

  it('echoes input that is not ASCII unchanged, in TSV and JSON', () => {
    expect(callguard(['classify', '--country', 'GB'], '０１７０７\n999\n').stdout).toBe('０１７０７\tinvalid\t\t\n999\temergency\t\tGB\n');
    expect(JSON.parse(callguard(['classify', '--country', 'GB', '--format', 'json'], 'é999\n').stdout)).toEqual({ input: 'é999', class: 'invalid', e164: null, country: null });
  });
});
