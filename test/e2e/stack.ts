/**
 * One e2e stack per test file: drachtio-server, redis-server, `callguard serve` on a copy of the sample
 * dialplan whose routes point at SIPp peers on fixed loopback ports, and helpers to place calls with a
 * SIPp UAC and to run the peers (PBX, public trunk, emergency trunk, Security Control and its failover).
 * With `media`, FreeSWITCH (freeswitch-conf/) runs too, or several as a media pool, and callguard serve
 * is given them (FREESWITCH_*), recording into a temp directory.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createClient } from 'redis';
import {
  copyDialplan,
  freeSipPort,
  labTempDir,
  quietly,
  RedisServer,
  startCallguard,
  startDrachtio,
  startSipp,
  stopAll,
  type Callguard,
  type Drachtio,
  type LabPaths,
  type Sipp,
  type SipMessage,
  type SiteOverrides,
} from '../support/lab.js';
import { mediaPoolEnv, startFreeswitch, type Freeswitch, type MediaLabPaths } from '../support/freeswitch.js';

export type PeerName = 'pbx' | 'trunk' | 'emergency' | 'security' | 'backup';

export interface Stack {
  lab: LabPaths;
  drachtio: Drachtio;
  redis: RedisServer;
  app: Callguard;
  dialplan: { dir: string; remove(): void };
  ports: Record<PeerName, number>;
  /** The site overrides written into the copy (routes to the peers). */
  site: SiteOverrides;
  /** With `media`: FreeSWITCH, and the directory callguard records into (site.recording.directory). */
  freeswitch?: Freeswitch;
  /** With `media`: every FreeSWITCH of the pool, `freeswitch` first. */
  mediaServers?: Freeswitch[];
  recordings?: string;
}

export const SECURITY_USER = 'security';
export const BACKUP_USER = 'security-backup';

export function siteFor(ports: Record<PeerName, number>, answerTimeoutSeconds: number): SiteOverrides {
  return {
    routes: { internal: `sip:127.0.0.1:${ports.pbx}`, external: `sip:127.0.0.1:${ports.trunk}` },
    emergencyTrunk: `sip:127.0.0.1:${ports.emergency}`,
    securityControl: {
      target: `sip:${SECURITY_USER}@127.0.0.1:${ports.security}`,
      failover: [`sip:${BACKUP_USER}@127.0.0.1:${ports.backup}`],
      answerTimeoutSeconds,
    },
  };
}

export interface StackOptions {
  /** The dialplan schema's minimum is 5 s. */
  answerTimeoutSeconds?: number;
  env?: Record<string, string>;
  /** CALLGUARD_ALERT_WEBHOOK. */
  alertWebhook?: string;
  /** More of site.yaml, set over the peers' routes (e.g. `emergency: { callbackMinutes: 0.1 }`). */
  site?: SiteOverrides;
  /**
   * Start FreeSWITCH (the lab must have E2E_FREESWITCH_RUN) and serve with it, ready once connected; a
   * number starts that many as a media pool (one secret, FREESWITCH_HOSTS).
   */
  media?: boolean | number;
}

export async function startStack(lab: LabPaths, options: StackOptions = {}): Promise<Stack> {
  const ports = {
    pbx: await freeSipPort(),
    trunk: await freeSipPort(),
    emergency: await freeSipPort(),
    security: await freeSipPort(),
    backup: await freeSipPort(),
  };
  const mediaServers = options.media === true ? 1 : options.media || 0;
  const recordings = mediaServers > 0 ? labTempDir('callguard-recordings-') : undefined;
  const site = { ...siteFor(ports, options.answerTimeoutSeconds ?? 5), ...(recordings ? { recording: { directory: recordings } } : {}), ...options.site };
  const dialplan = copyDialplan(site);
  const partial: Partial<Stack> = { lab, ports, site, dialplan, ...(recordings ? { recordings } : {}) };
  try {
    if (mediaServers > 0) {
      if (!lab.freeswitchRun) throw new Error('startStack: media needs E2E_FREESWITCH_RUN (use e2eMediaLab())');
      const secret = `fs-${randomBytes(8).toString('hex')}`;
      const pool = Promise.all(Array.from({ length: mediaServers }, () => startFreeswitch(lab as MediaLabPaths, { secret })));
      [partial.redis, partial.drachtio, partial.mediaServers] = await Promise.all([RedisServer.start(), startDrachtio(lab), pool]);
      partial.freeswitch = partial.mediaServers[0];
    } else {
      partial.redis = await RedisServer.start();
      partial.drachtio = await startDrachtio(lab);
    }
    const env = { ...mediaPoolEnv(partial.mediaServers ?? []), ...options.env };
    partial.app = await startCallguard({ dialplanDir: dialplan.dir, drachtio: partial.drachtio, redisUrl: partial.redis.url, env, ...(options.alertWebhook ? { alertWebhook: options.alertWebhook } : {}) });
    await connectedToMedia(partial.app, partial.mediaServers ?? []);
    return partial as Stack;
  } catch (error) {
    await stopStack(partial);
    throw error;
  }
}

