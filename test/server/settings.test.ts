import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    expect(r.ok && r.settings).toMatchObject({ drachtio: { host: '10.1.1.1', port: 9023 }, redis: { url: 'redis://127.0.0.1:6380' }, http: { port: 9090 }, alertWebhook: 'https://pager.example/hook', drainSeconds: 5, logLevel: 'warn' });
    expect(r.ok && [...r.settings.trustedSources]).toEqual(['192.0.2.1', '2001:db8::1']);
  });

  it('offers RFC 4028 session timers of 1800 s unless CALLGUARD_SESSION_EXPIRES says otherwise (0: none; at least 90)', () => {
    const at = (value?: string) => readSettings({ DRACHTIO_SECRET: 's', ...(value === undefined ? {} : { CALLGUARD_SESSION_EXPIRES: value }) });
    expect(at()).toMatchObject({ ok: true, settings: { sessionExpiresSeconds: 1800 } });
    expect(at('0')).toMatchObject({ ok: true, settings: { sessionExpiresSeconds: 0 } });
    expect(at('90')).toMatchObject({ ok: true, settings: { sessionExpiresSeconds: 90 } });
    for (const bad of ['60', '1.5', 'soon', '86401']) {
      expect(at(bad)).toEqual({ ok: false, problems: [`CALLGUARD_SESSION_EXPIRES="${bad}" is not 0 (off) or a number of seconds (90-86400)`] });
    }
  });

  it('reports every missing or bad value on a line of its own, without echoing the secret', () => {
    const r = readSettings({ DRACHTIO_PORT: 'ninety', CALLGUARD_HTTP_PORT: '70000', CALLGUARD_TRUSTED_SOURCES: 'pbx.local', CALLGUARD_DRAIN_SECONDS: '-1', REDIS_URL: 'localhost:6379', LOG_LEVEL: 'loud', CALLGUARD_ALERT_WEBHOOK: 'ftp://x' });
    expect(r.ok).toBe(false);
    // Every problem, each once; their order is not part of the contract.
    expect(!r.ok && [...r.problems].sort()).toEqual([
      'DRACHTIO_SECRET is not set: the shared secret of drachtio-server\'s control port',
      'CALLGUARD_DRAIN_SECONDS="-1" is not a number of seconds (0-3600)',
      'CALLGUARD_TRUSTED_SOURCES: "pbx.local" is not an IP address',
      'CALLGUARD_ALERT_WEBHOOK is not an http(s) URL',
      'REDIS_URL is not a redis:// or rediss:// URL',
      'LOG_LEVEL="loud" is not one of fatal, error, warn, info, debug, trace, silent',
      'DRACHTIO_PORT="ninety" is not a port number (1-65535)',
      'CALLGUARD_HTTP_PORT="70000" is not a port number (1-65535)',
    ].sort());
  });

  describe('the shared Redis', () => {
    const read = (env: Record<string, string>) => readSettings({ DRACHTIO_SECRET: 'x', ...env });
    const problems = (env: Record<string, string>) => {
      const r = read(env);
      return r.ok ? [] : r.problems;
    };

    it('is none without REDIS_URL or REDIS_SENTINELS', () => {
      const r = read({});
      expect(r.ok && r.settings.redis).toBeUndefined();
    });

    it('takes rediss:// with an ACL user and password in the URL, and a private CA from REDIS_TLS_CA', () => {
      const dir = mkdtempSync(join(tmpdir(), 'callguard-settings-'));
      try {
        const ca = join(dir, 'ca.pem');
        writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
        const r = read({ REDIS_URL: 'rediss://callguard:s%40cret@redis.example:6380/2', REDIS_TLS_CA: ca });
        expect(r.ok && r.settings.redis).toEqual({ url: 'rediss://callguard:s%40cret@redis.example:6380/2', tlsCa: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('takes Sentinel: the sentinels, the master group name and the passwords (IPv6 in brackets)', () => {
      const r = read({
        REDIS_SENTINELS: '10.0.0.1:26379, sentinel-b.example:26380,[2001:db8::7]:26379',
        REDIS_SENTINEL_NAME: 'callguard',
        REDIS_USERNAME: 'callguard',
        REDIS_PASSWORD: 'data-secret',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
      });
      expect(r.ok && r.settings.redis).toEqual({
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: 'sentinel-b.example', port: 26380 },
          { host: '2001:db8::7', port: 26379 },
        ],
        masterName: 'callguard',
        username: 'callguard',
        password: 'data-secret',
        sentinelPassword: 'sentinel-secret',
      });
    });

    it('refuses both REDIS_URL and REDIS_SENTINELS', () => {
      expect(problems({ REDIS_URL: 'redis://10.0.0.1:6379', REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_NAME: 'callguard' })).toEqual([
        'REDIS_URL and REDIS_SENTINELS are both set: give one, a single Redis by URL or a master group through Sentinel',
      ]);
    });

    it('names each sentinel entry that is not host:port, and a missing master group name', () => {
      expect(problems({ REDIS_SENTINELS: '10.0.0.1:26379,10.0.0.2,,10.0.0.3:0,10.0.0.4:99999,redis://10.0.0.5:26379,10.0.0.6:26379/0' })).toEqual([
        'REDIS_SENTINELS: "10.0.0.2" is not host:port',
        'REDIS_SENTINELS: "" is not host:port',
        'REDIS_SENTINELS: "10.0.0.3:0" is not host:port',
        'REDIS_SENTINELS: "10.0.0.4:99999" is not host:port',
        'REDIS_SENTINELS: "redis://10.0.0.5:26379" is not host:port',
        'REDIS_SENTINELS: "10.0.0.6:26379/0" is not host:port',
        'REDIS_SENTINEL_NAME is not set: the master group name the sentinels monitor (sentinel monitor <name> ...)',
      ]);
    });

    it('refuses a master group name without sentinels, and Sentinel passwords beside a URL, without echoing them', () => {
      const r = problems({ REDIS_URL: 'redis://10.0.0.1:6379', REDIS_SENTINEL_NAME: 'callguard', REDIS_PASSWORD: 'data-secret', REDIS_SENTINEL_PASSWORD: 'sentinel-secret' });
      expect(r).toEqual([
        'REDIS_SENTINEL_NAME is set without REDIS_SENTINELS (host:port,host:port,... of the sentinels)',
        'REDIS_PASSWORD is for Sentinel (REDIS_SENTINELS); with REDIS_URL the user and password go in the URL: rediss://user:password@host:port',
        'REDIS_SENTINEL_PASSWORD is for Sentinel (REDIS_SENTINELS); with REDIS_URL the user and password go in the URL: rediss://user:password@host:port',
      ]);
      expect(r.join('\n')).not.toMatch(/secret/);
    });

    it('refuses an ACL user without its password', () => {
      expect(problems({ REDIS_SENTINELS: '10.0.0.1:26379', REDIS_SENTINEL_NAME: 'callguard', REDIS_USERNAME: 'callguard' })).toEqual(['REDIS_USERNAME is set without REDIS_PASSWORD']);
    });

    it('refuses REDIS_TLS_CA without rediss://, and a CA file that cannot be read', () => {
      expect(problems({ REDIS_URL: 'redis://10.0.0.1:6379', REDIS_TLS_CA: '/etc/ssl/ca.pem' })).toEqual(['REDIS_TLS_CA is set but REDIS_URL is not a rediss:// URL (TLS)']);
      expect(problems({ REDIS_URL: 'rediss://10.0.0.1:6379', REDIS_TLS_CA: '/nonexistent/ca.pem' })).toEqual([expect.stringMatching(/^REDIS_TLS_CA="\/nonexistent\/ca.pem" cannot be read: ENOENT/)]);
    });

    it('refuses a URL that is not redis:// or rediss://', () => {
      for (const url of ['http://10.0.0.1:6379', 'redis://', 'redis:10.0.0.1', '10.0.0.1:6379']) expect(problems({ REDIS_URL: url })).toEqual(['REDIS_URL is not a redis:// or rediss:// URL']);
    });
  });
});
