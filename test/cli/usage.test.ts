import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

describe('argument errors', () => {
  it('exit 2 with one line naming the mistake and where the help is, not the whole help', () => {
    expect(callguard(['check', '--from', '4101', '--to', '999', '--bogus'])).toMatchObject({ status: 2, stdout: '', stderr: 'callguard: unknown option --bogus (try callguard help check)\n' });
    expect(callguard(['report'])).toMatchObject({ status: 2, stderr: 'callguard: required option --month <yyyy-mm> not specified (try callguard help report)\n' });
    expect(callguard(['nosuch'])).toMatchObject({ status: 2, stderr: 'callguard: unknown command nosuch (try callguard help)\n' });
    expect(callguard(['phone', 'status'])).toMatchObject({ status: 2, stderr: 'callguard: missing required argument ext (try callguard phone help status)\n' });
  });

  it('say the same for a mistake a command finds in its own options', () => {
    expect(callguard(['classify', '--format', 'xml', '999'])).toMatchObject({ status: 2, stderr: 'callguard: unknown format "xml" (tsv, json or summary) (try callguard help classify)\n' });
    expect(callguard(['report', '--month', '2026-13'])).toMatchObject({ status: 2, stderr: expect.stringMatching(/^callguard: --month "2026-13" is not a month .* \(try callguard help report\)\n$/) });
  });

  it('leave asked-for help alone', () => {
    const help = callguard(['help', 'check']);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('--from <ext>');
  });
});

describe('a closed pipe', () => {
  it('ends the command quietly with exit 0 (callguard ... | head -1)', { timeout: 60_000 }, async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'classify', '--country', 'GB'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    // Like head -1: read the first line, then close the pipe while the command still has lines to write.
    child.stdout.once('data', () => child.stdout.destroy());
    const lines = '01707284678\n09011234567\n'.repeat(100_000);
    child.stdin.on('error', () => {});
    child.stdin.end(lines);
    const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
  });
});
