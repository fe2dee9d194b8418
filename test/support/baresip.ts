/**
 * baresip (Debian `baresip`, v1.0) as a real softphone for the e2e tests: a private config dir, one
 * account that calls drachtio-server's SIP port on 127.0.0.1 directly (no registration), started as a
 * child process and stopped by its PID, driven over its ctrl_tcp JSON interface.
 *
 * What baresip 1.0 does, found by running it and reading its v1.0.0 source:
 * - aufile is an audio source only (there is no aufile player in 1.0), and when its file runs out it
 *   reports "end of file", which closes the call: the phone sends a long file of silence.
 * - Received audio is caught by the sndfile filter, which writes every decoded frame as it arrives to
 *   snd_path/dump-<time>-dec.wav whatever the player does; the player is an aubridge device nobody
 *   reads, so no sound hardware is needed.
 * - The stdio module needs a terminal. ctrl_tcp takes the menu module's long commands (dial, sndcode,
 *   hangup, quit) as netstring-framed JSON and sends every call event back the same way.
 * - `sndcode 274915` queues the digits as RFC 4733 telephone-events (each held for 9 packets, then
 *   ended), on the call's RTP stream: in early media as well as in an answered call.
 * - Dialling `909011234567` calls sip:909011234567@<the account's domain>: the domain is drachtio-server.
 * - Asked to quit, it first ends its calls and waits for their SIP transactions (up to 32 s with a peer
 *   that stopped answering): stop() sends `quit`, waits 5 s, then signals the PID (SIGTERM, then SIGKILL).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { freePort, freeSipPort } from './freePort.js';
import { labTempDir, LabProcess, waitFor, WaitAbort, type ExitStatus } from './lab.js';
import { wavLevel, writeSilentWav, type WavLevel } from './wav.js';

/** baresip on PATH, or undefined after one line saying the softphone tests skip. */
export function baresipBin(): string | undefined {
  const found = (process.env.PATH ?? '').split(delimiter).map((dir) => join(dir, 'baresip')).find((file) => existsSync(file));
  if (!found) process.stderr.write('e2e baresip skipped: baresip not found on PATH (Debian package baresip; .ci/run installs it)\n');
  return found;
}

/** One ctrl_tcp event (`type` e.g. CALL_PROGRESS, CALL_ESTABLISHED, CALL_CLOSED; `id` is the Call-ID). */
export interface BaresipEvent {
  type: string;
  class?: string;
  param?: string;
  id?: string;
  peeruri?: string;
}

export interface SoftphoneOptions {
  /** The phone's extension: the account's user, so calls come From sip:<ext>@... */
  ext: string;
  /** drachtio-server's SIP port on 127.0.0.1: the account's domain, where every call goes. */
  proxyPort: number;
  /** How long the phone can send audio for: aufile ends the call when its file runs out. */
  sendSeconds?: number;
}

export interface Softphone {
  ext: string;
  pid: number;
  process: LabProcess;
  dir: string;
  events(): BaresipEvent[];
  /** The first event of `type` (each phone makes one call); fails at once if baresip exits. */
  waitForEvent(type: string, timeoutMs?: number): Promise<BaresipEvent>;
  /** Runs a ctrl_tcp command; resolves with its output, rejects when baresip says it failed. */
  command(name: string, params?: string): Promise<string>;
  /** Dials what a user would key in: sip:<digits>@127.0.0.1:<proxyPort>. */
  dial(digits: string): Promise<void>;
  /** Sends DTMF as RFC 4733 telephone-events on the current call. */
  sendDigits(digits: string): Promise<void>;
  hangup(): Promise<void>;
  /** The audio received so far (the loudest dump: baresip starts another when its decoder changes). */
  received(): WavLevel;
  /** Events and the output's tail, for assertion messages. */
  describe(): string;
  stop(): Promise<ExitStatus>;
}

/** Netstring framing (`<length>:<bytes>,`), as ctrl_tcp speaks it. */
function netstring(text: string): Buffer {
  const body = Buffer.from(text, 'utf8');
  return Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]);
}

