import { describe, expect, it } from 'vitest';
import { readSettings } from '../../src/server/settings.js';

const base = { DRACHTIO_SECRET: 's3cret', FREESWITCH_SECRET: 'fs-secret' };

function servers(env: NodeJS.ProcessEnv) {
  const r = readSettings({ ...base, ...env });
  if (!r.ok) throw new Error(r.problems.join('\n'));
  return r.settings.freeswitch ?? [];
}

function problems(env: NodeJS.ProcessEnv): string[] {
  const r = readSettings({ DRACHTIO_SECRET: 's3cret', ...env });
  return r.ok ? [] : r.problems;
}

describe('callguard serve settings: the media pool', () => {
  it('no FreeSWITCH configured: no media server', () => {
    expect(servers({})).toEqual([]);
  });

  it('one FREESWITCH_HOST with FREESWITCH_PORT stays valid', () => {
    expect(servers({ FREESWITCH_HOST: 'fs1.example', FREESWITCH_PORT: '8022' })).toEqual([{ host: 'fs1.example', port: 8022, secret: 'fs-secret', listenAddress: '127.0.0.1' }]);
    expect(servers({ FREESWITCH_HOST: '10.0.0.5' })).toEqual([{ host: '10.0.0.5', port: 8021, secret: 'fs-secret', listenAddress: '127.0.0.1' }]);
  });

  it('FREESWITCH_HOSTS: each host:port in order, one secret for all, FREESWITCH_PORT (else 8021) where no port is given', () => {
    const pool = servers({ FREESWITCH_HOSTS: ' 10.0.0.5:8021, fs2.example:9021 ,[2001:db8::7]:8031,fs3.example,2001:db8::9', CALLGUARD_MEDIA_LISTEN: '10.0.0.1' });
    expect(pool).toEqual([
      { host: '10.0.0.5', port: 8021, secret: 'fs-secret', listenAddress: '10.0.0.1' },
      { host: 'fs2.example', port: 9021, secret: 'fs-secret', listenAddress: '10.0.0.1' },
      { host: '2001:db8::7', port: 8031, secret: 'fs-secret', listenAddress: '10.0.0.1' },
      { host: 'fs3.example', port: 8021, secret: 'fs-secret', listenAddress: '10.0.0.1' },
      { host: '2001:db8::9', port: 8021, secret: 'fs-secret', listenAddress: '10.0.0.1' },
    ]);
    expect(servers({ FREESWITCH_HOSTS: 'fs1,fs2:8030', FREESWITCH_PORT: '8025' }).map((s) => s.port)).toEqual([8025, 8030]);
  });

  it('reports each bad entry on a line of its own, and a missing secret once', () => {
    expect(problems({ FREESWITCH_HOSTS: 'fs1:80x,fs2:70000,[fs3]:8021,fs4:8021:1,a b,fs1:8021,FS1:8021' })).toEqual([
      'FREESWITCH_SECRET is not set: the event socket password of FreeSWITCH at FREESWITCH_HOSTS',
      'FREESWITCH_HOSTS: "fs1:80x" is not host, host:port or [IPv6]:port',
      'FREESWITCH_HOSTS: "fs2:70000" has no valid port number (1-65535)',
      'FREESWITCH_HOSTS: "[fs3]:8021" is not host, host:port or [IPv6]:port',
      'FREESWITCH_HOSTS: "fs4:8021:1" is not host, host:port or [IPv6]:port',
      'FREESWITCH_HOSTS: "a b" is not host, host:port or [IPv6]:port',
      'FREESWITCH_HOSTS: "FS1:8021" is named twice',
    ]);
  });

  it('both FREESWITCH_HOSTS and FREESWITCH_HOST, an empty list, or a bad FREESWITCH_PORT are refused', () => {
    expect(problems({ ...base, FREESWITCH_HOSTS: 'fs1:8021', FREESWITCH_HOST: 'fs2' })).toEqual([
      'FREESWITCH_HOSTS and FREESWITCH_HOST are both set: give every server in FREESWITCH_HOSTS and leave FREESWITCH_HOST unset',
    ]);
    expect(problems({ ...base, FREESWITCH_HOSTS: ' , ' })).toEqual(['FREESWITCH_HOSTS=" , " names no server (host:port,...)']);
    expect(problems({ ...base, FREESWITCH_HOST: 'fs1', FREESWITCH_PORT: 'eighty' })).toEqual(['FREESWITCH_PORT="eighty" is not a port number (1-65535)']);
  });
});
