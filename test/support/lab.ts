/**
 * End-to-end lab: real drachtio-server, SIPp peers, redis-server and the real `callguard serve`, each
 * on free 127.0.0.1 ports, each stopped by its PID (SIGTERM, then SIGKILL after a grace period).
 *
 * The servers come from ../shared/lab (never copied into the repo); tests find them through
 * E2E_DRACHTIO_BIN, E2E_DRACHTIO_CONF, E2E_SIPP_BIN (and E2E_FREESWITCH_RUN for media tests), which
 * .ci/run sets. Without them the e2e suites skip with one line saying why.
 *
 * Timeouts are generous (a busy 2-core CI box); nothing here asserts on timing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { parseDocument } from 'yaml';
import { freePort, freePortRange, freeSipPort, tcpPortFree, udpPortFree } from './freePort.js';

export { freePort, freeSipPort } from './freePort.js';
export { RedisServer } from './redisServer.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const SCENARIO_DIR = join(REPO_ROOT, 'test/e2e/scenarios');

// ---------------------------------------------------------------------------------------------
// Lab paths and skipping

export interface LabPaths {
  drachtioBin: string;
  drachtioConf: string;
  sippBin: string;
  /** FreeSWITCH run wrapper; only media tests need it. */
  freeswitchRun?: string | undefined;
}

export type LabPathsResult = { ok: true; paths: LabPaths } | { ok: false; skip: string };

/** The lab binaries from the environment, or a one-line reason to skip the e2e suites. */
export function labPaths(env: NodeJS.ProcessEnv = process.env): LabPathsResult {
  const wanted = { E2E_DRACHTIO_BIN: env.E2E_DRACHTIO_BIN, E2E_DRACHTIO_CONF: env.E2E_DRACHTIO_CONF, E2E_SIPP_BIN: env.E2E_SIPP_BIN };
  const unset = Object.entries(wanted).filter(([, v]) => !v).map(([k]) => k);
  const hint = '(see ../shared/lab/README.md; .ci/run sets them)';
  if (unset.length > 0) return { ok: false, skip: `e2e skipped: ${unset.join(', ')} unset ${hint}` };
  const missing = Object.entries(wanted).filter(([, v]) => !existsSync(v!)).map(([k, v]) => `${k}=${v}`);
  if (missing.length > 0) return { ok: false, skip: `e2e skipped: ${missing.join(', ')} not found ${hint}` };
  return {
    ok: true,
    paths: { drachtioBin: wanted.E2E_DRACHTIO_BIN!, drachtioConf: wanted.E2E_DRACHTIO_CONF!, sippBin: wanted.E2E_SIPP_BIN!, freeswitchRun: env.E2E_FREESWITCH_RUN || undefined },
  };
}

/** True the first time it is asked in this test run (test files run in worker processes of one parent). */
function firstInRun(what: string): boolean {
  try {
    closeSync(openSync(join(tmpdir(), `callguard-e2e-${what}-${process.ppid}`), 'wx'));
    return true;
  } catch {
    return false;
  }
}

/** For `describe.skipIf(!lab)`: the lab paths, or undefined after printing the skip reason (once per run). */
export function e2eLab(): LabPaths | undefined {
  const result = labPaths();
  if (result.ok) return result.paths;
  if (firstInRun('skip')) process.stderr.write(`${result.skip}\n`);
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Small waiting helpers

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown from a waitFor probe to stop waiting at once (e.g. the process being waited on died). */
export class WaitAbort extends Error {}

/** Polls `probe` until it returns a value other than undefined/false, or throws after `timeoutMs`. */
export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, everyMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      if (error instanceof WaitAbort) throw error;
      lastError = error;
    }
    if (Date.now() > deadline) {
      const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(everyMs);
  }
}

/** True when something accepts a TCP connection on 127.0.0.1:port. */
export function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

// ---------------------------------------------------------------------------------------------
// Processes, stopped by PID

const running = new Set<LabProcess>();
const tempDirs = new Set<string>();

