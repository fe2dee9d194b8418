import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';
import { planCopy } from '../support/plans.js';

describe('callguard validate', () => {
  it('names every problem of a plan in one run: shape, meaning and references together, each at file:line', () => {
    const copy = planCopy({
      'extra.yaml': [
        'extensions:',
        '  - ext: "5001"',
        '    name: Typo',
        '    class: staff',
        '    colour: blue',
        '  - ext: "5002"',
        '    name: Ghost',
        '    class: nosuch',
        'grants:',
        '  - id: ghost-grant',
        '    user: nobody',
        '    countries: [FR]',
        '    reason: test',
        '    approver: me',
        '',
      ].join('\n'),
    });
    try {
      const r = callguard(['validate', copy.dir]);
      expect(r.status).toBe(1);
      expect(r.stdout.trim().split('\n')).toEqual([
        `${copy.dir}/extra.yaml:5:5: unknown key "colour"`,
        `${copy.dir}/extra.yaml:8:12: unknown class of service "nosuch" (have staff, service-desk, switchboard, common-area, hotline)`,
        `${copy.dir}/extra.yaml:11:11: grant for unknown user "nobody" (no extension has user: nobody)`,
      ]);
    } finally {
      copy.remove();
    }
  });

  it('stops at shape problems of the site, whose meaning every other check needs, without claiming it is missing', () => {
    const copy = planCopy();
    try {
      copy.write('site.yaml', readFileSync(join(copy.dir, 'site.yaml'), 'utf8').replace(/^ {2}timezone:/m, '  tz2: x\n  timezone:'));
      const r = callguard(['validate', copy.dir]);
      expect(r.status).toBe(1);
      expect(r.stdout).toMatch(/site\.yaml:\d+:\d+: unknown key "tz2"\n/);
      expect(r.stdout).not.toContain('no site: section');
    } finally {
      copy.remove();
    }
  });
});
