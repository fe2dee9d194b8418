import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NEVER_LOGGED_OPTIONS, withoutSecrets } from '../../src/audit/neverLogged.js';

function logged(write: (logger: pino.Logger) => void): Record<string, unknown>[] {
  const lines: Record<string, unknown>[] = [];
  write(pino({ level: 'info', ...NEVER_LOGGED_OPTIONS }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }));
  return lines;
}

describe('secrets never reach a log line', () => {
  it('drops PINs, PIN hashes, secrets and passwords at the top of a line and one level down', () => {
    const [line] = logged((logger) =>
      logger.info({ ext: '4101', pin: '731946', newPin: '246810', pinHash: 'h', secret: 's3', password: 'pw', user: { name: 'Ann', pin: '731946', password: 'pw' } }, 'attached by mistake'),
    );
    expect(line).toMatchObject({ ext: '4101', user: { name: 'Ann' }, msg: 'attached by mistake' });
    expect(JSON.stringify(line)).not.toMatch(/731946|246810|"h"|s3|pw/);
  });

  it('leaves a line without secrets as it is, uncopied', () => {
    const fields = { from: '4101', to: '909012345678', nested: { ok: true } };
    expect(withoutSecrets(fields)).toBe(fields);
  });

  it('never changes the caller object', () => {
    const fields = { pin: '731946', user: { pin: '731946' } };
    withoutSecrets(fields);
    expect(fields).toEqual({ pin: '731946', user: { pin: '731946' } });
  });
});
