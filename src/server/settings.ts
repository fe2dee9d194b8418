import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { EmailSettings } from '../audit/emailChannel.js';
import { redisTargetFromEnv, type RedisTarget } from '../state/redisTarget.js';
import type { FreeswitchSettings } from '../media/freeswitchConnection.js';
import { readMediaServers } from './mediaServerSettings.js';

/** `callguard serve`'s settings, all from the environment (secrets never on the command line). */
export interface ServeSettings {
  drachtio: { host: string; port: number; secret: string };
  /** The shared Redis: REDIS_URL, or REDIS_SENTINELS and REDIS_SENTINEL_NAME; absent: state embedded in this process. */
  redis?: RedisTarget | undefined;
  /** Each FreeSWITCH's event socket, and where its outbound socket reaches us; none: no media server. */
  freeswitch?: readonly FreeswitchSettings[] | undefined;
  http: { host: string; port: number };
  trustedSources: ReadonlySet<string>;
  alertWebhook?: string | undefined;
  /** Alert e-mail (SMTP_URL, SMTP_FROM) to site.security.email; absent without SMTP_URL. */
  email?: EmailSettings | undefined;
  /** Where the call-out's spoken messages are rendered, a directory FreeSWITCH reads by the same path (CALLGUARD_CALLOUT_AUDIO_DIR); absent: `<data dir>/call-out`. */
  callOutAudioDir?: string | undefined;
  /** The admin API and console: the token file and the audit log; absent, only /health and /metrics answer. */
  admin?: { tokensFile: string; auditLog: string } | undefined;
  drainSeconds: number;
  /** RFC 4028 Session-Expires offered on every call's legs (CALLGUARD_SESSION_EXPIRES); 0 or absent: no session timers. */
  sessionExpiresSeconds?: number | undefined;
  logLevel: string;
}

export type SettingsResult = { ok: true; settings: ServeSettings } | { ok: false; problems: string[] };

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and checks every setting, reporting each missing or bad value on a line of its own. */
export function readSettings(env: NodeJS.ProcessEnv): SettingsResult {
  const problems: string[] = [];
  const port = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < 1 || value > 65535) problems.push(`${name}="${raw}" is not a port number (1-65535)`);
    return value;
  };
  const secret = env.DRACHTIO_SECRET ?? '';
  if (!secret) problems.push('DRACHTIO_SECRET is not set: the shared secret of drachtio-server\'s control port');
  const drainRaw = env.CALLGUARD_DRAIN_SECONDS ?? '30';
  const drainSeconds = Number(drainRaw);
  if (!Number.isFinite(drainSeconds) || drainSeconds < 0 || drainSeconds > 3600) problems.push(`CALLGUARD_DRAIN_SECONDS="${drainRaw}" is not a number of seconds (0-3600)`);
  const sessionRaw = env.CALLGUARD_SESSION_EXPIRES ?? '1800';
  const sessionExpiresSeconds = Number(sessionRaw);
  if (!Number.isInteger(sessionExpiresSeconds) || (sessionExpiresSeconds !== 0 && (sessionExpiresSeconds < 90 || sessionExpiresSeconds > 86400))) {
    problems.push(`CALLGUARD_SESSION_EXPIRES="${sessionRaw}" is not 0 (off) or a number of seconds (90-86400)`);
  }
  const trusted = (env.CALLGUARD_TRUSTED_SOURCES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const address of trusted) if (!isIP(address)) problems.push(`CALLGUARD_TRUSTED_SOURCES: "${address}" is not an IP address`);
  const webhook = env.CALLGUARD_ALERT_WEBHOOK || undefined;
  if (webhook && !/^https?:\/\/[^\s]+$/.test(webhook)) problems.push('CALLGUARD_ALERT_WEBHOOK is not an http(s) URL');
  const http = { host: env.CALLGUARD_HTTP_HOST || '127.0.0.1', port: port('CALLGUARD_HTTP_PORT', 8080) };
  const email = readEmail(env, http, problems);
  const redis = redisTargetFromEnv(env);
  problems.push(...redis.problems);
  const mediaServers = readMediaServers(env, problems);
  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL="${logLevel}" is not one of ${LOG_LEVELS.join(', ')}`);
  const dataDir = env.CALLGUARD_DATA_DIR || 'data';
  const settings: ServeSettings = {
    drachtio: { host: env.DRACHTIO_HOST || '127.0.0.1', port: port('DRACHTIO_PORT', 9022), secret },
    redis: redis.target,
    freeswitch: mediaServers,
    http,
    trustedSources: new Set(trusted),
    alertWebhook: webhook,
    email,
    callOutAudioDir: env.CALLGUARD_CALLOUT_AUDIO_DIR || undefined,
    admin: { tokensFile: env.CALLGUARD_TOKENS || `${dataDir}/tokens.json`, auditLog: env.CALLGUARD_AUDIT_LOG || `${dataDir}/audit.jsonl` },
    drainSeconds,
    sessionExpiresSeconds,
    logLevel,
  };
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings };
}

/**
 * SMTP_URL (smtp:// or smtps://, user and password in the URL), SMTP_FROM, and the console's address
 * for the link in each e-mail: CALLGUARD_CONSOLE_URL, else this instance's own HTTP address (its host
 * name when it listens on every interface). Neither URL is ever logged: the SMTP one holds a password.
 */
function readEmail(env: NodeJS.ProcessEnv, http: { host: string; port: number }, problems: string[]): EmailSettings | undefined {
  const consoleUrl = env.CALLGUARD_CONSOLE_URL || `http://${['0.0.0.0', '::'].includes(http.host) ? hostname() : http.host.includes(':') ? `[${http.host}]` : http.host}:${http.port}/console`;
  if (env.CALLGUARD_CONSOLE_URL && !/^https?:\/\/\S+$/.test(env.CALLGUARD_CONSOLE_URL)) problems.push('CALLGUARD_CONSOLE_URL is not an http(s) URL');
  const smtpUrl = env.SMTP_URL || undefined;
  if (!smtpUrl) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(smtpUrl);
  } catch {
    url = undefined;
  }
  if (!url || !['smtp:', 'smtps:'].includes(url.protocol) || !url.hostname) {
    problems.push('SMTP_URL is not an smtp:// or smtps:// URL (smtp://user:password@host:port)');
    return undefined;
  }
  return { smtpUrl, from: env.SMTP_FROM || `callguard <callguard@${hostname()}>`, consoleUrl };
}
