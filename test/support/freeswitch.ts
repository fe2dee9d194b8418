/**
 * FreeSWITCH for the end-to-end tests: the lab's prebuilt FreeSWITCH (../shared/lab/freeswitch, found
 * through E2E_FREESWITCH_RUN) run with a copy of the repo's freeswitch-conf/ on free 127.0.0.1 ports,
 * a random event-socket secret and a scratch state directory; stopped by its PID.
 *
 * The configuration reads its ports and secret from the environment (freeswitch-conf/vars.xml), so the
 * copy is the shipped configuration unchanged unless a test edits it (`editConf`).
 *
 * Timeouts are generous (FreeSWITCH takes 2-6 s to start on a busy 2-core box); nothing here asserts
 * on timing.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import { promisify } from 'node:util';
import { packageRoot } from '../../src/packageRoot.js';
import { e2eLab, labTempDir, LabProcess, tcpAccepts, waitFor, WaitAbort, type ExitStatus, type LabPaths } from './lab.js';
import { EPHEMERAL_FROM, freeSipPort, SIP_PORTS, udpPortFree } from './freePort.js';

const run = promisify(execFile);

/** Lab paths with FreeSWITCH present. */
export type MediaLabPaths = LabPaths & { freeswitchRun: string };

/**
 * For `describe.skipIf(!lab)` in media suites: the lab paths when drachtio-server, SIPp and FreeSWITCH
 * are all configured, else undefined after one line saying what is missing.
 */
export function e2eMediaLab(): MediaLabPaths | undefined {
  const lab = e2eLab(); // prints its own skip line (once per run) when drachtio/SIPp are missing
  if (!lab) return undefined;
  const fsRun = lab.freeswitchRun;
  if (!fsRun || !existsSync(fsRun)) {
    process.stderr.write(`e2e media skipped: E2E_FREESWITCH_RUN ${fsRun ? `=${fsRun} not found` : 'unset'} (see ../shared/lab/README.md; .ci/run sets it)\n`);
    return undefined;
  }
  return { ...lab, freeswitchRun: fsRun };
}

export interface FreeswitchOptions {
  /** Change the copied configuration before start (files under `confDir`). */
  editConf?: (confDir: string) => void;
  /** Extra environment for FreeSWITCH (FREESWITCH_* settings of freeswitch-conf/vars.xml). */
  env?: Record<string, string>;
  /** FreeSWITCH log level (FREESWITCH_LOG_LEVEL); default warning. */
  logLevel?: string;
  /** How long to wait for the event socket and the SIP profile; default 60 s. */
  readyTimeoutMs?: number;
  /** Size of the RTP port range (2 ports a channel); default 400. Benches with many calls want more. */
  rtpPorts?: number;
  /** The event-socket secret; random by default. The servers of a media pool share one (FREESWITCH_SECRET). */
  secret?: string;
  /** Event-socket and SIP ports (free ones by default): a FreeSWITCH started again where the app expects it. */
  ports?: { esl: number; sip: number };
}

export interface Freeswitch {
  eslPort: number;
  sipPort: number;
  secret: string;
  confDir: string;
  stateDir: string;
  /** `$${recordings_dir}` of this instance. */
  recordingsDir: string;
  process: LabProcess;
  /** drachtio-fsmrf `mrf.connect()` options. */
  connectOptions: { address: string; port: number; secret: string; listenAddress: string };
  /** Environment for `callguard serve` (DESIGN: FREESWITCH_HOST, FREESWITCH_PORT, FREESWITCH_SECRET). */
  appEnv: { FREESWITCH_HOST: string; FREESWITCH_PORT: string; FREESWITCH_SECRET: string };
  /** Runs an API command through the lab's fs_cli and returns its output. */
  api(command: string): Promise<string>;
  /** `show channels count`: channels alive in FreeSWITCH now (a leak check after each scenario). */
  channelCount(): Promise<number>;
  /** Waits until `show channels count` is `n` (channels take a moment to be torn down after BYE). */
  waitForChannelCount(n: number, timeoutMs?: number): Promise<number>;
  /** The last lines of FreeSWITCH's log file, for assertion messages. */
  logTail(lines?: number): Promise<string>;
  stop(): Promise<ExitStatus>;
}