/** A temp dir removed when the test process exits (kept when E2E_KEEP=1, for post-mortems). */
export function labTempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(dir);
  return dir;
}

process.once('exit', () => {
  removeTempDirs();
  // Last resort if a test file dies before its afterAll: never leave servers behind.
  for (const p of running) {
    try {
      process.kill(p.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with its output collected line by line; stop() signals its PID. */
export class LabProcess {
  readonly pid: number;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  private exitStatus: ExitStatus | undefined;
  private readonly exited: Promise<ExitStatus>;
  private readonly lineWaiters = new Set<() => void>();

  constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly maxLines = 200_000,
  ) {
    if (child.pid === undefined) throw new Error(`${name}: spawn failed`);
    this.pid = child.pid;
    running.add(this);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitStatus = { code, signal };
        running.delete(this);
        for (const w of this.lineWaiters) w();
        resolve(this.exitStatus);
      });
    });
    child.once('error', () => {});
    this.collect(child.stdout, this.stdoutLines);
    this.collect(child.stderr, this.stderrLines);
  }

  private collect(stream: NodeJS.ReadableStream | null, into: string[]): void {
    if (!stream) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) {
        into.push(line);
        if (into.length > this.maxLines) into.shift();
      }
      if (parts.length) for (const w of this.lineWaiters) w();
    });
    stream.on('end', () => {
      if (partial) into.push(partial);
    });
  }

  get status(): ExitStatus | undefined {
    return this.exitStatus;
  }

  get alive(): boolean {
    return this.exitStatus === undefined;
  }

  /** Resolves with the exit status; rejects after timeoutMs (the process keeps running). */
  async waitExit(timeoutMs = 30_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${this.name} (pid ${this.pid}) did not exit within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for an output line (stdout or stderr) that satisfies `match`; fails early if the process exits. */
  async waitForLine(what: string, match: (line: string) => boolean, timeoutMs = 20_000, from: { stdout: number; stderr: number } = { stdout: 0, stderr: 0 }): Promise<string> {
    const find = () => this.stdoutLines.slice(from.stdout).find(match) ?? this.stderrLines.slice(from.stderr).find(match);
    const found = find();
    if (found !== undefined) return found;
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.lineWaiters.delete(check);
      };
      const check = () => {
        const line = find();
        if (line !== undefined) {
          done();
          resolve(line);
        } else if (!this.alive) {
          done();
          reject(new Error(`${this.name} exited (${JSON.stringify(this.exitStatus)}) before ${what}\n${this.tail()}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} from ${this.name}\n${this.tail()}`));
      }, timeoutMs);
      this.lineWaiters.add(check);
    });
  }

  /** The last lines of output, for error messages. */
  tail(lines = 30): string {
    return [...this.stdoutLines.slice(-lines).map((l) => `[${this.name} out] ${l}`), ...this.stderrLines.slice(-lines).map((l) => `[${this.name} err] ${l}`)].join('\n');
  }

  signal(sig: NodeJS.Signals): void {
    if (!this.alive) return;
    try {
      process.kill(this.pid, sig);
    } catch {
      /* gone meanwhile */
    }
  }

  /** SIGTERM to the PID, SIGKILL after graceMs; resolves with the exit status. */
  async stop(graceMs = 10_000): Promise<ExitStatus> {
    if (this.exitStatus) return this.exitStatus;
    this.signal('SIGTERM');
    try {
      return await this.waitExit(graceMs);
    } catch {
      this.signal('SIGKILL');
      return this.waitExit(10_000);
    }
  }
}

/** Removes the temp dirs made so far (SIPp traces, dialplan copies) unless E2E_KEEP=1. */
export function removeTempDirs(): void {
  if (process.env.E2E_KEEP === '1') return;
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  tempDirs.clear();
}

/** Stops every lab process still running in this test process and removes its temp dirs (afterAll). */
export async function stopAll(): Promise<void> {
  await Promise.all([...running].map((p) => p.stop(5_000).catch(() => undefined)));
  removeTempDirs();
}

