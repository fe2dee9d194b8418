import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callguard } from '../support/cli.js';
import { RedisServer } from '../support/redisServer.js';

let redis: RedisServer;
beforeAll(async () => {
  redis = await RedisServer.start();
});
afterAll(async () => redis.stop());

const withRedis = (args: string[], input?: string) => callguard([...args, '--redis', redis.url], input);
const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, unknown>;

// Each case runs several callguard processes (scrypt PIN hashing, a Redis round trip each): on a busy
// 2-core machine one process can take seconds, so the cases get room; nothing here measures time.
describe('state commands', { timeout: 120_000 }, () => {
  it('refuse to run without a shared store, saying why', () => {
    expect(callguard(['phone', 'status', '4101'], undefined, { REDIS_URL: '' })).toMatchObject({ status: 2, stderr: expect.stringContaining('no shared state store: give --redis URL or set REDIS_URL') });
  });

  it('set a PIN from stdin, unlock with it, show the status and lock again', () => {
    expect(withRedis(['pin', 'set', '4101'], '731946\n')).toMatchObject({ status: 0, stdout: 'PIN set for 4101; the phone is locked\n' });
    expect(json(withRedis(['phone', 'status', '4101', '--json']))).toMatchObject({ ext: '4101', lock: 'locked', hasPin: true, failures: 0 });
    expect(withRedis(['phone', 'unlock', '4101'], '731946\n')).toMatchObject({ status: 0, stdout: '4101 unlocked\n' });
    expect(withRedis(['phone', 'status', '4101']).stdout).toMatch(/^4101 \(Dr Alice Moreno\): unlocked until .*; PIN set; 0 failed attempts\n$/);
    expect(JSON.parse(withRedis(['check', '--from', '4101', '--to', '90033142685300', '--json']).stdout)).toMatchObject({ action: 'allow', reason: 'international-granted' });
    expect(JSON.parse(withRedis(['check', '--from', '4101', '--to', '90033142685300', '--json', '--locked']).stdout)).toMatchObject({ action: 'pin-required' });
    expect(withRedis(['phone', 'lock', '4101'])).toMatchObject({ status: 0, stdout: '4101 locked\n' });
    expect(JSON.parse(withRedis(['check', '--from', '4101', '--to', '90033142685300', '--json']).stdout)).toMatchObject({ action: 'pin-required' });
  });

  it('refuse weak PINs and wrong PINs without echoing them', () => {
    const weak = withRedis(['pin', 'set', '4202'], '111111\n');
    expect(weak).toMatchObject({ status: 2, stderr: expect.stringContaining('PIN refused: a PIN of one repeated digit') });
    expect(weak.stdout + weak.stderr).not.toContain('111111');
    withRedis(['pin', 'set', '4202'], '802519\n');
    const wrong = withRedis(['phone', 'unlock', '4202'], '582946\n');
    expect(wrong).toMatchObject({ status: 1, stdout: 'wrong PIN for 4202: 4 attempts left before PIN entry locks\n' });
    expect(wrong.stdout + wrong.stderr).not.toContain('582946');
    expect(withRedis(['phone', 'unlock', '4202'], '\n')).toMatchObject({ status: 2, stderr: expect.stringContaining('no PIN given on stdin') });
    for (let i = 0; i < 3; i++) withRedis(['phone', 'unlock', '4202'], '582946\n');
    const lockout = withRedis(['phone', 'unlock', '4202'], '582946\n');
    expect(lockout).toMatchObject({ status: 1, stdout: expect.stringMatching(/^PIN entry for 4202 is locked out until .*; a Security alert has been raised\n$/) });
    expect(lockout.stderr).toContain('security alert: unlocking suspended after repeated wrong codes');
    expect(lockout.stdout + lockout.stderr).not.toContain('582946');
  });

  it('add, list and revoke grants, which check then uses', () => {
    const added = withRedis(['grant', 'add', 'dfischer', '--countries', 'jp', '--until', '2099-12-31', '--reason', 'Kyoto conference', '--approver', 'Head of School']);
    expect(added.status).toBe(0);
    const id = added.stdout.split('\t')[0]!;
    expect(id).toMatch(/^rt-[0-9a-f]{8}$/);
    expect(withRedis(['grant', 'list', 'dfischer']).stdout).toContain(`${id}\tdfischer\tJP\tuntil `);
    expect(withRedis(['grant', 'list']).stdout).toContain('amoreno-cern\tamoreno\tCH,FR,DE');
    expect(JSON.parse(withRedis(['check', '--from', '4202', '--to', '90081312345678', '--json', '--unlocked']).stdout)).toMatchObject({ action: 'allow', rule: `grant:${id}` });
    expect(withRedis(['grant', 'revoke', id])).toMatchObject({ status: 0, stdout: `grant ${id} revoked\n` });
    expect(JSON.parse(withRedis(['check', '--from', '4202', '--to', '90081312345678', '--json', '--unlocked']).stdout)).toMatchObject({ action: 'reject' });
  });

  it('report an unreachable Redis clearly', () => {
    expect(callguard(['phone', 'status', '4101', '--redis', 'redis://127.0.0.1:1'])).toMatchObject({ status: 2, stderr: expect.stringContaining('Redis at 127.0.0.1:1 cannot be reached') });
  });
});