/** The lab's fs_cli, beside the run wrapper. */
export function fsCliPath(freeswitchRun: string): string {
  return join(dirname(freeswitchRun), 'bin', 'fs_cli');
}

/** `fs_cli -H 127.0.0.1 -P port -p secret -x command`. */
export async function fsCli(freeswitchRun: string, port: number, secret: string, command: string, timeoutMs = 15_000): Promise<string> {
  const libDir = join(dirname(freeswitchRun), 'lib');
  const { stdout } = await run(fsCliPath(freeswitchRun), ['-H', '127.0.0.1', '-P', String(port), '-p', secret, '-x', command], {
    timeout: timeoutMs,
    env: { ...process.env, LD_LIBRARY_PATH: [libDir, process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
  });
  return stdout;
}

/** Parses `show channels count` output ("\n3 total.\n"). */
export function parseChannelCount(output: string): number {
  const m = /(\d+)\s+total\./.exec(output);
  if (!m) throw new Error(`unexpected 'show channels count' output: ${JSON.stringify(output)}`);
  return Number(m[1]);
}

/** `show channels count` against a running FreeSWITCH. */
export async function channelCount(fs: Pick<Freeswitch, 'api'>): Promise<number> {
  return parseChannelCount(await fs.api('show channels count'));
}

/** An RTP port range of `size` ports whose first few are free (RTP ports are bound per call). */
async function rtpRange(size: number): Promise<{ start: number; end: number }> {
  for (let attempt = 0; attempt < 50; attempt++) {
    // Between the SIP ports (freePort.ts) and the kernel's ephemeral range: no SIPp peer and no outgoing connection lands in it.
    const start = randomInt(SIP_PORTS.to, EPHEMERAL_FROM - size) & ~1;
    let free = true;
    for (let p = start; p < start + 8 && free; p++) free = await udpPortFree(p);
    if (free) return { start, end: start + size - 1 };
  }
  throw new Error('no free RTP port range found');
}

/**
 * Starts FreeSWITCH with a copy of freeswitch-conf/ (per the lab README: `run CONF_DIR STATE_DIR`);
 * ready when the event socket accepts a connection and the drachtio_mrf SIP profile is running.
 */
export async function startFreeswitch(paths: Pick<LabPaths, 'freeswitchRun'>, options: FreeswitchOptions = {}): Promise<Freeswitch> {
  const fsRun = paths.freeswitchRun;
  if (!fsRun) throw new Error('startFreeswitch: E2E_FREESWITCH_RUN is not set');
  const root = labTempDir('callguard-freeswitch-');
  const confDir = join(root, 'conf');
  const stateDir = join(root, 'state');
  // packageRoot, not lab.ts's REPO_ROOT: the benches run this from dist/.
  cpSync(join(packageRoot(), 'freeswitch-conf'), confDir, { recursive: true });
  options.editConf?.(confDir);
  mkdirSync(stateDir, { recursive: true });

  const eslPort = options.ports?.esl ?? (await freeSipPort());
  const sipPort = options.ports?.sip ?? (await freeSipPort());
  const rtp = await rtpRange(options.rtpPorts ?? 400);
  const secret = options.secret ?? `fs-${randomBytes(8).toString('hex')}`;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? root,
    FREESWITCH_SECRET: secret,
    FREESWITCH_PORT: String(eslPort),
    FREESWITCH_SIP_PORT: String(sipPort),
    FREESWITCH_RTP_START: String(rtp.start),
    FREESWITCH_RTP_END: String(rtp.end),
    FREESWITCH_LOG_LEVEL: options.logLevel ?? 'warning',
    ...options.env,
  };
  const proc = new LabProcess('freeswitch', spawn(fsRun, [confDir, stateDir], { env, stdio: ['ignore', 'pipe', 'pipe'] }), 5_000);
  const api = (command: string) => fsCli(fsRun, eslPort, secret, command);
  const logTail = async (lines = 60) => {
    try {
      const { stdout } = await run('tail', ['-n', String(lines), join(stateDir, 'log', 'freeswitch.log')]);
      return stdout;
    } catch {
      return proc.tail(lines);
    }
  };
  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  try {
    await waitFor('FreeSWITCH event socket', async () => {
      if (!proc.alive) throw new WaitAbort(`FreeSWITCH exited ${JSON.stringify(proc.status)}\n${proc.tail()}`);
      return tcpAccepts(eslPort);
    }, timeoutMs, 100);
    // drachtio-fsmrf reads `sofia status` once on connect and fails when the profile is not up yet.
    await waitFor('FreeSWITCH drachtio_mrf profile', async () => {
      if (!proc.alive) throw new WaitAbort(`FreeSWITCH exited ${JSON.stringify(proc.status)}\n${proc.tail()}`);
      return /drachtio_mrf\s+profile\s+sip:mod_sofia@127\.0\.0\.1:\d+\s+RUNNING/.test(await api('sofia status'));
    }, timeoutMs, 200);
  } catch (error) {
    const tail = await logTail();
    await proc.stop(5_000);
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tail}`);
  }

  const fs: Freeswitch = {
    eslPort,
    sipPort,
    secret,
    confDir,
    stateDir,
    recordingsDir: join(stateDir, 'recordings'),
    process: proc,
    connectOptions: { address: '127.0.0.1', port: eslPort, secret, listenAddress: '127.0.0.1' },
    appEnv: { FREESWITCH_HOST: '127.0.0.1', FREESWITCH_PORT: String(eslPort), FREESWITCH_SECRET: secret },
    api,
    channelCount: () => channelCount(fs),
    waitForChannelCount: async (n, ms = 20_000) => {
      try {
        return await waitFor(`FreeSWITCH channel count ${n}`, async () => {
          const count = await channelCount(fs);
          return count === n ? count : undefined;
        }, ms, 200);
      } catch (error) {
        // Which channels stayed, in what state and application, and what FreeSWITCH logged about them.
        const channels = await api('show channels').catch((e: unknown) => `(show channels failed: ${String(e)})`);
        throw new Error(`${(error as Error).message}\n${channels}\n${await logTail()}`, { cause: error });
      }
    },
    logTail,
    stop: () => proc.stop(15_000),
  };
  return fs;
}

/**
 * Environment for `callguard serve` with these FreeSWITCH servers: one as DESIGN gives it (FREESWITCH_HOST,
 * FREESWITCH_PORT), several as a media pool (FREESWITCH_HOSTS); they must share their secret.
 */
export function mediaPoolEnv(servers: readonly Freeswitch[]): Record<string, string> {
  const [first, ...rest] = servers;
  if (!first) return {};
  if (rest.some((fs) => fs.secret !== first.secret)) throw new Error('mediaPoolEnv: a media pool shares one FREESWITCH_SECRET (startFreeswitch({ secret }))');
  if (rest.length === 0) return first.appEnv;
  return { FREESWITCH_HOSTS: servers.map((fs) => `127.0.0.1:${fs.eslPort}`).join(','), FREESWITCH_SECRET: first.secret };
}

/** RMS amplitude and rough frequency of one channel of a WAV (sox `stat`). */
export async function channelStat(file: string, channel: number): Promise<{ rms: number; hz: number }> {
  const { stderr } = await run('sox', [file, '-n', 'remix', String(channel), 'stat']);
  const rms = /RMS\s+amplitude:\s+([\d.]+)/.exec(stderr);
  const hz = /Rough\s+frequency:\s+(\d+)/.exec(stderr);
  if (!rms || !hz) throw new Error(`unexpected sox stat output:\n${stderr}`);
  return { rms: Number(rms[1]), hz: Number(hz[1]) };
}
