import { isIP } from 'node:net';
import type { FreeswitchSettings } from '../media/freeswitchConnection.js';

/** `host`, `host:port`, `[IPv6]` or `[IPv6]:port` (a bare IPv6 address is recognised before this pattern). */
const HOST_PORT = /^(?:\[([^\]\s]+)\]|([^\s:[\]/@]+))(?::(\d+))?$/;

/**
 * The media pool from the environment: `FREESWITCH_HOSTS=host:port,...`, or the single
 * `FREESWITCH_HOST` (+ `FREESWITCH_PORT`). An entry without a port takes FREESWITCH_PORT, else 8021.
 * One `FREESWITCH_SECRET` for every server; `CALLGUARD_MEDIA_LISTEN` is where their outbound event
 * sockets reach this process. Empty when no FreeSWITCH is configured. Problems are pushed onto `problems`.
 */
export function readMediaServers(env: NodeJS.ProcessEnv, problems: string[]): FreeswitchSettings[] {
  const hostsRaw = env.FREESWITCH_HOSTS || undefined;
  const single = env.FREESWITCH_HOST || undefined;
  if (hostsRaw && single) problems.push('FREESWITCH_HOSTS and FREESWITCH_HOST are both set: give every server in FREESWITCH_HOSTS and leave FREESWITCH_HOST unset');
  const entries = hostsRaw ? hostsRaw.split(',').map((e) => e.trim()).filter(Boolean) : single ? [single] : [];
  if (hostsRaw && entries.length === 0) problems.push(`FREESWITCH_HOSTS="${hostsRaw}" names no server (host:port,...)`);
  if (entries.length === 0) return [];

  const portRaw = env.FREESWITCH_PORT || '8021';
  const defaultPort = Number(portRaw);
  if (!validPort(defaultPort)) problems.push(`FREESWITCH_PORT="${portRaw}" is not a port number (1-65535)`);
  const secret = env.FREESWITCH_SECRET ?? '';
  const variable = hostsRaw ? 'FREESWITCH_HOSTS' : 'FREESWITCH_HOST';
  if (!secret) problems.push(`FREESWITCH_SECRET is not set: the event socket password of FreeSWITCH at ${variable}`);
  const listenAddress = env.CALLGUARD_MEDIA_LISTEN || '127.0.0.1';

  const servers: FreeswitchSettings[] = [];
  const seen = new Set<string>();
  for (const entry of entries) {
    const parsed = hostAndPort(entry);
    if (!parsed) {
      problems.push(`${variable}: "${entry}" is not host, host:port or [IPv6]:port`);
      continue;
    }
    const { host } = parsed;
    const port = parsed.port === undefined ? defaultPort : Number(parsed.port);
    if (!validPort(port)) {
      // Without a port of its own it took FREESWITCH_PORT, reported above.
      if (parsed.port !== undefined) problems.push(`${variable}: "${entry}" has no valid port number (1-65535)`);
      continue;
    }
    const key = `${host.toLowerCase()}:${port}`;
    if (seen.has(key)) {
      problems.push(`${variable}: "${entry}" is named twice`);
      continue;
    }
    seen.add(key);
    servers.push({ host, port, secret, listenAddress });
  }
  return servers;
}

function hostAndPort(entry: string): { host: string; port?: string | undefined } | undefined {
  if (isIP(entry) === 6) return { host: entry };
  const m = HOST_PORT.exec(entry);
  if (!m) return undefined;
  // Brackets hold an IPv6 address and nothing else.
  if (m[1] !== undefined && isIP(m[1]) !== 6) return undefined;
  return { host: (m[1] ?? m[2])!, port: m[3] };
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port >= 1 && port <= 65535;
}