/** Splits complete netstrings off the front of `buffer`; returns them and what is left. */
function takeNetstrings(buffer: Buffer): { messages: string[]; rest: Buffer } {
  const messages: string[] = [];
  let rest = buffer;
  for (;;) {
    const colon = rest.indexOf(':');
    if (colon < 0) break;
    const length = Number(rest.toString('ascii', 0, colon));
    if (!Number.isInteger(length)) throw new Error(`ctrl_tcp: bad netstring header ${JSON.stringify(rest.toString('ascii', 0, colon))}`);
    if (rest.length < colon + 1 + length + 1) break;
    messages.push(rest.toString('utf8', colon + 1, colon + 1 + length));
    rest = rest.subarray(colon + 1 + length + 1);
  }
  return { messages, rest };
}

function config(dir: string, bin: string, sipPort: number, ctrlPort: number): string {
  const settings: Array<[string, string]> = [
    ['poll_method', 'epoll'],
    ['sip_listen', `127.0.0.1:${sipPort}`],
    // The address put in SDP: loopback, where FreeSWITCH and the SIPp peers send RTP.
    ['net_interface', '127.0.0.1'],
    ['call_local_timeout', '120'],
    ['call_max_calls', '1'],
    ['audio_source', `aufile,${join(dir, 'send.wav')}`],
    ['audio_player', 'aubridge,unread'],
    ['audio_alert', 'aubridge,unread'],
    ['ausrc_srate', '8000'],
    ['ausrc_channels', '1'],
    ['module_path', resolve(dirname(bin), '../lib/baresip/modules')],
    // A softphone's usual offer: opus, G.722, G.711 and telephone-event.
    ['module', 'opus.so'],
    ['module', 'g722.so'],
    ['module', 'g711.so'],
    ['module', 'aufile.so'],
    ['module', 'aubridge.so'],
    ['module', 'sndfile.so'],
    ['module_tmp', 'account.so'],
    ['module_app', 'menu.so'],
    ['module_app', 'ctrl_tcp.so'],
    ['ctrl_tcp_listen', `127.0.0.1:${ctrlPort}`],
    ['snd_path', join(dir, 'received')],
    ['ringback_disabled', 'yes'],
    ['statmode_default', 'off'],
  ];
  return settings.map(([k, v]) => `${k}\t${v}\n`).join('');
}

/** Starts baresip for one extension; ready when its ctrl_tcp interface is connected. */
export async function startSoftphone(bin: string, options: SoftphoneOptions): Promise<Softphone> {
  const dir = labTempDir(`callguard-baresip-${options.ext}-`);
  mkdirSync(join(dir, 'received'));
  writeSilentWav(join(dir, 'send.wav'), options.sendSeconds ?? 120);
  writeFileSync(join(dir, 'accounts'), `<sip:${options.ext}@127.0.0.1:${options.proxyPort}>;regint=0\n`);
  // Ports are picked before baresip binds them: a start that finds one taken is retried on new ones.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launch(bin, dir, options);
    } catch (error) {
      if (attempt >= 4 || !(error instanceof WaitAbort) || !/Address already in use/.test(error.message)) throw error;
    }
  }
}

