/**
 * `callguard serve` in-process, attached to the fake drachtio-server, for the CI-level SIP edge tests.
 *
 *   const edge = await Edge.start();                  // a temp copy of the sample dialplan
 *   const a = edge.invite('4101', '4202');            // real SIP text from the network
 *   const b = await edge.nextInvite();                // the B leg the app placed
 *   b.respond(200, { body: sip.sdp({ ip: '192.0.2.20' }) });
 *   expect((await a.finalResponse()).status).toBe(200);
 *   await edge.stop();                                // drains the server, closes the fake, removes the plan copy
 *
 * Every pino line the server writes lands in `edge.logs` (parsed). Nothing here sleeps for a fixed
 * time: waits are on events or polled conditions, with generous timeouts.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { MediaGateway } from '../../src/media/gateway.js';
import { startServer, type RunningServer } from '../../src/server/serve.js';
import type { RedisTarget } from '../../src/state/redisTarget.js';
import { FakeDrachtio, type HeaderInput, type InboundTransaction, type OutboundRequest } from './fakeDrachtio.js';
import { planCopy } from './plans.js';
import * as sip from './sipText.js';

/** The one address whose P-Asserted-Identity the server believes. */
export const TRUSTED_SOURCE = '127.0.0.2';
/** Where phones send from by default (not trusted). */
export const PHONE_SOURCE = '192.0.2.10';
/** The sample plan's routes, host:port, as they appear in B-leg Request-URIs. */
export const INTERNAL = 'pbx.herts.example.ac.uk:5060';
export const EXTERNAL = 'trunk.herts.example.ac.uk:5060';
export const EMERGENCY_TRUNK = 'sbc1.herts.example.ac.uk:5060';
/** The host callers address the app by in their Request-URIs. */
export const APP_HOST = 'callguard.herts.example.ac.uk';

const WAIT_MS = 10_000;

export interface EdgeOptions {
  /** False: a far end the app CANCELs stays silent (no 487), as a dead trunk does; answer by hand. */
  farEndAnswersCancel?: boolean;
  /** The shared Redis by URL, as most tests give it; */
  redisUrl?: string;
  /** or any target (Sentinel, TLS). */
  redis?: RedisTarget;
  alertWebhook?: string;
  /** Security Control's answer timeout in the plan copy (the schema's minimum is 5). */
  answerTimeoutSeconds?: number;
  drainSeconds?: number;
  /** The media gateway the server uses (a FreeSWITCH stand-in); none by default. */
  media?: MediaGateway;
  /** Edits the plan copy's site.yaml before the server starts (recording directory, announceRejects...). */
  site?: (siteYaml: string) => string;
  /** Edits other files of the plan copy, by path under the plan (`extensions/academic.yaml`), before the server starts. */
  edits?: Record<string, (text: string) => string>;
  /** Replaces the plan copy's limits.yaml (toll-fraud limits). */
  limits?: string;
  /** The server's clock. */
  now?: () => number;
  /** CALLGUARD_SESSION_EXPIRES (absent: no session timers). */
  sessionExpiresSeconds?: number;
}

export interface InviteOptions {
  /** P-Asserted-Identity URI (e.g. `sip:4101@pbx`). */
  pai?: string;
  /** Source address drachtio-server reports (default: an untrusted phone). */
  source?: string;
  headers?: HeaderInput;
  sdp?: string | null;
  /** The body's Content-Type when `sdp` is not plain SDP (a multipart body). */
  contentType?: string;
  /** Request-URI as written (default `sip:<to>@APP_HOST`). */
  ruri?: string;
  /** From as written (default `sip:<from>@192.0.2.10`). */
  fromUri?: string;
  autoAck?: boolean;
}

