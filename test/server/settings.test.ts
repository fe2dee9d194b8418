import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/server/settings.js';

describe('callguard serve settings', () => {
  it('needs only the drachtio secret; everything else has a loopback default', () => {
    const r = readSettings({ DRACHTIO_SECRET: 's3cret' });
    expect(r).toMatchObject({ ok: true, settings: { drachtio: { host: '127.0.0.1', port: 9022, secret: 's3cret' }, http: { host: '127.0.0.1', port: 8080 }, drainSeconds: 30, logLevel: 'info' } });
  });

  it('reads every variable', () => {
    const r = readSettings({
      DRACHTIO_HOST: '10.1.1.1',
      DRACHTIO_PORT: '9023',
      DRACHTIO_SECRET: 'x',
      REDIS_URL: 'redis://127.0.0.1:6380',
      CALLGUARD_HTTP_PORT: '9090',
      CALLGUARD_TRUSTED_SOURCES: '192.0.2.1, 2001:db8::1',
      CALLGUARD_ALERT_WEBHOOK: 'https://pager.example/hook',
      CALLGUARD_DRAIN_SECONDS: '5',
      LOG_LEVEL: 'warn',
    });
    expect(r.ok && r.settings).toMatchObject({ drachtio: { host: '10.1.1.1', port: 9023 }, redisUrl: 'redis://127.0.0.1:6380', http: { port: 9090 }, alertWebhook: 'https://pager.example/hook', drainSeconds: 5, logLevel: 'warn' });
    expect(r.ok && [...r.settings.trustedSources]).toEqual(['192.0.2.1', '2001:db8::1']);
  });

  it('reports every missing or bad value on a line of its own, without echoing the secret', () => {
    const r = readSettings({ DRACHTIO_PORT: 'ninety', CALLGUARD_HTTP_PORT: '70000', CALLGUARD_TRUSTED_SOURCES: 'pbx.local', CALLGUARD_DRAIN_SECONDS: '-1', REDIS_URL: 'localhost:6379', LOG_LEVEL: 'loud', CALLGUARD_ALERT_WEBHOOK: 'ftp://x' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.problems).toEqual([
      'DRACHTIO_SECRET is not set: the shared secret of drachtio-server\'s control port',
      'CALLGUARD_DRAIN_SECONDS="-1" is not a number of seconds (0-3600)',
      'CALLGUARD_TRUSTED_SOURCES: "pbx.local" is not an IP address',
      'CALLGUARD_ALERT_WEBHOOK is not an http(s) URL',
      'REDIS_URL is not a redis:// or rediss:// URL',
      'LOG_LEVEL="loud" is not one of fatal, error, warn, info, debug, trace, silent',
      'DRACHTIO_PORT="ninety" is not a port number (1-65535)',
      'CALLGUARD_HTTP_PORT="70000" is not a port number (1-65535)',
    ]);
  });
});
