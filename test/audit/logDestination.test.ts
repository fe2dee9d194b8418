import fs, { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logDestination } from '../../src/audit/logDestination.js';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function logFile(): { path: string; fd: number } {
  dir = mkdtempSync(join(tmpdir(), 'callguard-logdest-'));
  const path = join(dir, 'log');
  return { path, fd: openSync(path, 'w') };
}

describe('serve log destination', () => {
  it('writes every line whole, in order, multi-byte text included', async () => {
    const { path, fd } = logFile();
    const destination = logDestination(fd, 4096);
    const logger = pino({ level: 'info' }, destination.stream);
    for (let i = 0; i < 2_000; i++) logger.info({ i, site: 'Bürgerhaus – Zürich' }, 'decision');
    destination.flush();
    await new Promise((resolve) => setTimeout(resolve, 100));
    destination.flushSync();
    closeSync(fd);
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { i: number; site: string });
    expect(lines.map((l) => l.i)).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    expect(lines.every((l) => l.site === 'Bürgerhaus – Zürich')).toBe(true);
  });

  it('holds lines below the minimum length until flushed', () => {
    const { path, fd } = logFile();
    const destination = logDestination(fd, 4096);
    pino({ level: 'info' }, destination.stream).info('one line');
    expect(readFileSync(path, 'utf8')).toBe('');
    destination.flushSync();
    closeSync(fd);
    expect(readFileSync(path, 'utf8')).toContain('"msg":"one line"');
  });

  it('writes nothing when flushed with nothing to write, and still writes a line that waited behind a write', async () => {
    const { path, fd } = logFile();
    const destination = logDestination(fd, 4096);
    const writes = vi.spyOn(fs, 'write');
    try {
      const logger = pino({ level: 'info' }, destination.stream);
      destination.flush();
      destination.flush();
      expect(writes).not.toHaveBeenCalled();
      // A slab's worth starts a write; the line after it waits for the next flush.
      for (let i = 0; i < 60; i++) logger.info({ i, pad: 'x'.repeat(60) }, 'decision');
      logger.info('the last line');
      destination.flush();
      await vi.waitFor(() => expect(readFileSync(path, 'utf8')).toContain('the last line'), { timeout: 5_000, interval: 20 });
      const made = writes.mock.calls.length;
      destination.flush();
      destination.flush();
      expect(writes.mock.calls.length).toBe(made);
    } finally {
      writes.mockRestore();
      closeSync(fd);
    }
  });
});