async function launch(bin: string, dir: string, options: SoftphoneOptions): Promise<Softphone> {
  const sipPort = await freeSipPort();
  const ctrlPort = await freePort();
  writeFileSync(join(dir, 'config'), config(dir, bin, sipPort, ctrlPort));
  const proc = new LabProcess(`baresip-${options.ext}:${sipPort}`, spawn(bin, ['-f', dir], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] }));
  const failed = () => new WaitAbort(`baresip did not start: ${JSON.stringify(proc.status)}\n${proc.tail()}`);
  try {
    // A port taken shows as a warning (ctrl_tcp) or an exit (SIP) around the ready line.
    await proc.waitForLine('baresip is ready', (l) => l.includes('baresip is ready.') || l.includes('Address already in use'), 30_000);
    if (!proc.alive || [...proc.stdoutLines, ...proc.stderrLines].some((l) => l.includes('Address already in use'))) throw failed();
  } catch (error) {
    await proc.stop(5_000);
    throw error instanceof WaitAbort ? error : failed();
  }

  const events: BaresipEvent[] = [];
  const pending = new Map<string, { resolve: (data: string) => void; reject: (error: Error) => void }>();
  let socket: Socket;
  try {
    socket = await waitFor('baresip ctrl_tcp', () => new Promise<Socket | false>((resolveSocket) => {
      if (!proc.alive) throw failed();
      const s = connect({ host: '127.0.0.1', port: ctrlPort });
      s.once('connect', () => resolveSocket(s));
      s.once('error', () => resolveSocket(false));
    }), 20_000, 100);
  } catch (error) {
    await proc.stop(5_000);
    throw error;
  }
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    const { messages, rest } = takeNetstrings(Buffer.concat([buffered, chunk]));
    buffered = rest;
    for (const text of messages) {
      const message = JSON.parse(text) as { event?: boolean; response?: boolean; ok?: boolean; data?: string; token?: string } & BaresipEvent;
      if (message.event) events.push(message);
      const waiting = message.response && message.token ? pending.get(message.token) : undefined;
      if (!waiting) continue;
      pending.delete(message.token!);
      if (message.ok) waiting.resolve(message.data ?? '');
      else waiting.reject(new Error(`baresip: ${message.data ?? 'command failed'}`));
    }
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    for (const waiting of pending.values()) waiting.reject(new Error('baresip: ctrl_tcp connection closed'));
    pending.clear();
  });

  let tokens = 0;
  const phone: Softphone = {
    ext: options.ext,
    pid: proc.pid,
    process: proc,
    dir,
    events: () => events,
    waitForEvent: (type, timeoutMs = 60_000) => waitFor(`baresip ${options.ext} ${type}`, () => {
      const found = events.find((e) => e.type === type);
      if (!found && !proc.alive) throw new WaitAbort(`baresip exited ${JSON.stringify(proc.status)} before ${type}\n${phone.describe()}`);
      return found;
    }, timeoutMs),
    command(name, params) {
      const token = `t${++tokens}`;
      return new Promise<string>((resolveCommand, reject) => {
        const timer = setTimeout(() => {
          pending.delete(token);
          reject(new Error(`baresip: no answer to ${name} within 20 s\n${phone.describe()}`));
        }, 20_000);
        const settle = <T>(fn: (value: T) => void) => (value: T) => {
          clearTimeout(timer);
          fn(value);
        };
        pending.set(token, { resolve: settle(resolveCommand), reject: settle(reject) });
        socket.write(netstring(JSON.stringify({ command: name, ...(params === undefined ? {} : { params }), token })));
      });
    },
    dial: async (digits) => void (await phone.command('dial', digits)),
    sendDigits: async (digits) => void (await phone.command('sndcode', digits)),
    hangup: async () => void (await phone.command('hangup')),
    received() {
      const dumps = readdirSync(join(dir, 'received')).filter((f) => f.endsWith('-dec.wav'));
      const levels = dumps.map((f) => wavLevel(join(dir, 'received', f)));
      return levels.reduce((loudest, level) => (level.rms > loudest.rms ? level : loudest), { seconds: 0, rms: 0 });
    },
    describe: () => `${proc.name} pid ${proc.pid} events:\n${events.map((e) => `  ${e.type} ${e.param ?? ''}`).join('\n')}\n${proc.tail(40)}`,
    async stop() {
      if (proc.alive && !socket.destroyed) {
        // `quit` ends calls and exits; a peer that no longer answers can hold it, hence the signals after.
        await phone.command('quit').catch(() => undefined);
        await proc.waitExit(5_000).catch(() => undefined);
      }
      socket.destroy();
      return proc.stop(5_000);
    },
  };
  return phone;
}
