/**
 * End to end through a real drachtio-server: a broken site.yaml written while calls flow is refused
 * (logged with file:line), no call fails and calls keep following the last good plan; a good edit then
 * goes live.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { e2eLab, sleep, waitFor } from '../support/lab.js';
import { dial, startStack, stopStack, type Stack } from './stack.js';

const lab = e2eLab();

describe.skipIf(!lab)('callguard serve: dialplan edits while calls flow (real drachtio-server, SIPp)', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack(lab!);
  }, 120_000);

  afterAll(async () => {
    await stopStack(stack);
  }, 60_000);

  it('a broken site.yaml is refused with file:line while 100 calls at 20/s all keep the old plan; then a good edit is live', async () => {
    const sitePath = join(stack.dialplan.dir, 'site.yaml');
    const good = readFileSync(sitePath, 'utf8');
    const logLinesBefore = stack.app.process.stdoutLines.length;

    // 100 premium calls at 20 calls/s: each must get 403 premium-barred from the plan in force.
    const uac = await dial(stack, { from: '4101', to: '909012345678', expect: 403, calls: 100, rate: 20 });
    await sleep(1_500);
    // A YAML syntax error: a nested mapping on the country line.
    const broken = good.replace(/^(\s*)country: GB\s*$/m, '$1country: GB: UK');
    expect(broken).not.toBe(good);
    writeFileSync(sitePath, broken);

    expect(await uac.waitExit(120_000), uac.describe()).toBe(0);
    const stats = uac.stats();
    expect(stats?.['FailedCall(C)'], uac.describe()).toBe('0');
    expect(stats?.['SuccessfulCall(C)'], uac.describe()).toBe('100');
    const finals = uac.received((m) => m.status !== undefined && m.status >= 200);
    // One final response per call: a retransmitted final would mean a lost or unmatched ACK.
    expect(new Set(finals.map((m) => m.header('call-id'))).size, uac.describe()).toBe(100);
    expect(finals, uac.describe()).toHaveLength(100);
    expect(new Set(finals.map((m) => m.header('Reason')))).toEqual(new Set(['Q.850;cause=21;text="premium-barred"']));

    // The refusal is logged with the file and line.
    const brokenLine = good.split('\n').findIndex((l) => /^\s*country: GB\s*$/.test(l)) + 1;
    const refusal = await waitFor('the refused edit in the log', () => stack.app.process.stdoutLines.slice(logLinesBefore).find((l) => /site\.yaml:\d+/.test(l)), 20_000, 100).catch(() => undefined);
    expect(refusal, stack.app.output()).toBeDefined();
    expect(refusal).toContain(`site.yaml:${brokenLine}:`);
    expect(refusal).toMatch(/refused/i);

    // A good edit goes live: a deny-list entry for the same number changes the reason to deny-list
    // (the list is consulted before the barred classes).
    writeFileSync(sitePath, good);
    const listsPath = join(stack.dialplan.dir, 'lists.yaml');
    const lists = readFileSync(listsPath, 'utf8');
    writeFileSync(listsPath, lists.replace(/^deny:\s*$/m, 'deny:\n  - number: "+449012345678"\n    for: everyone\n    reason: e2e good edit\n'));
    const reason = await waitFor('the good edit to be live', async () => {
      const probe = await dial(stack, { from: '4101', to: '909012345678', expect: 403 });
      await probe.waitExit();
      const got = probe.received((m) => m.status === 403)[0]?.header('Reason');
      return got === 'Q.850;cause=21;text="deny-list"' ? got : undefined;
    }, 30_000, 500).catch(() => undefined);
    expect(reason, stack.app.output()).toBe('Q.850;cause=21;text="deny-list"');
  }, 240_000);
});
