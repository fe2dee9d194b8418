/**
 * One FreeSWITCH's event-socket connection: reconnected with back-off (1 s doubling to 30 s, back to
 * 1 s after a success), an outage logged once and its end once, a lost media server let go (so that
 * drachtio-modesl does not reconnect it on its own beside the new one). The connect function stands
 * in for drachtio-fsmrf's Mrf.connect; time is vitest's fake clock.
 */
import { EventEmitter } from 'node:events';
import type Mrf from 'drachtio-fsmrf';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FreeswitchConnection, type FreeswitchSettings } from '../../src/media/freeswitchConnection.js';

const SETTINGS: FreeswitchSettings = { host: '10.0.0.5', port: 8021, secret: 'fs-secret', listenAddress: '127.0.0.1' };

type FakeServer = Mrf.MediaServer & { disconnected: boolean };

function fakeServer(): FakeServer {
  const server = Object.assign(new EventEmitter(), {
    disconnected: false,
    connected: () => !server.disconnected,
    disconnect: () => {
      server.disconnected = true;
    },
  });
  return server as unknown as FakeServer;
}

describe('FreeswitchConnection', () => {
  let logs: { msg: string; level: number }[];
  let attempts: number[];
  /** What each attempt does: fail, or give this server. */
  let outcomes: (FakeServer | Error)[];
  let connection: FreeswitchConnection;

  beforeEach(() => {
    vi.useFakeTimers();
    logs = [];
    attempts = [];
    outcomes = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as { msg: string; level: number }) });
    connection = new FreeswitchConnection(
      (settings) => {
        expect(settings).toEqual(SETTINGS);
        attempts.push(Date.now());
        const next = outcomes.shift() ?? new Error('connect ECONNREFUSED 10.0.0.5:8021');
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      SETTINGS,
      logger,
    );
  });

  afterEach(() => {
    connection.close();
    vi.useRealTimers();
  });

  /** Gaps between connection attempts, in seconds. */
  const gaps = () => attempts.slice(1).map((t, i) => (t - attempts[i]!) / 1000);

  it('retries with doubling back-off up to 30 s, logging the outage once; connected, the back-off starts again at 1 s', async () => {
    const start = Date.now();
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.mediaServer).toBeUndefined();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(gaps()).toEqual([1, 2, 4, 8, 16, 30, 30]);
    expect(attempts[0]).toBe(start);
    expect(logs.map((l) => l.msg)).toEqual(['FreeSWITCH unreachable: new media calls go to the other media servers, if any, until it is back']);

    const server = fakeServer();
    outcomes.push(server);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(connection.mediaServer).toBe(server);
    expect(logs.at(-1)).toMatchObject({ msg: 'FreeSWITCH reachable again', freeswitch: '10.0.0.5:8021' });

    // The event socket closes: the server is let go, and the next attempt is 1 s later.
    attempts.length = 0;
    server.emit('end');
    expect(connection.mediaServer).toBeUndefined();
    expect(server.disconnected).toBe(true);
    const lostAt = Date.now();
    await vi.advanceTimersByTimeAsync(3_500);
    expect(attempts.map((t) => (t - lostAt) / 1000)).toEqual([1, 3]);
    expect(logs.filter((l) => l.level >= 50)).toHaveLength(2);
  });

  it('connected at the first attempt: "connected to FreeSWITCH"; an error event also counts as lost, once', async () => {
    const server = fakeServer();
    outcomes.push(server);
    connection.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connection.mediaServer).toBe(server);
    expect(logs.map((l) => l.msg)).toEqual(['connected to FreeSWITCH']);

    server.emit('error', new Error('read ECONNRESET'));
    server.emit('end');
    expect(server.disconnected).toBe(true);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(attempts).toHaveLength(2);
    expect(logs.at(-1)).toMatchObject({ msg: 'FreeSWITCH unreachable: new media calls go to the other media servers, if any, until it is back', why: 'read ECONNRESET' });
  });

  it('closed: no more attempts, and a server that connects after close is let go', async () => {
    let resolve!: (server: FakeServer) => void;
    const late = fakeServer();
    connection = new FreeswitchConnection(() => new Promise((r) => (resolve = r)), SETTINGS, pino({ level: 'silent' }));
    connection.start();
    connection.close();
    resolve(late);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(late.disconnected).toBe(true);
    expect(connection.mediaServer).toBeUndefined();
  });

  it('an IPv6 host is shown in brackets', () => {
    expect(new FreeswitchConnection(() => Promise.reject(new Error('unused')), { ...SETTINGS, host: '2001:db8::7' }, pino({ level: 'silent' })).address).toBe('[2001:db8::7]:8021');
  });
});
