/**
 * site.security.callOut and site.security.email as admins write them: taken into the plan, and a
 * responder the call-out could not phone or an address that is not one refused with file:line.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadPlan } from '../../src/dialplan/load.js';
import { planCopy, SAMPLE_DIALPLAN } from '../support/plans.js';

const copies: { remove(): void }[] = [];
afterEach(() => copies.splice(0).forEach((c) => c.remove()));

const sample = readFileSync(join(SAMPLE_DIALPLAN, 'site.yaml'), 'utf8');
/** The sample site with a `security` section after `securityControl`'s last line. */
function siteWith(security: string): string {
  return sample.replace('    answerTimeoutSeconds: 15\n', `    answerTimeoutSeconds: 15\n  security:\n${security}`);
}
const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

async function load(site: string) {
  const copy = planCopy({ 'site.yaml': site });
  copies.push(copy);
  return { dir: copy.dir, result: await loadPlan(copy.dir) };
}

describe('site.security: call-out and e-mail', () => {
  it('are empty unless written; responders may be extensions, E.164 numbers or SIP URIs', async () => {
    const none = await load(sample);
    expect(none.result.ok && none.result.plan.site.security).toMatchObject({ callOut: [], email: [] });
    const { result } = await load(siteWith('    callOut: ["2223", "+447700900123", "sip:porter@pbx.herts.example.ac.uk"]\n    email: [security@herts.example.ac.uk]\n'));
    expect(result.ok && result.plan.site.security).toMatchObject({ callOut: ['2223', '+447700900123', 'sip:porter@pbx.herts.example.ac.uk'], email: ['security@herts.example.ac.uk'] });
  });

  it('refuse a responder that is no extension, number or URI, and an address that is not one, at their lines', async () => {
    const badResponder = siteWith('    callOut:\n      - "2223"\n      - "4999"\n');
    const responder = await load(badResponder);
    expect(responder.result.ok ? [] : responder.result.problems).toEqual([
      { where: expect.stringMatching(new RegExp(`^${responder.dir}/site.yaml:${lineOf(badResponder, '"4999"')}:\\d+$`)), message: 'call-out responder "4999" is neither an extension, a sip: URI nor an E.164 number' },
    ]);
    const badAddress = siteWith('    email:\n      - security@herts.example.ac.uk\n      - security desk\n');
    const address = await load(badAddress);
    expect(address.result.ok ? [] : address.result.problems).toEqual([
      { where: expect.stringMatching(new RegExp(`^${address.dir}/site.yaml:${lineOf(badAddress, 'security desk')}:\\d+$`)), message: '"security desk" is not an e-mail address such as security@example.ac.uk' },
    ]);
  });
});