/** Resolves once `app` has connected to each FreeSWITCH: /health is 200 before the event sockets are up, and media calls need drachtio-fsmrf connected. */
export async function connectedToMedia(app: Callguard, servers: readonly Freeswitch[]): Promise<void> {
  for (const fs of servers) {
    const address = `127.0.0.1:${fs.eslPort}`;
    await app.waitForLog(`connected to FreeSWITCH at ${address}`, (e) => e.msg === 'connected to FreeSWITCH' && e.freeswitch === address, 60_000);
  }
}

/** Stops everything by PID, app first (so it does not log a lost drachtio connection), never throwing. */
export async function stopStack(stack: Partial<Stack> | undefined): Promise<void> {
  if (!stack) return;
  await quietly(() => stack.app?.stop(15_000));
  await Promise.all((stack.mediaServers ?? []).map((fs) => quietly(() => fs.stop())));
  await quietly(() => stack.drachtio?.stop());
  await quietly(() => stack.redis?.stop());
  await quietly(() => stopAll());
  await quietly(() => stack.dialplan?.remove());
}

/**
 * What a SIPp peer does with each call: answer at once, ring `ringMs` first (after `silentMs` of nothing
 * but 100 Trying), send its early media in a reliable 183 and wait for the PRACK (`100rel`), leave it
 * ringing, refuse it,
 * or answer with RFC 4028 session timers, refresh them, and end its side when a refresh fails.
 */
export type PeerScenario = 'answer' | 'no-answer' | 'reinvite' | 'early-update' | '100rel' | 'refuse-located' | 'unregistered' | { ringMs: number; silentMs?: number } | { reject: number; phrase: string } | { sessionTimerSeconds: number };

/**
 * Starts a SIPp UAS playing one of the peers, for `calls` calls (a Security alert MESSAGE counts as one);
 * with `transport` 'tcp' it listens on TCP alone.
 */
export function peer(
  stack: Pick<Stack, 'lab' | 'ports'>,
  name: PeerName,
  scenario: PeerScenario,
  calls: number,
  options: { transport?: 'udp' | 'tcp'; timeoutSeconds?: number } = {},
): Promise<Sipp> {
  const service = name === 'security' ? SECURITY_USER : name === 'backup' ? BACKUP_USER : name;
  const common = { role: 'uas' as const, port: stack.ports[name], service, calls, transport: options.transport ?? 'udp', timeoutSeconds: options.timeoutSeconds ?? 90 };
  if (typeof scenario === 'string') return startSipp(stack.lab, { ...common, scenarioFile: `uas-${scenario}.xml` });
  if ('ringMs' in scenario) return startSipp(stack.lab, { ...common, scenarioFile: 'uas-ring-answer.xml', template: { ringMs: scenario.ringMs, silentMs: scenario.silentMs ?? 0 } });
  if ('sessionTimerSeconds' in scenario) {
    const seconds = scenario.sessionTimerSeconds;
    return startSipp(stack.lab, { ...common, scenarioFile: 'uas-session-timer.xml', template: { refreshMs: (seconds * 1000) / 2 } });
  }
  return startSipp(stack.lab, { ...common, scenarioFile: 'uas-reject.xml', template: { status: scenario.reject, phrase: scenario.phrase } });
}

