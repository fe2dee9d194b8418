import { readFileSync } from 'node:fs';

/** Where the shared Redis is: one server by URL, or a master group found through Redis Sentinel. */
export type RedisTarget = RedisAtUrl | RedisBySentinel;

export interface RedisAtUrl {
  /** redis:// or rediss:// (TLS); an ACL user and password go in it (rediss://user:password@host:port). */
  url: string;
  /** PEM certificates trusted for rediss:// instead of the system's (REDIS_TLS_CA: a private CA). */
  tlsCa?: string | undefined;
}

export interface RedisNode {
  host: string;
  port: number;
}

export interface RedisBySentinel {
  /** Some of the sentinels; the others are learnt from them. */
  sentinels: RedisNode[];
  /** The master group the sentinels monitor (`sentinel monitor <name> ...`). */
  masterName: string;
  /** An ACL user of the master and replicas (default: the default user). */
  username?: string | undefined;
  /** The master's and replicas' password. */
  password?: string | undefined;
  /** The sentinels' own password (their `requirepass`), when they have one. */
  sentinelPassword?: string | undefined;
}

export function isSentinelTarget(target: RedisTarget): target is RedisBySentinel {
  return 'sentinels' in target;
}

/** Names the Redis for logs and errors; never a password. */
export function describeRedisTarget(target: RedisTarget): string {
  if (!isSentinelTarget(target)) return `Redis at ${new URL(target.url).host}`;
  return `Redis master "${target.masterName}" through Sentinel (${target.sentinels.map(nodeText).join(', ')})`;
}

function nodeText({ host, port }: RedisNode): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** A sentinel's host:port ([v6]:port for IPv6), read by the URL parser; undefined when it is not one. */
function parseNode(entry: string): RedisNode | undefined {
  let url: URL;
  try {
    url = new URL(`redis://${entry}`);
  } catch {
    return undefined;
  }
  const port = Number(url.port);
  if (!url.hostname || url.port === '' || port < 1 || url.pathname !== '' || url.username || url.password || url.search || url.hash) return undefined;
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port };
}

function redisUrlProblem(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    if ((parsed.protocol === 'redis:' || parsed.protocol === 'rediss:') && parsed.hostname) return undefined;
  } catch {
    // reported below
  }
  return 'REDIS_URL is not a redis:// or rediss:// URL';
}

/**
 * The Redis of REDIS_URL (with REDIS_TLS_CA), or of REDIS_SENTINELS and REDIS_SENTINEL_NAME (with
 * REDIS_USERNAME, REDIS_PASSWORD and REDIS_SENTINEL_PASSWORD); neither: none. Every problem is a line.
 */
export function redisTargetFromEnv(env: NodeJS.ProcessEnv): { target?: RedisTarget; problems: string[] } {
  const problems: string[] = [];
  const url = env.REDIS_URL || undefined;
  const sentinelList = env.REDIS_SENTINELS || undefined;
  const masterName = env.REDIS_SENTINEL_NAME || undefined;
  const { REDIS_USERNAME: username, REDIS_PASSWORD: password, REDIS_SENTINEL_PASSWORD: sentinelPassword, REDIS_TLS_CA: caFile } = env;

  if (url && sentinelList) problems.push('REDIS_URL and REDIS_SENTINELS are both set: give one, a single Redis by URL or a master group through Sentinel');
  if (masterName && !sentinelList) problems.push('REDIS_SENTINEL_NAME is set without REDIS_SENTINELS (host:port,host:port,... of the sentinels)');
  if (!sentinelList) {
    for (const [name, value] of Object.entries({ REDIS_USERNAME: username, REDIS_PASSWORD: password, REDIS_SENTINEL_PASSWORD: sentinelPassword })) {
      if (value) problems.push(`${name} is for Sentinel (REDIS_SENTINELS); with REDIS_URL the user and password go in the URL: rediss://user:password@host:port`);
    }
  }
  if (caFile && !url?.startsWith('rediss://')) problems.push('REDIS_TLS_CA is set but REDIS_URL is not a rediss:// URL (TLS)');

  if (sentinelList) {
    const entries = sentinelList.split(',').map((s) => s.trim());
    const sentinels = entries.map(parseNode);
    entries.forEach((entry, i) => {
      if (!sentinels[i]) problems.push(`REDIS_SENTINELS: "${entry}" is not host:port`);
    });
    if (!masterName) problems.push('REDIS_SENTINEL_NAME is not set: the master group name the sentinels monitor (sentinel monitor <name> ...)');
    if (username && !password) problems.push('REDIS_USERNAME is set without REDIS_PASSWORD');
    if (problems.length > 0 || !masterName) return { problems };
    return { target: { sentinels: sentinels as RedisNode[], masterName, username: username || undefined, password: password || undefined, sentinelPassword: sentinelPassword || undefined }, problems };
  }
  if (!url) return { problems };
  const urlProblem = redisUrlProblem(url);
  if (urlProblem) problems.push(urlProblem);
  let tlsCa: string | undefined;
  if (caFile && url.startsWith('rediss://')) {
    try {
      tlsCa = readFileSync(caFile, 'utf8');
    } catch (error) {
      problems.push(`REDIS_TLS_CA="${caFile}" cannot be read: ${(error as Error).message}`);
    }
  }
  return problems.length > 0 ? { problems } : { target: { url, tlsCa }, problems };
}
