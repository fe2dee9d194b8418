import { describe, expect, it } from 'vitest';
import type Mrf from 'drachtio-fsmrf';
import { tuneEndpointSocket } from '../../src/media/endpointSocket.js';

/** drachtio-modesl's connection as far as it matters here: send writes a command a line at a time. */
function fakeConnection() {
  const log: string[] = [];
  const socket = { cork: () => log.push('cork'), uncork: () => log.push('uncork'), write: (s: string) => log.push(`write ${JSON.stringify(s)}`) };
  const conn = {
    socket,
    send(command: string, args?: Record<string, string>) {
      socket.write(`${command}\n`);
      for (const [k, v] of Object.entries(args ?? {})) socket.write(`${k}: ${v}\n`);
      socket.write('\n');
    },
    sendRecv(command: string) {
      log.push(`sendRecv ${command}`);
    },
  };
  return { conn, log, endpoint: { conn } as unknown as Mrf.Endpoint };
}

describe('tuneEndpointSocket', () => {
  it('unsubscribes the events drachtio-fsmrf never reads', () => {
    const { endpoint, log } = fakeConnection();
    tuneEndpointSocket(endpoint);
    expect(log).toEqual(['sendRecv nixevent CHANNEL_EXECUTE PLAYBACK_START PLAYBACK_STOP']);
  });

  it("writes each command's lines while the socket is corked, so they leave in one piece", () => {
    const { conn, endpoint, log } = fakeConnection();
    tuneEndpointSocket(endpoint);
    log.length = 0;
    conn.send('sendmsg abc', { 'call-command': 'execute', 'execute-app-name': 'playback' });
    expect(log).toEqual(['cork', 'write "sendmsg abc\\n"', 'write "call-command: execute\\n"', 'write "execute-app-name: playback\\n"', 'write "\\n"', 'uncork']);
  });

  it('leaves an endpoint without an event socket (gone, or a stand-in) alone', () => {
    expect(() => tuneEndpointSocket({ conn: null } as unknown as Mrf.Endpoint)).not.toThrow();
    expect(() => tuneEndpointSocket({} as unknown as Mrf.Endpoint)).not.toThrow();
  });
});
