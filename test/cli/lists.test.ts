import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zonedTime } from '../../src/zonedTime.js';
import { callguard } from '../support/cli.js';
import { RedisServer } from '../support/redisServer.js';

const NO_REDIS = { REDIS_URL: '', REDIS_SENTINELS: '' };
const rows = (stdout: string) => stdout.trim().split('\n').map((l) => l.split('\t'));

describe('times shown by the CLI', () => {
  it('carry their zone', () => {
    expect(zonedTime(Date.UTC(2026, 11, 6, 10, 20), 'Europe/London')).toBe('2026-12-06 10:20 Europe/London');
    expect(zonedTime(Date.UTC(2026, 6, 6, 10, 20, 5), 'Europe/London', true)).toBe('2026-07-06 11:20:05 Europe/London');
    expect(zonedTime(Date.UTC(2026, 6, 6, 10, 20), 'UTC')).toBe('2026-07-06 10:20 UTC');
  });
});

describe('without Redis', { timeout: 60_000 }, () => {
  it('phone list gives every extension of the plan with its plan lock state, and says where live state is', () => {
    const r = callguard(['phone', 'list'], undefined, NO_REDIS);
    expect(r.status).toBe(0);
    const byExt = new Map(rows(r.stdout).map((f) => [f[0], f]));
    expect(byExt.get('4101')).toEqual(['4101', 'Dr Alice Moreno', 'amoreno', 'locked', '-']);
    expect(byExt.get('4201')?.[3]).toBe('no PIN lock');
    expect(byExt.get('2222')).toBeDefined();
    expect(r.stderr).toMatch(/^no Redis .*unlocks and run-time grants live in Redis\n$/);
  });

  it("grant list gives the plan's grants, with zoned dates, and says run-time grants need Redis", () => {
    const r = callguard(['grant', 'list'], undefined, NO_REDIS);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('amoreno-cern\tamoreno\tCH,FR,DE\topen-ended\t');
    expect(r.stdout).toContain('bokafor-fieldwork\tbokafor\tworldwide,+881\tfrom 2026-09-01 00:00 UTC until 2027-04-01 00:00 UTC\t');
    expect(r.stderr).toMatch(/run-time grants \(grant add\) live in Redis/);
    expect(callguard(['grant', 'list', 'bokafor'], undefined, NO_REDIS).stdout.trim().split('\n')).toHaveLength(1);
  });
});

describe('with Redis', { timeout: 180_000 }, () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await RedisServer.start();
  });
  afterAll(async () => redis?.stop());
  const withRedis = (args: string[], input?: string) => callguard([...args, '--redis', redis.url], input);

  it('phone list gives the live lock state and when it changed, in the site zone', () => {
    expect(withRedis(['pin', 'set', '4102'], '731946\n').status).toBe(0);
    expect(withRedis(['phone', 'unlock', '4102'], '731946\n').status).toBe(0);
    const r = withRedis(['phone', 'list']);
    expect(r).toMatchObject({ status: 0, stderr: '' });
    const byExt = new Map(rows(r.stdout).map((f) => [f[0], f]));
    expect(byExt.get('4102')?.slice(3)).toEqual(['unlocked', expect.stringMatching(/^unlocked \d{4}-\d\d-\d\d \d\d:\d\d Europe\/London$/)]);
    expect(byExt.get('4101')?.slice(3)).toEqual(['locked', '-']);
    const json = withRedis(['phone', 'list', '--json']).stdout.trim().split('\n').map((l) => JSON.parse(l) as { ext: string; lock: string; change?: string });
    expect(json.find((p) => p.ext === '4102')).toMatchObject({ lock: 'unlocked', change: 'unlocked' });
  });

  it('grant list adds the run-time grants', () => {
    const added = withRedis(['grant', 'add', 'dfischer', '--countries', 'jp', '--until', '2099-12-31', '--reason', 'Kyoto', '--approver', 'Head']);
    const id = added.stdout.split('\t')[0]!;
    const r = withRedis(['grant', 'list']);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`${id}\tdfischer\tJP\tuntil 2100-01-01 00:00 UTC\t`);
    expect(r.stdout).toContain('amoreno-cern\t');
  });
});
