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
 * A port free for both UDP and TCP on 127.0.0.1 (a SIP port, or a SIPp media port), never one this
 * process handed out before, so two servers started in one test file cannot be given the same port.
 */
export async function freeSipPort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await freePort();
    if (handedOut.has(port)) continue;
    if ((await udpPortFree(port)) && (await tcpPortFree(port))) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error('no port free for both UDP and TCP on 127.0.0.1 after 50 attempts');
}

/** Like freeSipPort, but port+1 and port+2 are free too (SIPp binds its media port and neighbours). */
export async function freePortRange(count: number): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = await freePort();
    if (base + count > 65535) continue;
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
