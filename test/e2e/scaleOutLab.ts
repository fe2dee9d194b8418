/**
 * The scale-out lab (issue 20): Kamailio running deploy/kamailio/kamailio.cfg in front of N
 * drachtio-server + `callguard serve` pairs that share Redis through Sentinel (a master, a replica and
 * three sentinels) and a media pool of FreeSWITCH servers, on a copy of the sample dialplan routed to
 * SIPp peers every pair shares (PBX, public trunk, emergency trunk, Security Control), and SIPp callers
 * that dial through Kamailio. One Security officer's console token is valid on every pair (one tokens
 * file, as an operator would deploy it).
 *
 * Everything runs on free loopback ports and is stopped by PID.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addToken } from '../../src/admin/tokens.js';
import type { FeedItem } from '../../src/http/alertFeed.js';
import { randomBytes } from 'node:crypto';
import { mediaPoolEnv, startFreeswitch, type Freeswitch, type MediaLabPaths } from '../support/freeswitch.js';
import { startKamailio, type Kamailio } from '../support/kamailio.js';
import { copyDialplan, freeSipPort, labTempDir, quietly, startCallguard, startDrachtio, startSipp, stopAll, type Callguard, type Drachtio, type Sipp } from '../support/lab.js';
import { SentinelGroup } from '../support/redisSentinel.js';
import { connectedToMedia, dialTo, peer as stackPeer, siteFor, type DialOptions, type PeerName, type PeerScenario } from './stack.js';

/** One drachtio-server with its own `callguard serve`: what Kamailio dispatches to. */
export interface Pair {
  /** 'A', 'B', ... in dispatcher-list order. */
  name: string;
  drachtio: Drachtio;
  app: Callguard;
}

export interface ScaleOut {
  lab: MediaLabPaths;
  /** Every pair finds the master through the sentinels (REDIS_SENTINELS). */
  redis: SentinelGroup;
  /** The media pool every pair shares (FREESWITCH_HOSTS). */
  mediaServers: Freeswitch[];
  /** Where every FreeSWITCH writes recordings (site.recording.directory). */
  recordings: string;
  pairs: Pair[];
  kamailio: Kamailio;
  ports: Record<PeerName, number>;
  dialplan: { dir: string; remove(): void };
  /** A Security Control officer's bearer token for every pair's console API. */
  officerToken: string;
}

export interface ScaleOutOptions {
  /** drachtio-server + callguard pairs behind Kamailio (default 2). */
  pairs?: number;
  /** Files written into the dialplan copy (name relative to the dialplan dir => content). */
  planFiles?: Record<string, string>;
  /** Runs once Redis is up and before any callguard starts (state every pair then loads at start); given the master's URL. */
  prepareState?: (redisUrl: string, dialplanDir: string) => Promise<void>;
  /** FreeSWITCH servers in the media pool (default 2). */
  mediaServers?: number;
  /** More environment for every pair's callguard. */
  env?: Record<string, string>;
  /** Seconds between Kamailio's OPTIONS probes (default 1: a lab wants failover seen quickly). */
  probeIntervalSeconds?: number;
}

export const OFFICER = 'sam.patel';

export async function startScaleOut(lab: MediaLabPaths, kamailioBin: string, options: ScaleOutOptions = {}): Promise<ScaleOut> {
  const ports = { pbx: await freeSipPort(), trunk: await freeSipPort(), emergency: await freeSipPort(), security: await freeSipPort(), backup: await freeSipPort() };
  const recordings = labTempDir('callguard-recordings-');
  const dialplan = copyDialplan({ ...siteFor(ports, 5), recording: { directory: recordings } });
  for (const [name, content] of Object.entries(options.planFiles ?? {})) writeFileSync(join(dialplan.dir, name), content);
  const tokens = join(labTempDir('callguard-tokens-'), 'tokens.json');
  const officerToken = await addToken(tokens, OFFICER, 'security', { N: 2 ** 10, r: 8, p: 1 });
  const partial: Partial<ScaleOut> = { lab, ports, dialplan, recordings, officerToken, pairs: [], mediaServers: [] };
  try {
    const secret = `fs-${randomBytes(8).toString('hex')}`;
    const pool = Promise.all(Array.from({ length: options.mediaServers ?? 2 }, () => startFreeswitch(lab, { secret })));
    [partial.redis, partial.mediaServers] = await Promise.all([SentinelGroup.start(), pool]);
    await options.prepareState?.(partial.redis.master.url, dialplan.dir);
    const env = { CALLGUARD_TOKENS: tokens, ...partial.redis.env, ...mediaPoolEnv(partial.mediaServers), ...options.env };
    const names = Array.from({ length: options.pairs ?? 2 }, (_, i) => String.fromCharCode(65 + i));
    partial.pairs = await Promise.all(
      names.map(async (name) => {
        const drachtio = await startDrachtio(lab);
        const app = await startCallguard({ dialplanDir: dialplan.dir, drachtio, env });
        await connectedToMedia(app, partial.mediaServers!);
        return { name, drachtio, app };
      }),
    );
    partial.kamailio = await startKamailio(kamailioBin, { pairs: partial.pairs.map((p) => p.drachtio.sipPort), probeIntervalSeconds: options.probeIntervalSeconds ?? 1 });
    return partial as ScaleOut;
  } catch (error) {
    await stopScaleOut(partial);
    throw error;
  }
}

