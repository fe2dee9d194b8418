/**
 * The event-socket probe run before drachtio-fsmrf connects, against a loopback TCP server speaking
 * FreeSWITCH's event-socket framing as FreeSWITCH 1.10 does (auth/request, command/reply, api/response
 * with Content-Length, rude-rejection). The real FreeSWITCH is the e2e tests' (test/e2e/mediaPool.test.ts).
 */
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeEventSocket } from '../../src/media/eslProbe.js';
import { freePort } from '../support/freePort.js';

const RUNNING = [
  '                     Name\t   Type\t                                      Data\tState',
  '=================================================================================================',
  '             drachtio_mrf\tprofile\t             sip:mod_sofia@127.0.0.1:5080\tRUNNING (0)',
  '=================================================================================================',
  '1 profile 0 aliases',
  '',
].join('\n');
const NO_PROFILE = ['Name\tType\tData\tState', '=====', '0 profiles 0 aliases', ''].join('\n');

const message = (headers: Record<string, string>, body = '') =>
  Object.entries({ ...headers, ...(body ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}) }).map(([k, v]) => `${k}: ${v}\n`).join('') + '\n' + body;

interface FakeEsl {
  port: number;
  /** Commands the probe sent, in order. */
  commands: string[];
  close(): Promise<void>;
}

/** A fake event socket: `secret` accepted, `sofia` the `sofia status` listing; `greet` replaces the auth request. */
async function fakeEsl(opts: { secret?: string; sofia?: string; greet?: string; split?: boolean } = {}): Promise<FakeEsl> {
  const commands: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    // Byte by byte when asked: the probe must reassemble messages cut anywhere.
    const send = (text: string) => {
      if (!opts.split) return void socket.write(text);
      for (const ch of text) socket.write(ch);
    };
    send(opts.greet ?? message({ 'Content-Type': 'auth/request' }));
    let pending = '';
    socket.on('data', (chunk) => {
      pending += chunk.toString();
      for (let end = pending.indexOf('\n\n'); end >= 0; end = pending.indexOf('\n\n')) {
        const command = pending.slice(0, end);
        pending = pending.slice(end + 2);
        commands.push(command.startsWith('auth ') ? 'auth ***' : command);
        if (command.startsWith('auth ')) {
          const ok = command === `auth ${opts.secret ?? 'right'}`;
          send(message({ 'Content-Type': 'command/reply', 'Reply-Text': ok ? '+OK accepted' : '-ERR invalid' }));
          if (!ok) send(message({ 'Content-Type': 'text/disconnect-notice' }, 'Disconnected, goodbye.\n'));
        } else if (command === 'api sofia status') {
          send(message({ 'Content-Type': 'api/response' }, opts.sofia ?? RUNNING));
        } else if (command === 'exit') {
          send(message({ 'Content-Type': 'command/reply', 'Reply-Text': '+OK bye' }));
          socket.end();
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    commands,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

describe('probeEventSocket', () => {
  let esl: FakeEsl | undefined;

  afterEach(async () => {
    await esl?.close();
    esl = undefined;
  });

  it('FreeSWITCH ready: authenticates, finds the drachtio_mrf profile running, says exit', async () => {
    esl = await fakeEsl();
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'right' })).resolves.toBeUndefined();
    const { commands } = esl;
    await vi.waitFor(() => expect(commands).toEqual(['auth ***', 'api sofia status', 'exit']));
  });

  it('messages cut into single bytes are put back together', async () => {
    esl = await fakeEsl({ split: true });
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'right' })).resolves.toBeUndefined();
  });

  it('a wrong password is said as such', async () => {
    esl = await fakeEsl();
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'wrong' })).rejects.toThrow('FreeSWITCH refused the event-socket password (FREESWITCH_SECRET)');
  });

  it('FreeSWITCH still starting (no drachtio_mrf profile yet): refused, so drachtio-fsmrf never reads that listing', async () => {
    esl = await fakeEsl({ sofia: NO_PROFILE });
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'right' })).rejects.toThrow('FreeSWITCH has no drachtio_mrf SIP profile running (yet)');
  });

  it('the profile there but not running is not ready either', async () => {
    esl = await fakeEsl({ sofia: RUNNING.replace('RUNNING (0)', 'DOWN') });
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'right' })).rejects.toThrow('no drachtio_mrf SIP profile running');
  });

  it("refused by FreeSWITCH's event-socket ACL", async () => {
    esl = await fakeEsl({ greet: message({ 'Content-Type': 'text/rude-rejection' }, 'Access Denied, go away.\n') });
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'right' })).rejects.toThrow('its event-socket ACL');
  });

  it('nothing listening: the connection error', async () => {
    const port = await freePort();
    await expect(probeEventSocket({ host: '127.0.0.1', port, secret: 'right' })).rejects.toThrow(/ECONNREFUSED/);
  });

  it('a server that never speaks: a timeout', async () => {
    esl = await fakeEsl({ greet: '' });
    await expect(probeEventSocket({ host: '127.0.0.1', port: esl.port, secret: 'right' }, 'drachtio_mrf', 300)).rejects.toThrow('no answer on the event socket within 0.3 s');
  });
});