export interface DialOptions {
  from: string;
  to: string;
  /** 'call': expects 200, holds, hangs up. A number: expects that final status and ACKs it. */
  expect: 'call' | number;
  /** With 'call': the INVITE carries no offer (a PBX trunk set to delayed offer); the 200 must, and the ACK answers it. */
  lateOffer?: boolean;
  /** With 'call': the INVITE says Require: 100rel (RFC 3262), and the caller PRACKs the reliable 180 or 183 it expects before the answer. */
  reliable?: 180 | 183;
  /** With 'call': the INVITE carries a PIDF-LO of the device's beside the offer, and this Geolocation value (RFC 6442). */
  located?: string;
  holdMs?: number;
  calls?: number;
  rate?: number;
}

/** Places calls from a SIPp UAC to `remote` (host:port): drachtio-server's SIP port, or a proxy in front. */
export function dialTo(lab: LabPaths, remote: string, options: DialOptions, timeoutSeconds = 90): Promise<Sipp> {
  const common = { role: 'uac' as const, remote, service: options.to, keys: { from: options.from }, calls: options.calls ?? 1, rate: options.rate ?? 10, timeoutSeconds };
  const hold = options.holdMs ?? 300;
  if (options.expect === 'call' && options.reliable) return startSipp(lab, { ...common, scenarioFile: 'uac-100rel.xml', template: { hold, provisional: options.reliable } });
  if (options.expect === 'call' && options.located) return startSipp(lab, { ...common, scenarioFile: 'uac-located.xml', template: { hold, geolocation: options.located } });
  if (options.expect === 'call') return startSipp(lab, { ...common, scenarioFile: options.lateOffer ? 'uac-late-offer.xml' : 'uac-call.xml', template: { hold } });
  return startSipp(lab, { ...common, scenarioFile: 'uac-reject.xml', template: { status: options.expect } });
}

/** Places calls from a SIPp UAC into drachtio-server's SIP port. */
export function dial(stack: Stack, options: DialOptions): Promise<Sipp> {
  return dialTo(stack.lab, `127.0.0.1:${stack.drachtio.sipPort}`, options);
}

/**
 * Waits for a peer to finish its calls; if it does not within `timeoutMs` (an expected request never
 * came), stops it so its trace can still be asserted on. Returns the exit code (null when stopped).
 */
export async function finish(sipp: Sipp, timeoutMs = 30_000): Promise<number | null> {
  try {
    return await sipp.waitExit(timeoutMs);
  } catch {
    await sipp.stop();
    return null;
  }
}

/** The display name of a From/To header value, without quotes. */
export function displayNameOf(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const quoted = /^\s*"((?:[^"\\]|\\.)*)"\s*</.exec(header);
  if (quoted) return quoted[1]!.replace(/\\(.)/g, '$1');
  const bare = /^\s*([^<"]+?)\s*</.exec(header);
  return bare ? bare[1] : undefined;
}

/** Requests of `method` a SIPp instance received. */
export function requests(sipp: Sipp, method: string): SipMessage[] {
  return sipp.received((m) => m.method === method);
}

/** A loopback HTTP server recording every POST body (the alert webhook). */
export async function startWebhook(): Promise<{ url: string; posts: Array<{ path: string; contentType: string | undefined; body: string }>; close(): Promise<void> }> {
  const posts: Array<{ path: string; contentType: string | undefined; body: string }> = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      if (req.method === 'POST') posts.push({ path: req.url ?? '', contentType: req.headers['content-type'], body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/alerts`,
    posts,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** Entries of a Redis stream as field maps. */
export async function streamEntries(redisUrl: string, key: string): Promise<Array<Record<string, string>>> {
  const client = createClient({ url: redisUrl });
  client.on('error', () => {});
  await client.connect();
  try {
    const entries = await client.xRange(key, '-', '+');
    return (entries ?? []).map((e) => ({ ...(e.message as Record<string, string>) }));
  } finally {
    await client.close();
  }
}