/** Stops everything by PID, apps first (so they do not log lost drachtio connections), never throwing. */
export async function stopScaleOut(lab: Partial<ScaleOut> | undefined): Promise<void> {
  if (!lab) return;
  await Promise.all((lab.pairs ?? []).map((p) => quietly(() => p.app.stop(15_000))));
  await quietly(() => lab.kamailio?.stop());
  await Promise.all((lab.pairs ?? []).map((p) => quietly(() => p.drachtio.stop())));
  await Promise.all((lab.mediaServers ?? []).map((fs) => quietly(() => fs.stop())));
  await quietly(() => lab.redis?.stop());
  await quietly(() => stopAll());
  await quietly(() => lab.dialplan?.remove());
}

/**
 * A peer every pair routes to, taking up to `calls` calls: it answers at once (a Security alert MESSAGE
 * counts as a call), rings `ringMs` before answering, or refuses.
 */
export function peer(lab: ScaleOut, name: PeerName, scenario: PeerScenario, calls = 1_000): Promise<Sipp> {
  return stackPeer(lab, name, scenario, calls, { timeoutSeconds: 300 });
}

/** Places calls from a SIPp caller into Kamailio, as a PBX in front of it would. */
export function callThroughFront(lab: ScaleOut, options: DialOptions): Promise<Sipp> {
  return dialTo(lab.lab, `127.0.0.1:${lab.kamailio.sipPort}`, options, 120);
}

/**
 * A SIPp caller through Kamailio that plays `pcap` (RTP, RFC 2833 digits) from the first 183 on: answered,
 * it holds `holdMs` and hangs up; else it expects `status`.
 */
export function earlyCallThroughFront(lab: ScaleOut, options: { from: string; to: string; pcap: string; status?: number; holdMs?: number; calls?: number; rate?: number }): Promise<Sipp> {
  return startSipp(lab.lab, {
    role: 'uac',
    scenarioFile: 'uac-early-media.xml',
    template: { pcap: options.pcap, status: options.status ?? 403, hold: options.holdMs ?? 2_000 },
    remote: `127.0.0.1:${lab.kamailio.sipPort}`,
    service: options.to,
    keys: { from: options.from },
    calls: options.calls ?? 1,
    rate: options.rate ?? 10,
    timeoutSeconds: 240,
  });
}

/** One pair's view of the media pool (/health): each server's address, whether connected, and its calls in progress. */
export async function mediaServersOf(pair: Pair): Promise<Array<{ address: string; connected: boolean; calls: number }>> {
  const health = (await (await fetch(`http://127.0.0.1:${pair.app.httpPort}/health`, { signal: AbortSignal.timeout(5_000) })).json()) as { media: { servers: Array<{ address: string; connected: boolean; calls: number }> } };
  return health.media.servers;
}

/** How many INVITEs a pair's callguard has decided (callguard_decisions_total on its /metrics, every label). */
export async function decisionsOf(pair: Pair): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${pair.app.httpPort}/metrics`, { signal: AbortSignal.timeout(5_000) })).text();
  return [...text.matchAll(/^callguard_decisions_total\{[^}]*\} (\d+)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
}

/** The decision log entries ('decision', 'emergency call') a pair wrote for a call. */
export function decisionsFor(pair: Pair, callId: string): Array<Record<string, unknown>> {
  return pair.app.logs().filter((e) => (e.msg === 'decision' || e.msg === 'emergency call') && e.callId === callId);
}

/** The Security console's feed on one pair, newest first. */
export async function consoleFeed(lab: ScaleOut, pair: Pair): Promise<FeedItem[]> {
  const res = await fetch(`http://127.0.0.1:${pair.app.httpPort}/api/alerts`, { headers: { authorization: `Bearer ${lab.officerToken}` }, signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`GET /api/alerts on pair ${pair.name}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { alerts: FeedItem[] }).alerts;
}

/** The officer acknowledges an alert on one pair's console. */
export async function acknowledge(lab: ScaleOut, pair: Pair, id: string): Promise<FeedItem> {
  const res = await fetch(`http://127.0.0.1:${pair.app.httpPort}/api/alerts/${encodeURIComponent(id)}/ack`, { method: 'POST', headers: { authorization: `Bearer ${lab.officerToken}` }, signal: AbortSignal.timeout(5_000) });
  if (res.status !== 200) throw new Error(`POST ack on pair ${pair.name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as FeedItem;
}