/** Runs `fn` (a teardown step) and never throws, so one failing teardown does not skip the rest. */
export async function quietly(fn: (() => unknown) | undefined): Promise<void> {
  try {
    await fn?.();
  } catch (error) {
    process.stderr.write(`teardown: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// drachtio-server

export interface Drachtio {
  sipPort: number;
  controlPort: number;
  secret: string;
  process: LabProcess;
  /** drachtio-srf connect options for an in-test app. */
  connectOptions: { host: string; port: number; secret: string };
  stop(): Promise<ExitStatus>;
}

/** drachtio-server on free loopback ports (per the lab README); ready when its control port accepts TCP. */
export async function startDrachtio(paths: LabPaths, options: { logLevel?: string; timeoutMs?: number } = {}): Promise<Drachtio> {
  const sipPort = await freeSipPort();
  const controlPort = await freeSipPort();
  const secret = `e2e-${randomBytes(6).toString('hex')}`;
  const args = ['-f', paths.drachtioConf, '--contact', `sip:127.0.0.1:${sipPort};transport=udp,tcp`, '--address', '127.0.0.1', '--port', String(controlPort), '--secret', secret];
  if (options.logLevel) args.push('--loglevel', options.logLevel, '--stdout');
  const proc = new LabProcess('drachtio', spawn(paths.drachtioBin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await waitFor('drachtio-server control port', async () => {
      if (!proc.alive) throw new WaitAbort(`drachtio-server exited ${JSON.stringify(proc.status)}\n${proc.tail()}`);
      return tcpAccepts(controlPort);
    }, options.timeoutMs ?? 20_000);
  } catch (error) {
    await proc.stop(2_000);
    throw error;
  }
  return { sipPort, controlPort, secret, process: proc, connectOptions: { host: '127.0.0.1', port: controlPort, secret }, stop: () => proc.stop() };
}

// ---------------------------------------------------------------------------------------------
// SIP text: a small parser for SIPp's message trace

const COMPACT: Record<string, string> = { i: 'call-id', f: 'from', t: 'to', v: 'via', m: 'contact', l: 'content-length', c: 'content-type', k: 'supported', s: 'subject', e: 'content-encoding', r: 'refer-to', b: 'referred-by', o: 'event', x: 'session-expires', u: 'allow-events' };

export interface SipMessage {
  /** 'received' or 'sent' by the SIPp instance whose trace this came from. */
  direction: 'received' | 'sent';
  /** The timestamp SIPp wrote above the message. */
  at: string;
  method?: string | undefined;
  uri?: string | undefined;
  status?: number | undefined;
  startLine: string;
  /** Header values by lower-case full name (compact forms expanded), in order. */
  headers: Map<string, string[]>;
  body: string;
  raw: string;
  /** First value of a header, by any case or compact name. */
  header(name: string): string | undefined;
  /** All values of a header. */
  headerAll(name: string): string[];
}

export function parseSip(raw: string, direction: 'received' | 'sent' = 'received', at = ''): SipMessage {
  const text = raw.replace(/\r\n/g, '\n');
  const split = text.indexOf('\n\n');
  const head = split >= 0 ? text.slice(0, split) : text;
  const body = split >= 0 ? text.slice(split + 2) : '';
  const lines = head.split('\n');
  const startLine = (lines.shift() ?? '').trim();
  const headers = new Map<string, string[]>();
  let last: { name: string; index: number } | undefined;
  for (const line of lines) {
    if (/^[ \t]/.test(line) && last) {
      const values = headers.get(last.name)!;
      values[last.index] += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rawName = line.slice(0, colon).trim().toLowerCase();
    const name = COMPACT[rawName] ?? rawName;
    const value = line.slice(colon + 1).trim();
    const values = headers.get(name) ?? [];
    values.push(value);
    headers.set(name, values);
    last = { name, index: values.length - 1 };
  }
  const response = /^SIP\/2\.0\s+(\d{3})/.exec(startLine);
  const request = /^([A-Z]+)\s+(.+?)\s+SIP\/2\.0$/.exec(startLine);
  const canon = (n: string) => COMPACT[n.toLowerCase()] ?? n.toLowerCase();
  return {
    direction,
    at,
    startLine,
    status: response ? Number(response[1]) : undefined,
    method: request ? request[1] : undefined,
    uri: request ? request[2] : undefined,
    headers,
    body,
    raw,
    header: (n) => headers.get(canon(n))?.[0],
    headerAll: (n) => headers.get(canon(n)) ?? [],
  };
}

/** The CSeq method of a message (for responses: which request they answer). */
export function cseqMethod(message: SipMessage): string | undefined {
  return message.header('cseq')?.split(/\s+/)[1];
}

/** Parses a SIPp `-trace_msg` file into messages, in order. */
export function parseSippTrace(text: string): SipMessage[] {
  const out: SipMessage[] = [];
  const blocks = text.split(/^-{20,}\s*(.*)$/m);
  // split with a capture group: [before, ts1, block1, ts2, block2, ...]
  for (let i = 1; i < blocks.length; i += 2) {
    const at = (blocks[i] ?? '').trim();
    const block = blocks[i + 1] ?? '';
    const m = /^\s*\S+ message (received|sent)[^\n]*:\s*\n\n?([\s\S]*)$/m.exec(block);
    if (!m) continue;
    const rawMessage = m[2]!.replace(/\n+$/, '\n');
    if (!/^(SIP\/2\.0 |[A-Z]+ .+ SIP\/2\.0\s*$)/m.test(rawMessage.split('\n')[0] ?? '')) continue;
    out.push(parseSip(rawMessage, m[1] as 'received' | 'sent', at));
  }
  return out;
}

/** Parses a multipart body into its parts (content type and text). */
export function multipartParts(message: SipMessage): Array<{ contentType: string | undefined; headers: Map<string, string>; body: string }> {
  const type = message.header('content-type') ?? '';
  const b = /boundary="?([^";]+)"?/i.exec(type);
  if (!b) return [];
  const boundary = b[1]!;
  const body = message.body.replace(/\r\n/g, '\n');
  const parts = body.split(`--${boundary}`).slice(1);
  const out = [];
  for (const part of parts) {
    if (part.startsWith('--')) break;
    const p = part.replace(/^\n/, '');
    const split = p.indexOf('\n\n');
    const head = split >= 0 ? p.slice(0, split) : '';
    const partBody = split >= 0 ? p.slice(split + 2) : p;
    const headers = new Map<string, string>();
    for (const line of head.split('\n')) {
      const colon = line.indexOf(':');
      if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
    }
    out.push({ contentType: headers.get('content-type'), headers, body: partBody.replace(/\n$/, '') });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// SIPp

/** Fills `{{name}}` placeholders (for places SIPp expands no keywords: response=, regexps). */
export function fillTemplate(xml: string, vars: Record<string, string | number>): string {
  return xml.replace(/\{\{(\w+)\}\}/g, (whole, name: string) => {
    if (!(name in vars)) throw new Error(`scenario template: no value for {{${name}}}`);
    return String(vars[name]);
  });
}

export interface SippOptions {
  /** A file under test/e2e/scenarios (name or path), or the XML itself. */
  scenarioFile?: string;
  scenarioXml?: string;
  /** Values for `{{name}}` placeholders in the scenario. */
  template?: Record<string, string | number>;
  role: 'uas' | 'uac';
  /** Local SIP port (default: a free one). */
  port?: number;
  /** Local address (default 127.0.0.1): another loopback address is another host to the server. */
  address?: string;
  /** SIP transport (default udp); `tcp` is SIPp's `-t t1`: a uas listens on TCP alone. */
  transport?: 'udp' | 'tcp';
  /** host:port to send to (uac). */
  remote?: string;
  /** `-m`: exit after this many calls. */
  calls?: number;
  /** `-r` calls per second (uac). */
  rate?: number;
  /** `-s`: the [service] keyword (the request-URI user for uac scenarios). */
  service?: string;
  /** `-key name value` pairs, expanded as [name] inside messages. */
  keys?: Record<string, string | number>;
  /** Safety net: SIPp quits after this many seconds whatever happens (default 60). */
  timeoutSeconds?: number;
  extraArgs?: string[];
}

export interface Sipp {
  name: string;
  port: number;
  pid: number;
  process: LabProcess;
  dir: string;
  /** Resolves with SIPp's exit code (0 = every call succeeded, 1 = some failed, 99 = no call processed...). */
  waitExit(timeoutMs?: number): Promise<number | null>;
  stop(): Promise<ExitStatus>;
  /** The messages SIPp sent and received (read after it exits: SIPp buffers its trace). */
  messages(): SipMessage[];
  received(filter?: (m: SipMessage) => boolean): SipMessage[];
  /** The unexpected-message log, for diagnostics. */
  errors(): string;
  /** The last statistics line as a map (from -trace_stat), if any. */
  stats(): Record<string, string> | undefined;
  /** A short summary for assertion messages. */
  describe(): string;
}

/**
 * Runs SIPp in the foreground (its PID is kept; `-bg` is not used), bound to 127.0.0.1 with its
 * control socket on a free loopback port, tracing messages, errors and statistics into a temp dir.
 */
export async function startSipp(paths: LabPaths, options: SippOptions): Promise<Sipp> {
  const dir = labTempDir('callguard-sipp-');
  let xml: string;
  let name: string;
  if (options.scenarioXml !== undefined) {
    xml = options.scenarioXml;
    name = 'inline';
  } else if (options.scenarioFile) {
    const file = options.scenarioFile.includes('/') ? options.scenarioFile : join(SCENARIO_DIR, options.scenarioFile);
    xml = readFileSync(file, 'utf8');
    name = file.replace(/^.*\//, '').replace(/\.xml$/, '');
  } else {
    throw new Error('startSipp: scenarioFile or scenarioXml is required');
  }
  if (options.template) xml = fillTemplate(xml, options.template);
  const scenario = join(dir, `${name}.xml`);
  writeFileSync(scenario, xml);

  // Free ports are picked before SIPp binds them: with suites running in parallel another process can
  // take one in between, so a start that fails with "Address already in use" is retried on new ports.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchSipp(paths, options, dir, name, scenario);
    } catch (error) {
      if (attempt >= 4 || !(error instanceof WaitAbort) || !/errno = 98|Address already in use/.test(error.message)) throw error;
    }
  }
}

async function launchSipp(paths: LabPaths, options: SippOptions, dir: string, name: string, scenario: string): Promise<Sipp> {
  const port = options.port ?? (await freeSipPort());
  const controlPort = await freePort();
  const mediaPort = await freePortRange(4);
  const address = options.address ?? '127.0.0.1';
  const args = [
    '-sf', scenario,
    '-i', address, '-p', String(port),
    ...(options.transport === 'tcp' ? ['-t', 't1'] : []),
    '-ci', '127.0.0.1', '-cp', String(controlPort),
    '-mi', '127.0.0.1', '-mp', String(mediaPort),
    '-nostdin',
    '-trace_msg', '-message_file', join(dir, 'messages.log'),
    '-trace_err', '-error_file', join(dir, 'errors.log'),
    '-trace_stat', '-stf', join(dir, 'stats.csv'), '-fd', '1',
    '-timeout', `${options.timeoutSeconds ?? 60}s`,
  ];
  if (options.calls !== undefined) args.push('-m', String(options.calls));
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  if (options.service !== undefined) args.push('-s', options.service);
  for (const [k, v] of Object.entries(options.keys ?? {})) args.push('-key', k, String(v));
  args.push(...(options.extraArgs ?? []));
  if (options.role === 'uac') {
    if (!options.remote) throw new Error('startSipp: a uac needs remote');
    args.push(options.remote);
  }
  const label = `sipp-${name}:${port}`;
  // SIPp repaints a screen on stdout every second; keep only a short tail of it.
  const proc = new LabProcess(label, spawn(paths.sippBin, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }), 400);

  const read = (file: string) => (existsSync(join(dir, file)) ? readFileSync(join(dir, file), 'utf8') : '');
  const sipp: Sipp = {
    name: label,
    port,
    pid: proc.pid,
    process: proc,
    dir,
    async waitExit(timeoutMs = 90_000) {
      const status = await proc.waitExit(timeoutMs);
      return status.code;
    },
    stop: () => proc.stop(5_000),
    messages: () => parseSippTrace(read('messages.log')),
    received: (filter) => sipp.messages().filter((m) => m.direction === 'received' && (!filter || filter(m))),
    errors: () => read('errors.log'),
    stats() {
      const lines = read('stats.csv').split('\n').filter((l) => l.trim());
      if (lines.length < 2) return undefined;
      const keys = lines[0]!.split(';');
      const values = lines[lines.length - 1]!.split(';');
      return Object.fromEntries(keys.map((k, i) => [k, values[i] ?? '']));
    },
    describe() {
      const s = sipp.stats();
      const summary = s ? `SuccessfulCall=${s['SuccessfulCall(C)']} FailedCall=${s['FailedCall(C)']}` : 'no stats';
      const seen = sipp.messages().map((m) => `${m.direction === 'sent' ? '>' : '<'} ${m.startLine}${m.status ? ` (${m.header('cseq')})` : ''}`).slice(-40);
      return `${label} exit=${JSON.stringify(proc.status)} ${summary}\n${seen.join('\n')}\n${sipp.errors().slice(-2000)}`;
    },
  };
  const failed = () => new WaitAbort(`SIPp failed to start: ${JSON.stringify(proc.status)}\n${proc.tail()}`);
  if (options.role === 'uas') {
    // Ready when its port is taken (by SIPp: we checked it was free), so a call placed next finds it.
    const portFree = options.transport === 'tcp' ? tcpPortFree : udpPortFree;
    await waitFor(`${label} listening`, async () => {
      if (!proc.alive) throw failed();
      return !(await portFree(port, address));
    }, 20_000, 25);
  } else {
    // Fails fast when SIPp cannot start (bad scenario, port taken): it exits within a moment.
    await sleep(150);
    if (!proc.alive && proc.status?.code !== 0) throw failed();
  }
  return sipp;
}

// ---------------------------------------------------------------------------------------------
// Dialplan copies

export type SiteOverrides = Record<string, unknown>;

function setDeep(doc: ReturnType<typeof parseDocument>, path: string[], value: unknown): void {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) setDeep(doc, [...path, k], v);
    return;
  }
  doc.setIn(path, value);
}

/** Rewrites site.yaml in `dir`: nested keys of `site` are set (objects merged, other values replaced). */
export function editSite(dir: string, site: SiteOverrides): void {
  const file = join(dir, 'site.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  setDeep(doc, ['site'], site);
  writeFileSync(file, doc.toString());
}

/**
 * Copies the repo's dialplan/ into a temp dir and rewrites site.yaml (routes to the SIPp peers).
 * Example: copyDialplan({ routes: { internal: 'sip:127.0.0.1:5070' }, emergencyTrunk: '...' }).
 */
export function copyDialplan(site: SiteOverrides = {}): { dir: string; remove(): void } {
  const root = labTempDir('callguard-dialplan-');
  const dir = join(root, 'dialplan');
  cpSync(join(REPO_ROOT, 'dialplan'), dir, { recursive: true });
  editSite(dir, site);
  return { dir, remove: () => rmSync(root, { recursive: true, force: true }) };
}

// ---------------------------------------------------------------------------------------------
// callguard serve

export interface Callguard {
  httpPort: number;
  pid: number;
  process: LabProcess;
  /** pino JSON lines from stdout, parsed (non-JSON lines are skipped). */
  logs(): Array<Record<string, unknown>>;
  /** Waits for a log entry satisfying `match` (searching from index `from` of logs()). */
  waitForLog(what: string, match: (entry: Record<string, unknown>) => boolean, timeoutMs?: number, from?: number): Promise<Record<string, unknown>>;
  /** Every line of output (stdout and stderr), for assertion messages. */
  output(): string;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM, then await exit (SIGKILL after the grace period); resolves with the exit code. */
  stop(graceMs?: number): Promise<number | null>;
  waitExit(timeoutMs?: number): Promise<number | null>;
}

export interface CallguardOptions {
  dialplanDir: string;
  drachtio: Pick<Drachtio, 'controlPort' | 'secret'>;
  redisUrl?: string;
  alertWebhook?: string;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

function parseJsonLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * Spawns the real app, `node --import tsx src/cli/main.ts serve --dialplan DIR`, from the repo root;
 * ready when it has logged "callguard serving" and GET /health on its HTTP port answers 200.
 */
export async function startCallguard(options: CallguardOptions): Promise<Callguard> {
  // A free port can be taken by another process before the app binds it (a busy CI box): pick another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchCallguard(options, await freePort());
    } catch (error) {
      if (attempt === 3 || !String(error).includes('EADDRINUSE')) throw error;
    }
  }
}

async function launchCallguard(options: CallguardOptions, httpPort: number): Promise<Callguard> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? tmpdir(),
    DRACHTIO_HOST: '127.0.0.1',
    DRACHTIO_PORT: String(options.drachtio.controlPort),
    DRACHTIO_SECRET: options.drachtio.secret,
    CALLGUARD_HTTP_PORT: String(httpPort),
    LOG_LEVEL: 'info',
    ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
    ...(options.alertWebhook ? { CALLGUARD_ALERT_WEBHOOK: options.alertWebhook } : {}),
    // Call records and the alert outbox of this instance alone: an alert one test left undelivered must not reach the next.
    CALLGUARD_DATA_DIR: labTempDir('callguard-data-'),
    ...options.env,
  };
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve', '--dialplan', options.dialplanDir], { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new LabProcess('callguard', child);
  const parsed: Array<Record<string, unknown>> = [];
  let parsedUpTo = 0;
  const logs = () => {
    for (; parsedUpTo < proc.stdoutLines.length; parsedUpTo++) {
      const entry = parseJsonLine(proc.stdoutLines[parsedUpTo]!);
      if (entry) parsed.push(entry);
    }
    return parsed;
  };
  const app: Callguard = {
    httpPort,
    pid: proc.pid,
    process: proc,
    logs,
    async waitForLog(what, match, timeoutMs = 20_000, from = 0) {
      const find = () => logs().slice(from).find(match);
      await proc.waitForLine(what, () => find() !== undefined, timeoutMs).catch((error: unknown) => {
        if (find() === undefined) throw error;
      });
      return find()!;
    },
    output: () => proc.tail(200),
    signal: (sig) => proc.signal(sig),
    async stop(graceMs = 45_000) {
      return (await proc.stop(graceMs)).code;
    },
    async waitExit(timeoutMs = 45_000) {
      return (await proc.waitExit(timeoutMs)).code;
    },
  };
  try {
    await waitFor('callguard /health 200', async () => {
      if (!proc.alive) throw new WaitAbort(`callguard exited ${JSON.stringify(proc.status)}\n${proc.tail()}`);
      // Its own start-up line first: another process may answer on a port this one failed to bind.
      if (!logs().some((e) => e.msg === 'callguard serving')) return false;
      const res = await fetch(`http://127.0.0.1:${httpPort}/health`, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return res.status === 200;
    }, options.readyTimeoutMs ?? 60_000, 200);
  } catch (error) {
    await proc.stop(5_000);
    if (error instanceof WaitAbort) throw error;
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${proc.tail()}`);
  }
  return app;
}
