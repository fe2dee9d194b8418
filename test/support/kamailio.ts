/**
 * Kamailio (Debian's `kamailio`) running the shipped deploy/kamailio/kamailio.cfg, unedited, in front of
 * drachtio-server + callguard pairs: its listen port, dispatcher list and probe interval come in as
 * `-A` defines. Foreground, logging to stderr, on a free loopback port, stopped by its PID.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freeSipPort, udpPortFree } from './freePort.js';
import { packageRoot } from '../../src/packageRoot.js';
import { LabProcess, WaitAbort, labTempDir, waitFor, type ExitStatus } from './lab.js';

// packageRoot, not lab.ts's REPO_ROOT: the benches run this from dist/, where deploy/ is not copied.
export const KAMAILIO_CFG = join(packageRoot(), 'deploy/kamailio/kamailio.cfg');

/** Where the kamailio binary should be: E2E_KAMAILIO_BIN, else Debian's. */
export function kamailioPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.E2E_KAMAILIO_BIN || '/usr/sbin/kamailio';
}

/** The kamailio binary, or undefined when it is not installed. */
export function kamailioBin(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const bin = kamailioPath(env);
  return existsSync(bin) ? bin : undefined;
}

/** A pair's SIP address as the dispatcher list names it (and Kamailio's log lines quote it). */
export function pairUri(sipPort: number): string {
  return `sip:127.0.0.1:${sipPort}`;
}

export interface Kamailio {
  sipPort: number;
  process: LabProcess;
  /** Waits for Kamailio to say the pair on `sipPort` went down (after failed probes) or came up. */
  waitForPair(state: 'down' | 'up', sipPort: number, timeoutMs?: number): Promise<string>;
  stop(): Promise<ExitStatus>;
}

export interface KamailioOptions {
  /** drachtio-server SIP ports, one per pair, in dispatcher-list order. */
  pairs: number[];
  /** Seconds between OPTIONS probes (the shipped default is 5). */
  probeIntervalSeconds?: number;
  /** Shared memory in MB (`-m`, default 64 as Debian's): transactions live there, so high call rates need more. */
  sharedMemoryMb?: number;
  /**
   * Processes per listening socket (`-n`, default 1). With two, one may forward a 200 before the 180
   * another holds (a phone ignores the late 180; a SIPp caller aborts on it), so the tests keep one;
   * the scale bench takes 2.
   */
  workers?: number;
  /** More of the configuration's `-A` defines (e.g. FIRST_TIMEOUT_MS). */
  defines?: Record<string, string>;
}

export async function startKamailio(bin: string, options: KamailioOptions): Promise<Kamailio> {
  const dir = labTempDir('callguard-kamailio-');
  const list = join(dir, 'dispatcher.list');
  writeFileSync(list, options.pairs.map((port, i) => `1 ${pairUri(port)} 0 0 duid=pair-${i + 1}\n`).join(''));
  const sipPort = await freeSipPort();
  const defines = { LISTEN_IP: '127.0.0.1', SIP_PORT: String(sipPort), DISPATCHER_LIST: `"${list}"`, PROBE_INTERVAL: String(options.probeIntervalSeconds ?? 1), ...options.defines };
  // -DD: stay in the foreground (children forked as usual); -E: log to stderr; -Y: runtime files here.
  const args = ['-f', KAMAILIO_CFG, '-DD', '-E', '-Y', dir, '-n', String(options.workers ?? 1), '-m', String(options.sharedMemoryMb ?? 64), '-M', '8', ...Object.entries(defines).flatMap(([k, v]) => ['-A', `${k}=${v}`])];
  const proc = new LabProcess('kamailio', spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] }));
  try {
    await waitFor('kamailio listening', async () => {
      if (!proc.alive) throw new WaitAbort(`kamailio exited ${JSON.stringify(proc.status)}\n${proc.tail()}`);
      return !(await udpPortFree(sipPort));
    }, 20_000, 50);
  } catch (error) {
    await proc.stop(2_000);
    throw error;
  }
  return {
    sipPort,
    process: proc,
    waitForPair: (state, port, timeoutMs = 60_000) => proc.waitForLine(`pair ${port} ${state}`, (line) => line.includes(`callguard pair ${state}: ${pairUri(port)}`), timeoutMs),
    stop: () => proc.stop(),
  };
}
