/**
 * The alert outbox on real files in a temp dir: alerts a channel could not take are kept on disk,
 * delivered oldest first and marked late when the channel is back, survive a restart (and a write a
 * crash cut short), stay within their bound, and say "late" on every channel and on the console feed.
 */
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createClient } from 'redis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redisStreamChannel, sipMessageChannel, webhookChannel } from '../../src/audit/alertChannels.js';
import { AlertDispatcher, type AlertChannel, type LateDelivery } from '../../src/audit/alertDispatcher.js';
import { AlertOutbox, type OutboxOptions } from '../../src/audit/alertOutbox.js';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';
import { AlertFeed, RedisAlertReader } from '../../src/http/alertFeed.js';
import { RedisConnection } from '../../src/state/redisConnection.js';
import { until } from '../support/edgeFixture.js';
import { RedisServer } from '../support/redisServer.js';

/** When the alerts were raised: a minute before the test, so every delivery is later. */
const AT = new Date(Date.now() - 60_000).toISOString();

const alert = (callId: string, kind: SecurityAlert['kind'] = 'emergency'): SecurityAlert => ({
  kind,
  ext: '4101',
  name: 'Dr Alice Moreno',
  dialled: kind === 'pin-lockout' ? '' : '999',
  callback: '+441707284101',
  location: 'Lindop Building, room 2F410',
  at: AT,
  callId,
});

/** A channel that refuses everything until it is switched on, and records what it took. */
function switchable(name = 'webhook') {
  const taken: Array<{ alert: SecurityAlert; late: LateDelivery | undefined }> = [];
  const state = { up: false, attempts: 0 };
  const channel: AlertChannel = {
    name,
    async deliver(a, late) {
      state.attempts++;
      if (!state.up) throw new Error(`${name} is down`);
      taken.push({ alert: a, late });
    },
  };
  return { channel, taken, state };
}

let dir: string;
let logs: Array<Record<string, unknown>>;
let counts: string[];
let sizes: Map<string, number>;
const opened: AlertOutbox[] = [];

function options(channels: AlertChannel[], more: Partial<OutboxOptions> = {}): OutboxOptions {
  return {
    dir,
    channels,
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) }),
    outcomes: { count: (channel, outcome) => counts.push(`${channel}:${outcome}`), size: (channel, waiting) => sizes.set(channel, waiting) },
    probe: { firstMs: 20, maxMs: 200 },
    ...more,
  };
}

async function open(channels: AlertChannel[], more: Partial<OutboxOptions> = {}): Promise<AlertOutbox> {
  const outbox = await AlertOutbox.open(options(channels, more));
  opened.push(outbox);
  return outbox;
}

/** The journal's lines, parsed. */
function journal(channel = 'webhook'): Array<Record<string, unknown>> {
  const file = join(dir, `${channel}.jsonl`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

const keptIds = (channel = 'webhook') => journal(channel).filter((l) => l.op === 'kept').map((l) => (l.alert as SecurityAlert).callId);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'callguard-outbox-'));
  logs = [];
  counts = [];
  sizes = new Map();
});