export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/** Polls `check` until it returns something other than undefined/false. */
export async function until<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = WAIT_MS): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class Edge {
  readonly logs: LogLine[] = [];
  private drained: Promise<void> | undefined;

  private constructor(
    readonly fake: FakeDrachtio,
    readonly server: RunningServer,
    readonly plan: ReturnType<typeof planCopy>,
    logs: LogLine[],
    private readonly dataDir: string | undefined,
  ) {
    this.logs = logs;
  }

  static async start(opts: EdgeOptions = {}): Promise<Edge> {
    const plan = planCopy();
    if (opts.answerTimeoutSeconds !== undefined) {
      const site = readFileSync(join(plan.dir, 'site.yaml'), 'utf8');
      plan.write('site.yaml', site.replace(/answerTimeoutSeconds: \d+/, `answerTimeoutSeconds: ${opts.answerTimeoutSeconds}`));
    }
    if (opts.site) plan.write('site.yaml', opts.site(readFileSync(join(plan.dir, 'site.yaml'), 'utf8')));
    if (opts.limits !== undefined) plan.write('limits.yaml', opts.limits);
    for (const [file, edit] of Object.entries(opts.edits ?? {})) plan.write(file, edit(readFileSync(join(plan.dir, file), 'utf8')));
    const logs: LogLine[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as LogLine) });
    const fake = await FakeDrachtio.start({ secret: 'edge-secret', timeoutMs: WAIT_MS, autoRespond487OnCancel: opts.farEndAnswersCancel ?? true });
    // Call records and the alert outbox of this server alone (an alert one test left in the outbox must
    // not reach the next), unless the test chose CALLGUARD_DATA_DIR.
    const dataDir = process.env.CALLGUARD_DATA_DIR ? undefined : mkdtempSync(join(tmpdir(), 'callguard-data-'));
    let server: RunningServer;
    try {
      server = await startServer(
        {
          drachtio: { host: '127.0.0.1', port: fake.port, secret: fake.secret },
          http: { host: '127.0.0.1', port: 0 },
          trustedSources: new Set([TRUSTED_SOURCE]),
          drainSeconds: opts.drainSeconds ?? 2,
          sessionExpiresSeconds: opts.sessionExpiresSeconds,
          logLevel: 'info',
          redis: opts.redis ?? (opts.redisUrl ? { url: opts.redisUrl } : undefined),
          alertWebhook: opts.alertWebhook,
        },
        plan.dir,
        logger,
        { media: opts.media, now: opts.now, dataDir },
      );
      await fake.waitForRoutes(['invite']);
    } catch (error) {
      await fake.close();
      plan.remove();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
      throw error;
    }
    return new Edge(fake, server, plan, logs, dataDir);
  }

  get httpUrl(): string {
    return `http://127.0.0.1:${(this.server.http.address() as AddressInfo).port}`;
  }

  async get(path: string): Promise<{ status: number; text: string }> {
    const response = await fetch(`${this.httpUrl}${path}`);
    return { status: response.status, text: await response.text() };
  }

  /** An initial INVITE from `from` (an extension or a number) dialling `to`. */
  invite(from: string, to: string, opts: InviteOptions = {}): InboundTransaction {
    const text = sip.invite({
      from: opts.fromUri ?? `sip:${from}@${PHONE_SOURCE}`,
      to: opts.ruri ?? `sip:${to}@${APP_HOST}`,
      pai: opts.pai,
      headers: opts.headers,
      sdp: opts.sdp,
      contentType: opts.contentType,
    });
    return this.fake.sendRequest(text, { source_address: opts.source ?? PHONE_SOURCE, autoAck: opts.autoAck });
  }

  nextInvite(timeoutMs = WAIT_MS): Promise<OutboundRequest> {
    return this.fake.nextOutboundRequest({ method: 'INVITE', timeoutMs });
  }

  nextRequest(method: string, timeoutMs = WAIT_MS): Promise<OutboundRequest> {
    return this.fake.nextOutboundRequest({ method, timeoutMs });
  }

  /** A → app → B answered: the caller's transaction and the B leg, both in a confirmed dialog. */
  async connect(from: string, to: string, opts: InviteOptions = {}): Promise<{ a: InboundTransaction; b: OutboundRequest }> {
    const a = this.invite(from, to, opts);
    const b = await this.nextInvite();
    b.respond(200, { body: sip.sdp({ ip: '192.0.2.20', port: 50000, sessionId: 2000 }) });
    const final = await a.finalResponse();
    if (final.status !== 200) throw new Error(`expected the call to connect, got ${final.status}`);
    await this.nextRequest('ACK');
    return { a, b };
  }

  /** The first log line (parsed pino record) matching `match`, waiting for it. */
  waitForLog(what: string, match: (line: LogLine) => boolean, timeoutMs = WAIT_MS): Promise<LogLine> {
    return until(`log line: ${what}`, () => this.logs.find(match), timeoutMs);
  }

  /** The value of a metric sample, e.g. metric('callguard_decisions_total', { action: 'reject' }). */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const { text } = await this.get('/metrics');
    let total = 0;
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!m || m[1] !== name) continue;
      const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
      if (Object.entries(labels).every(([k, v]) => have[k] === v)) total += Number(m[3]);
    }
    return total;
  }

  /** `server.drain()`, once. */
  drain(): Promise<void> {
    this.drained ??= this.server.drain();
    return this.drained;
  }

  /** Calls the app has not finished (ended or answered with a final response). */
  get callsInProgress(): Promise<number> {
    return this.metric('callguard_calls_in_progress');
  }

  async stop(): Promise<void> {
    try {
      await this.drain();
    } finally {
      await this.fake.close();
      this.plan.remove();
      if (this.dataDir) rmSync(this.dataDir, { recursive: true, force: true });
    }
  }
}

/** A B-leg's Request-URI without the `;transport=tcp` an emergency INVITE too large for UDP carries. */
export function withoutTransport(uri: string): string {
  return uri.replace(/;transport=tcp$/, '');
}

/** The parts of a multipart body: headers (lower-case names) and content. */
export function multipartParts(contentType: string, body: string): Array<{ headers: Map<string, string>; body: string }> {
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (!boundary) return [];
  const parts: Array<{ headers: Map<string, string>; body: string }> = [];
  for (const chunk of body.split(`--${boundary}`).slice(1)) {
    if (chunk.startsWith('--')) break;
    const text = chunk.replace(/^\r\n/, '');
    const split = text.indexOf('\r\n\r\n');
    const head = split < 0 ? '' : text.slice(0, split);
    const headers = new Map<string, string>();
    for (const line of head.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    parts.push({ headers, body: split < 0 ? text : text.slice(split + 4) });
  }
  return parts;
}

/** Answers every BYE the app sends from now on (far ends hang up politely), until the edge stops. */
export function answerByes(edge: Edge): void {
  const loop = async (): Promise<void> => {
    for (;;) {
      let bye: OutboundRequest;
      try {
        bye = await edge.nextRequest('BYE', 60_000);
      } catch {
        return;
      }
      bye.respond(200);
    }
  };
  void loop();
}
