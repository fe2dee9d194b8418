import { describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';

const FILE_LINE = /\S+\.yaml:\d+/;

describe('callguard check', () => {
  // Barred, not granted, high-risk, a locked phone, no number at all, a caller that is not an extension, allowed.
  const calls: [string, string][] = [
    ['4101', '909011234567'],
    ['4101', '900390612345678'],
    ['4101', '9008821234567'],
    ['4101', '90033142685300'],
    ['4101', '12345678'],
    ['01707123456', '901707284678'],
    ['4101', '4102'],
  ];

  it.each(calls)('names file:line for the rule it cites (%s -> %s)', (from, to) => {
    const json = JSON.parse(callguard(['check', '--from', from, '--to', to, '--json', '--at', '2026-10-01T10:00:00Z']).stdout) as { where?: string; explanation: string };
    expect(json.where).toMatch(FILE_LINE);
    const human = callguard(['check', '--from', from, '--to', to, '--at', '2026-10-01T10:00:00Z']).stdout;
    const why = human.split('\n').find((l) => l.trimStart().startsWith('why:'))!;
    expect(why).toContain(`[${json.where}]`);
  });

  it('points a call abroad without a grant at the caller\'s grants', () => {
    const json = JSON.parse(callguard(['check', '--from', '4101', '--to', '900390612345678', '--json']).stdout) as { reason: string; where: string };
    expect(json).toEqual(expect.objectContaining({ reason: 'international-not-granted', where: expect.stringMatching(/grants\.yaml:\d+$/) }));
  });
});