afterEach(async () => {
  await Promise.all(opened.splice(0).map((o) => o.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('alert outbox', () => {
  it('keeps what a channel could not take after its retries, and delivers it oldest first, marked late, when the channel is back', async () => {
    const down = switchable();
    const fine = switchable('sip-message');
    fine.state.up = true;
    const outbox = await open([down.channel, fine.channel]);
    const dispatcher = new AlertDispatcher([down.channel, fine.channel], options([]).logger, { sent: () => {}, failed: (c) => counts.push(`${c}:failed`) }, outbox);

    await dispatcher.sendAndSettle(alert('first'));
    await dispatcher.sendAndSettle(alert('second', 'hotline'));
    expect(down.state.attempts).toBeGreaterThanOrEqual(6);
    expect(counts.filter((c) => c === 'webhook:failed')).toHaveLength(2);
    expect(outbox.waiting('webhook').map((a) => a.callId)).toEqual(['first', 'second']);
    expect(outbox.waiting('sip-message')).toEqual([]);
    expect(sizes.get('webhook')).toBe(2);
    // On disk, fsync'd, in the order kept.
    await until('both alerts in the journal', () => keptIds().length === 2);
    expect(keptIds()).toEqual(['first', 'second']);
    expect(logs.some((l) => l.msg === 'security alert could not be delivered' && l.outbox === 'kept')).toBe(true);

    down.state.up = true;
    await until('the outbox emptied', () => outbox.waiting('webhook').length === 0);
    expect(down.taken.map((t) => t.alert.callId)).toEqual(['first', 'second']);
    for (const { alert: a, late } of down.taken) {
      expect(late).toBeDefined();
      expect(Date.parse(late!.deliveredAt)).toBeGreaterThan(Date.parse(a.at));
    }
    // The alert itself is as it was raised: its own time, not the delivery's.
    expect(down.taken[0]!.alert).toEqual(alert('first'));
    expect(counts.filter((c) => c === 'webhook:late')).toHaveLength(2);
    expect(sizes.get('webhook')).toBe(0);
    expect(fine.taken.every((t) => t.late === undefined)).toBe(true);
    // Nothing waits, so nothing is left on disk.
    await until('the journal compacted away', () => !existsSync(join(dir, 'webhook.jsonl')));
  }, 30_000);

  it('probes a channel that stays down again and again (logged once), and delivers in order what was kept meanwhile', async () => {
    const down = switchable();
    const outbox = await open([down.channel]);
    outbox.keep('webhook', alert('a'));
    outbox.keep('webhook', alert('b', 'pin-lockout'));
    await until('several probes failed', () => down.state.attempts >= 4);
    outbox.keep('webhook', alert('c', 'fraud'));
    expect(outbox.waiting('webhook').map((a) => a.callId)).toEqual(['a', 'b', 'c']);
    expect(logs.filter((l) => l.msg === 'alert outbox: channel still down, probing with back-off')).toHaveLength(1);
    down.state.up = true;
    await until('all delivered', () => down.taken.length === 3);
    expect(down.taken.map((t) => t.alert.callId)).toEqual(['a', 'b', 'c']);
    expect(logs.some((l) => l.msg === 'alert outbox: channel back, kept alerts delivered late' && l.delivered === 3)).toBe(true);
  });

  it('a channel seen working again is tried at once, not at the next probe a minute away', async () => {
    const down = switchable();
    const outbox = await open([down.channel], { probe: { firstMs: 60_000, maxMs: 60_000 } });
    outbox.keep('webhook', alert('waiting'));
    down.state.up = true;
    outbox.channelWorks('webhook');
    await until('delivered', () => down.taken.length === 1, 10_000);
    expect(down.state.attempts).toBe(1);
  });

  it('at its bound drops the oldest alert that is not an emergency, then the oldest emergency, with an error log and a count', async () => {
    const down = switchable();
    const outbox = await open([down.channel], { limits: { alerts: 3, bytes: 1024 * 1024 } });
    outbox.keep('webhook', alert('e1'));
    outbox.keep('webhook', alert('p1', 'pin-lockout'));
    outbox.keep('webhook', alert('e2'));
    outbox.keep('webhook', alert('e3'));
    expect(outbox.waiting('webhook').map((a) => a.callId)).toEqual(['e1', 'e2', 'e3']);
    outbox.keep('webhook', alert('e4'));
    expect(outbox.waiting('webhook').map((a) => a.callId)).toEqual(['e2', 'e3', 'e4']);
    expect(counts.filter((c) => c === 'webhook:dropped')).toHaveLength(2);
    const dropped = logs.filter((l) => l.msg === 'alert outbox full: an undelivered alert was dropped');
    expect(dropped.map((l) => [l.callId, l.kind, l.level])).toEqual([['p1', 'pin-lockout', 50], ['e1', 'emergency', 50]]);
    expect(sizes.get('webhook')).toBe(3);

    // The bound in bytes too: room for about two alerts.
    const bytes = await open([switchable('sip-message').channel], { limits: { alerts: 100, bytes: 2.5 * (JSON.stringify(alert('x1')).length + 30) } });
    for (const id of ['x1', 'x2', 'x3', 'x4']) bytes.keep('sip-message', alert(id));
    expect(bytes.waiting('sip-message').map((a) => a.callId)).toEqual(['x3', 'x4']);

    // What was dropped stays dropped after a restart.
    await outbox.close();
    const again = await open([switchable().channel], { probe: { firstMs: 60_000, maxMs: 60_000 } });
    expect(again.waiting('webhook').map((a) => a.callId)).toEqual(['e2', 'e3', 'e4']);
  });

  it('survives a restart: what waited is loaded at start and delivered, with its original time, marked late', async () => {
    const before = switchable();
    const first = await open([before.channel]);
    first.keep('webhook', alert('one'));
    first.keep('webhook', alert('two', 'hotline'));
    await first.close();
    expect(keptIds()).toEqual(['one', 'two']);

    const after = switchable();
    after.state.up = true;
    const second = await open([after.channel]);
    expect(logs.some((l) => l.msg === 'alert outbox: alerts from before the restart wait for their channel' && l.waiting === 2)).toBe(true);
    await until('delivered after the restart', () => after.taken.length === 2);
    expect(after.taken.map((t) => t.alert)).toEqual([alert('one'), alert('two', 'hotline')]);
    expect(after.taken.every((t) => t.late !== undefined)).toBe(true);
    expect(second.waiting('webhook')).toEqual([]);
  });

  it('skips a last line a crash cut short (not fatal), keeps the rest, and appends after it cleanly', async () => {
    const file = join(dir, 'webhook.jsonl');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      file,
      [
        JSON.stringify({ op: 'kept', seq: 1, alert: alert('done') }),
        JSON.stringify({ op: 'kept', seq: 2, alert: alert('waits') }),
        JSON.stringify({ op: 'delivered', seq: 1 }),
        '',
      ].join('\n'),
    );
    appendFileSync(file, JSON.stringify({ op: 'kept', seq: 3, alert: alert('torn') }).slice(0, 40));
    const down = switchable();
    const outbox = await open([down.channel], { probe: { firstMs: 60_000, maxMs: 60_000 } });
    expect(outbox.waiting('webhook').map((a) => a.callId)).toEqual(['waits']);
    expect(logs.some((l) => l.msg === 'alert outbox: skipped unreadable lines (a write cut short by a crash)' && l.unreadable === 1 && l.level === 40)).toBe(true);
    outbox.keep('webhook', alert('later'));
    await outbox.close();
    // Every line whole again: the one that waits and the one kept since.
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
    expect(journal().map((l) => [l.op, (l.alert as SecurityAlert).callId])).toEqual([['kept', 'waits'], ['kept', 'later']]);

    const up = switchable();
    up.state.up = true;
    await open([up.channel]);
    await until('both delivered', () => up.taken.length === 2);
    expect(up.taken.map((t) => t.alert.callId)).toEqual(['waits', 'later']);
  });

  it('at shutdown keeps what is still being tried, so a restart delivers it', async () => {
    const hanging: AlertChannel = { name: 'sip-message', deliver: () => new Promise(() => {}) };
    const outbox = await open([hanging]);
    const dispatcher = new AlertDispatcher([hanging], options([]).logger, { sent: () => {}, failed: () => {} }, outbox);
    expect(dispatcher.send(alert('in-flight'))).toBeUndefined();
    await dispatcher.close();
    expect(keptIds('sip-message')).toEqual(['in-flight']);

    const back = switchable('sip-message');
    back.state.up = true;
    await open([back.channel]);
    await until('delivered after the restart', () => back.taken.length === 1);
    expect(back.taken[0]!.late).toBeDefined();
  });

  it('an outbox that cannot be read or written is logged and never stops anything: its alerts are delivered late from memory', async () => {
    writeFileSync(join(dir, 'blocked'), 'a file where a folder should be');
    const unreadable = switchable();
    const first = await open([unreadable.channel], { dir: join(dir, 'blocked', 'outbox') });
    expect(logs.some((l) => l.msg === 'alert outbox cannot be read: its alerts are not delivered, and new ones are kept in memory only' && l.level === 50)).toBe(true);
    first.keep('webhook', alert('from-memory'));

    const unwritable = switchable();
    const second = await open([unwritable.channel], { dir: join(dir, 'later-blocked') });
    writeFileSync(join(dir, 'later-blocked'), 'the folder could not be made');
    second.keep('webhook', alert('from-memory-too'));
    await until('the disk problem logged', () => logs.find((l) => l.msg === 'alert outbox could not be written: its alerts are still delivered but would not survive a restart'));

    unreadable.state.up = true;
    unwritable.state.up = true;
    await until('both delivered', () => unreadable.taken.length === 1 && unwritable.taken.length === 1);
    expect(unreadable.taken[0]!.late).toBeDefined();
    expect(unwritable.taken[0]!.late).toBeDefined();
  });
});

describe('a Redis that takes bytes but never answers (hung, or cut off without a reset)', () => {
  it("an alert's XADD fails in bounded time, and the alert waits in the outbox for the stream channel", async () => {
    const redis = await RedisServer.start();
    const connection = RedisConnection.open({ url: redis.url });
    try {
      await until('Redis up', () => connection.isUp);
      const stream = redisStreamChannel(connection);
      const outbox = await open([stream], { probe: { firstMs: 60_000, maxMs: 60_000 } });
      const dispatcher = new AlertDispatcher([stream], pino({ level: 'silent' }), { sent: () => {}, failed: () => {} }, outbox);
      redis.pause();
      dispatcher.send(alert('hung-xadd'));
      await until('the alert kept in the outbox', () => outbox.waiting('redis-stream').length === 1, 30_000);
      expect(outbox.waiting('redis-stream').map((a) => a.callId)).toEqual(['hung-xadd']);
    } finally {
      redis.resume();
      await connection.destroy();
      await redis.stop();
    }
  }, 45_000);
});

describe('late alerts on every channel', () => {
  const late: LateDelivery = { deliveredAt: '2026-11-23T20:05:00.000Z' };

  it('the MESSAGE keeps its first word and time and ends with a late line; the webhook JSON carries late and deliveredAt', async () => {
    const bodies: string[] = [];
    const message = sipMessageChannel(() => ['sip:security@192.0.2.1'], async (_uri, _headers, body) => (bodies.push(body), 200), pino({ level: 'silent' }));
    await message.deliver(alert('m'), late);
    await message.deliver(alert('m'));
    expect(bodies[0]).toMatch(/^EMERGENCY 999\r\n/);
    expect(bodies[0]).toContain(`time: ${AT}\r\n`);
    expect(bodies[0]!.split('\r\n').at(-2)).toBe('late: delivered 2026-11-23T20:05:00.000Z; the alert could not be sent when it was raised');
    expect(bodies[1]).not.toContain('late');

    const posts: Array<Record<string, unknown>> = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        posts.push(JSON.parse(body) as Record<string, unknown>);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const webhook = webhookChannel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`);
      await webhook.deliver(alert('w'), late);
      await webhook.deliver(alert('w'));
      expect(posts[0]).toEqual({ ...alert('w'), late: true, deliveredAt: late.deliveredAt });
      expect(posts[1]).toEqual(alert('w'));
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('the stream entry carries late and deliveredAt, and the console feed reading it marks the item late', async () => {
    const redis = await RedisServer.start();
    const client = createClient({ url: redis.url });
    client.on('error', () => {});
    const feed = new AlertFeed('redis');
    const reader = new RedisAlertReader({ url: redis.url }, feed, pino({ level: 'silent' }));
    try {
      await client.connect();
      const stream = redisStreamChannel({ client });
      await stream.deliver(alert('on-time'));
      await stream.deliver(alert('late-one'), late);
      const entries = (await client.xRange('callguard:alerts', '-', '+')) ?? [];
      expect(entries.map((e) => e.message)).toEqual([
        expect.not.objectContaining({ late: expect.anything() }),
        expect.objectContaining({ callId: 'late-one', at: alert('late-one').at, late: 'true', deliveredAt: late.deliveredAt }),
      ]);
      reader.start();
      await until('the feed has both', () => feed.snapshot().length === 2);
      const [newest, oldest] = feed.snapshot();
      expect(newest).toMatchObject({ alert: { callId: 'late-one', at: alert('late-one').at }, late });
      expect(oldest!.late).toBeUndefined();
    } finally {
      await reader.close();
      await client.close().catch(() => client.destroy());
      await redis.stop();
    }
  });
});
