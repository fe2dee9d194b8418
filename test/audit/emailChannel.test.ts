/**
 * Alert e-mail through a real SMTP server (smtp-server on a free loopback port): what a recipient reads,
 * the bounded retries while the server is down, the outbox delivering it late once the server is back,
 * a refused address, and no e-mail at all while the plan lists no address.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertDispatcher } from '../../src/audit/alertDispatcher.js';
import { AlertOutbox } from '../../src/audit/alertOutbox.js';
import { emailChannel } from '../../src/audit/emailChannel.js';
import type { SecurityAlert } from '../../src/audit/securityAlert.js';
import { until } from '../support/edgeFixture.js';
import { freePort } from '../support/freePort.js';
import { SMTP_PASSWORD, SMTP_USER, startSmtp, type TestSmtp } from '../support/smtpServer.js';

const ALERT: SecurityAlert = { kind: 'emergency', ext: '4101', name: 'Dr Alice Moreno', dialled: '999', callback: '+441707284101', location: 'Lindop Building, room 2F410', at: '2026-11-23T20:00:00.000Z', callId: 'c1' };
const CONSOLE = 'https://callguard.herts.example.ac.uk/console';
const TO = ['security@herts.example.ac.uk', 'duty.manager@herts.example.ac.uk'];

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const undo of cleanup.splice(0).reverse()) await undo();
});

function counting() {
  const counts: string[] = [];
  return { counts, outcomes: { sent: (c: string) => counts.push(`${c} sent`), failed: (c: string) => counts.push(`${c} failed`) } };
}

function channelTo(url: string, recipients: () => readonly string[], logs: string[] = []) {
  const channel = emailChannel({ smtpUrl: url, from: 'callguard <callguard@herts.example.ac.uk>', consoleUrl: CONSOLE }, recipients, pino({ level: 'info' }, { write: (l: string) => void logs.push(l) }));
  cleanup.push(() => channel.close());
  return channel;
}

async function smtp(port?: number): Promise<TestSmtp> {
  const server = await startSmtp(port);
  cleanup.push(() => server.close());
  return server;
}

/** A port where a server takes each connection and drops it at once: an SMTP server that is down. Counts the connections. */
async function droppingServer(): Promise<{ port: number; connections: () => number; close(): Promise<void> }> {
  let connections = 0;
  const server: Server = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, connections: () => connections, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('alert e-mail', () => {
  it('one e-mail per alert to every address: what happened, who, where, the callback number and a link to the console', async () => {
    const server = await smtp();
    const { counts, outcomes } = counting();
    const dispatcher = new AlertDispatcher([channelTo(server.url, () => TO)], pino({ level: 'silent' }), outcomes);
    await dispatcher.sendAndSettle(ALERT);
    await dispatcher.sendAndSettle({ ...ALERT, callOutAck: { by: '4190', at: '2026-11-23T20:00:41.000Z' } });
    expect(counts).toEqual(['email sent', 'email sent']);
    expect(server.mails).toHaveLength(2);
    const [first, ack] = server.mails;
    expect(first!.user).toBe(SMTP_USER);
    expect(first!.from).toBe('callguard@herts.example.ac.uk');
    expect(first!.to).toEqual(TO);
    expect(first!.subject).toBe('EMERGENCY 999: ext 4101 (Dr Alice Moreno), Lindop Building, room 2F410');
    expect(first!.headers['x-priority']).toMatch(/^1/);
    expect(first!.text).toContain('location: Lindop Building, room 2F410');
    expect(first!.text).toContain('callback: +441707284101');
    expect(first!.text).toContain(`Security Control console: ${CONSOLE}`);
    expect(ack!.subject).toBe('EMERGENCY 999: ext 4101 (Dr Alice Moreno), Lindop Building, room 2F410 - acknowledged by 4190');
    expect(ack!.text).toContain('call-out: acknowledged by 4190 at 2026-11-23T20:00:41.000Z');
  });

  it('SMTP down: three attempts, counted failed, kept in the outbox and e-mailed marked late once the server is back', async () => {
    const down = await droppingServer();
    const dir = mkdtempSync(join(tmpdir(), 'callguard-email-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const channel = channelTo(`smtp://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${down.port}`, () => TO);
    const late: string[] = [];
    const outbox = await AlertOutbox.open({ dir, channels: [channel], logger: pino({ level: 'silent' }), outcomes: { count: (c, o) => late.push(`${c} ${o}`), size: () => {} }, probe: { firstMs: 200, maxMs: 400 } });
    cleanup.push(() => outbox.close());
    const { counts, outcomes } = counting();
    const dispatcher = new AlertDispatcher([channel], pino({ level: 'silent' }), outcomes, outbox);
    await dispatcher.sendAndSettle(ALERT);
    expect(counts).toEqual(['email failed']);
    expect(down.connections()).toBe(3);
    expect(outbox.waiting('email')).toEqual([ALERT]);

    // The server comes back on the same port.
    await down.close();
    const back = await smtp(down.port);
    await until('the late e-mail', () => back.mails[0]);
    expect(back.mails[0]!.subject).toBe('[late] EMERGENCY 999: ext 4101 (Dr Alice Moreno), Lindop Building, room 2F410');
    expect(back.mails[0]!.text).toMatch(/late: delivered \S+; the alert could not be sent when it was raised/);
    await until('the outbox to empty', () => outbox.waiting('email').length === 0);
    expect(late).toEqual(['email late']);
  });

  it('an address the server refuses is logged; the others get the e-mail and it is not sent again', async () => {
    const server = await smtp();
    server.refuse.add(TO[1]!);
    const logs: string[] = [];
    const { counts, outcomes } = counting();
    const dispatcher = new AlertDispatcher([channelTo(server.url, () => TO, logs)], pino({ level: 'silent' }), outcomes);
    await dispatcher.sendAndSettle(ALERT);
    expect(counts).toEqual(['email sent']);
    expect(server.mails.map((m) => m.to)).toEqual([[TO[0]]]);
    expect(logs.map((l) => JSON.parse(l) as { msg: string; refused?: string[] }).find((l) => l.msg.includes('refused'))?.refused).toEqual([TO[1]]);
  });

  it('no address in the plan: the channel takes no alert and counts nothing', async () => {
    const port = await freePort();
    const { counts, outcomes } = counting();
    const dispatcher = new AlertDispatcher([channelTo(`smtp://127.0.0.1:${port}`, () => [])], pino({ level: 'silent' }), outcomes);
    await dispatcher.sendAndSettle(ALERT);
    expect(counts).toEqual([]);
  });
});
