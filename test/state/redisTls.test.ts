/**
 * rediss://: a real redis-server with TLS (Debian's is built with it) on a certificate made here with
 * openssl, and an ACL user limited to callguard's keys and channels. REDIS_URL and REDIS_TLS_CA are
 * read by the settings' own reader; the runtime state, the alert stream and its reader, and the
 * fraud-limit counts all work through it. Without the CA, or with a wrong password, nothing connects.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisStreamChannel } from '../../src/audit/alertChannels.js';
import { AlertFeed, RedisAlertReader } from '../../src/http/alertFeed.js';
import { SharedUsage } from '../../src/limits/sharedUsage.js';
import { UsageLedger } from '../../src/limits/usageLedger.js';
import type { Plan } from '../../src/policy/plan.js';
import { RedisConnection } from '../../src/state/redisConnection.js';
import { redisTargetFromEnv, type RedisAtUrl } from '../../src/state/redisTarget.js';
import { until } from '../support/edgeFixture.js';
import { freePort } from '../support/freePort.js';
import { samplePlan } from '../support/plans.js';
import { RedisServer } from '../support/redisServer.js';
import { redisState } from '../support/stateFixtures.js';

const T = Date.parse('2026-11-23T14:00:00Z');
const PASSWORD = 'tls-acl-s3cret';

let dir: string;
let redis: RedisServer;
let tlsPort: number;
let caFile: string;
let plan: Plan;
const opened: Array<{ close(): Promise<void> }> = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'callguard-tls-'));
  caFile = join(dir, 'server.pem');
  const key = join(dir, 'server.key');
  // Self-signed for 127.0.0.1: the certificate is its own CA, as a private CA's would be trusted.
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', caFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  tlsPort = await freePort();
  redis = await RedisServer.start([
    '--tls-port', String(tlsPort), '--tls-cert-file', caFile, '--tls-key-file', key, '--tls-ca-cert-file', caFile, '--tls-auth-clients', 'no',
    // callguard's keys and channels, nothing dangerous (no FLUSHALL, CONFIG, DEBUG, ...).
    '--user', 'callguard', 'on', `>${PASSWORD}`, '~callguard:*', '&callguard:*', '+@all', '-@dangerous',
  ]);
  plan = await samplePlan();
}, 60_000);

afterAll(async () => {
  await Promise.allSettled(opened.splice(0).map((o) => o.close()));
  await redis?.stop();
  rmSync(dir, { recursive: true, force: true });
});

function target(env: Record<string, string>): RedisAtUrl {
  const { target, problems } = redisTargetFromEnv(env);
  expect(problems).toEqual([]);
  return target as RedisAtUrl;
}

const tlsUrl = (password = PASSWORD) => `rediss://callguard:${encodeURIComponent(password)}@127.0.0.1:${tlsPort}`;

/** The first thing a connection says: up, or down with why. */
async function firstWord(connection: RedisConnection): Promise<string> {
  opened.push(connection);
  return new Promise((resolve) => {
    connection.once('up', () => resolve('up'));
    connection.once('down', (error) => resolve(`down: ${error.message}`));
  });
}

describe('Redis over TLS with an ACL user (rediss://)', () => {
  it('the runtime state, shared by two instances', async () => {
    const redisTls = target({ REDIS_URL: tlsUrl(), REDIS_TLS_CA: caFile });
    const a = await redisState(plan, redisTls, 'callguard:');
    const b = await redisState(plan, redisTls, 'callguard:');
    opened.push(a, b);
    expect(a.backend.description).toBe(`Redis at 127.0.0.1:${tlsPort} (shared by every instance)`);
    await a.state.setPin('4101', '731946');
    expect(await b.state.unlock('4101', '731946', T)).toEqual({ outcome: 'unlocked' });
    await expect.poll(() => a.state.replica.phoneState(plan, '4101', T).lock, { timeout: 10_000 }).toBe('unlocked');
  });

  it('the alert stream, its console reader and the fraud-limit counts', async () => {
    const redisTls = target({ REDIS_URL: tlsUrl(), REDIS_TLS_CA: caFile });
    const stream = RedisConnection.open(redisTls);
    opened.push(stream);
    await until('the stream connection', () => stream.isUp);
    const feed = new AlertFeed('redis');
    const reader = new RedisAlertReader(redisTls, feed, pino({ level: 'silent' }));
    opened.push(reader);
    reader.start();
    const alert = { kind: 'emergency' as const, ext: '4101', dialled: '999', callback: '+441707284101', location: 'Lindop 2F410', at: new Date(T).toISOString(), callId: 'tls-call' };
    await redisStreamChannel(stream).deliver(alert);
    await until('the alert read back', () => feed.snapshot().find((item) => item.alert.callId === 'tls-call'));

    const usage = new SharedUsage(redisTls, new UsageLedger(() => 'Europe/London'), pino({ level: 'silent' }), () => T);
    opened.push({ close: () => usage.stop() });
    usage.start();
    await until('the counts shared', async () => stream.isUp && (await stream.client.zCard('callguard:usage:instances')) > 0);
  });

  it('refuses a certificate it was not told to trust, and a wrong password', async () => {
    expect(await firstWord(RedisConnection.open(target({ REDIS_URL: tlsUrl() })))).toMatch(/^down: .*self[- ]signed certificate/i);
    expect(await firstWord(RedisConnection.open(target({ REDIS_URL: tlsUrl('wrong'), REDIS_TLS_CA: caFile })))).toMatch(/^down: WRONGPASS/);
    expect(await firstWord(RedisConnection.open(target({ REDIS_URL: tlsUrl(), REDIS_TLS_CA: caFile })))).toBe('up');
  });
});
