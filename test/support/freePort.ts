import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** True when nothing holds UDP host:port (binding it briefly succeeds). */
export async function udpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => resolve(false));
    socket.bind(port, host, () => socket.close(() => resolve(true)));
  });
}

/** True when nothing listens on TCP host:port (listening on it briefly succeeds). */
export async function tcpPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, host, () => server.close(() => resolve(true)));
  });
}

const handedOut = new Set<number>();

/**
 * Where SIP and SIPp media ports are picked: below FreeSWITCH's RTP ranges (freeswitch.ts) and below the
 * kernel's ephemeral range (32768-60999), from which listen(0) in every suite and the source port of
 * every outgoing connection come. A stack's peer ports are picked when it starts and bound by SIPp
 * minutes later; picked from the ephemeral range, one was taken in between on a busy box ("Unable to
 * bind main socket, errno = 98").
 */
export const SIP_PORTS = { from: 10_000, to: 20_000 };
/** The start of Linux's default ephemeral port range (net.ipv4.ip_local_port_range). */
export const EPHEMERAL_FROM = 32_768;

/**
 * A port free for both UDP and TCP on 127.0.0.1 (a SIP port, or a SIPp media port), never one this
 * process handed out before, so two servers started in one test file cannot be given the same port.
 */
export async function freeSipPort(): Promise<number> {
  return freePortRange(1);
}

/** Like freeSipPort, but the `count` ports from it on are all free (SIPp binds its media port and neighbours). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = randomInt(SIP_PORTS.from, SIP_PORTS.to - count);
    let ok = true;
    for (let p = base; p < base + count && ok; p++) {
      ok = !handedOut.has(p) && (await udpPortFree(p)) && (await tcpPortFree(p));
    }
    if (ok) {
      for (let p = base; p < base + count; p++) handedOut.add(p);
      return base;
    }
  }
  throw new Error(`no run of ${count} free ports on 127.0.0.1 after 50 attempts`);
}
