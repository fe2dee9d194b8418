import { execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callguard, callguardCommand } from '../support/cli.js';

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

  it('reads a pipe left non-blocking by whoever shares it, waiting for lines that come later', async () => {
    // A FIFO's reading end opened non-blocking is handed to the shell as fd 3 and becomes classify's
    // stdin, flag and all (Node's spawn makes only fds 0-2 blocking). The second line is written once
    // the first has been classified, so classify finds the pipe empty in between.
    const dir = mkdtempSync(join(tmpdir(), 'callguard-fifo-'));
    const fifo = join(dir, 'in');
    execFileSync('mkfifo', [fifo]);
    const reading = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writing = openSync(fifo, constants.O_WRONLY);
    try {
      const [node, ...args] = callguardCommand(['classify', '--country', 'GB']);
      const child = spawn('sh', ['-c', 'exec "$@" <&3 3<&-', 'sh', node!, ...args], { stdio: ['ignore', 'pipe', 'pipe', reading] });
      closeSync(reading);
      let out = '';
      let err = '';
      let firstRow: () => void = () => {};
      const classifiedFirst = new Promise<void>((resolve) => (firstRow = resolve));
      child.stdout!.on('data', (chunk: Buffer) => {
        out += chunk;
        if (out.includes('\n')) firstRow();
      });
      child.stderr!.on('data', (chunk: Buffer) => (err += chunk));
      let done = false;
      const exited = new Promise<number | null>((resolve) =>
        child.on('close', (code) => {
          done = true;
          resolve(code);
        }),
      );
      writeSync(writing, '999\n');
      await Promise.race([classifiedFirst, exited]);
      await new Promise((resolve) => setTimeout(resolve, 200));
      if (!done) writeSync(writing, '0800 1111\n');
      closeSync(writing);
      expect(err).toBe('');
      expect(await exited).toBe(0);
      expect(out).toBe('999\temergency\t\tGB\n0800 1111\tfreephone\t+448001111\tGB\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
