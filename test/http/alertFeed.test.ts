import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_STREAM } from '../../src/audit/alertChannels.js';
import { alertFields, type SecurityAlert } from '../../src/audit/securityAlert.js';
import { until } from '../support/edgeFixture.js';
import { RedisServer } from '../support/redisServer.js';
import { ApiServer } from './apiServer.js';

const alert = (ext: string, kind: SecurityAlert['kind'] = 'emergency'): SecurityAlert => ({
  kind,
  ext,
  name: `Phone ${ext}`,
  dialled: '999',
  callback: '+441707284101',
  location: `Room ${ext}`,
  at: new Date().toISOString(),
  callId: `call-${ext}`,
});

describe('console feed without Redis', () => {
  let api: ApiServer;
  beforeAll(async () => {
    api = await ApiServer.start({ heartbeatMs: 200 });
  });
  afterAll(async () => {
    await api?.stop();
  });

  it('streams this instance\'s alerts as SSE (snapshot, alert, ack) and acknowledges with who and when', async () => {
    await api.admin.channel!.deliver(alert('4101'));
    const controller = new AbortController();
    const response = await fetch(`${api.url}/api/alerts/stream`, { headers: { authorization: `Bearer ${api.tokens.security}` }, signal: controller.signal });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const read = async (pattern: RegExp) => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${pattern}`);
        text += value;
      }
    };
    await read(/event: snapshot\ndata: .*"ext":"4101"/);
    await api.admin.channel!.deliver(alert('4102'));
    await read(/event: alert\ndata: .*"ext":"4102"/);
    await read(/: keep-alive/);
    const id = api.admin.feed.snapshot()[0]!.id;
    const ack = await api.request('POST', `/api/alerts/${id}/ack`, { token: api.tokens.security });
    expect(ack.body).toMatchObject({ id, ack: { by: 'sam' } });
    await read(/event: ack\ndata: .*"by":"sam"/);
    const again = await api.request('POST', `/api/alerts/${id}/ack`);
    expect(again.body.ack.by).toBe('sam'); // the first acknowledgement stands
    expect((await api.request('POST', '/api/alerts/1-0/ack')).status).toBe(404);
    expect(api.auditText).toContain('"action":"alert.ack"');
    controller.abort();
  });
});

describe('console feed with Redis: every instance, acknowledgements shared, catches up after an outage', () => {
  let redis: RedisServer;
  let one: ApiServer;
  let two: ApiServer;
  let writer: ReturnType<typeof createClient>;

  beforeAll(async () => {
    redis = await RedisServer.start();
    writer = createClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
    writer.on('error', () => {});
    await writer.connect();
    await writer.xAdd(ALERT_STREAM, '*', alertFields(alert('4103', 'hotline')));
    one = await ApiServer.start({ redisUrl: redis.url });
    two = await ApiServer.start({ redisUrl: redis.url });
  });
  afterAll(async () => {
    await one?.stop();
    await two?.stop();
    await writer?.close().catch(() => writer.destroy());
    await redis?.stop();
  });

  const exts = async (api: ApiServer) => ((await api.request('GET', '/api/alerts', { token: api.tokens.auditor })).body.alerts as Array<{ alert: SecurityAlert }>).map((i) => i.alert.ext);

  it('shows alerts raised earlier and by any instance, and an acknowledgement on one console reaches the other', async () => {
    await until('backfill', async () => (await exts(one)).includes('4103') && (await exts(two)).includes('4103'));
    const id = await writer.xAdd(ALERT_STREAM, '*', alertFields(alert('4104')));
    await until('live alert on both', async () => (await exts(one))[0] === '4104' && (await exts(two))[0] === '4104');
    const ack = await one.request('POST', `/api/alerts/${id}/ack`, { token: one.tokens.security });
    expect(ack.status).toBe(200);
    await until('ack on the other instance', () => two.admin.feed.get(id)?.ack?.by === 'sam');
  });

  it('an outage shows as disconnected; afterwards the feed reads what it missed', async () => {
    await redis.kill();
    await until('feed reports the stream down', () => one.admin.feed.status.connected === false);
    expect((await one.request('GET', '/api/alerts')).body.connected).toBe(false);
    await redis.restart();
    await until('writer back', () => writer.isReady);
    await writer.xAdd(ALERT_STREAM, '*', alertFields(alert('4105', 'pin-lockout')));
    await until('caught up', async () => (await exts(one)).includes('4105') && one.admin.feed.status.connected, 20_000);
    await until('caught up on two', async () => (await exts(two)).includes('4105'), 20_000);
  });
});
