import { existsSync } from 'node:fs';
import { chmod, mkdir, open, readdir, readFile, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Plan } from '../policy/plan.js';

/**
 * Call recordings on disk (policy 4): `<directory>/<yyyy>/<mm>/<dd>/<ext>-<hhmmss>-<call-id>.wav`, the
 * date and time being the call's start on the site's clocks (`site.timezone`), and beside each WAV a
 * sidecar `<same>.json` saying who, when, which direction, which notice was played and how long the call
 * lasted. Directories are created 0750 and files 0640: recordings are personal data.
 *
 * Retention goes by the start time written in the path, not by the files' mtime: a file copied back
 * from a backup or touched by a tool keeps its age, so nothing outlives `retentionDays` by accident.
 * Files that do not follow the layout are never touched.
 */

export const DIR_MODE = 0o750;
export const FILE_MODE = 0o640;
const DAY_MS = 86_400_000;

export interface RecordingPathInput {
  /** `site.recording.directory`. */
  directory: string;
  /** The recorded extension. */
  ext: string;
  /** When the call started (epoch milliseconds or a Date). */
  at: number | Date;
  callId: string;
  /** `site.timezone`: the date directories and the time in the name are local to the site. */
  timezone: string;
}

/** One formatter per time zone: making one costs a quarter of a millisecond, formatting with it 10 µs. */
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(zone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(zone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, formatter);
  }
  return formatter;
}

/** Local calendar fields of `instant` in `zone`. */
function localParts(instant: number, zone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts = formatterFor(zone).formatToParts(instant);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { y: get('year'), mo: get('month'), d: get('day'), h: get('hour'), mi: get('minute'), s: get('second') };
}

/** Milliseconds `zone` is ahead of UTC at `instant`. */
function offsetMs(instant: number, zone: string): number {
  const p = localParts(instant, zone);
  return Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s) - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant the site's clocks show the given local date and time: in an hour repeated when clocks go
 * back, the earlier of the two; in an hour skipped when they go forward, the instant just after the gap.
 */
export function zonedInstant(y: number, mo: number, d: number, h: number, mi: number, s: number, zone: string): number {
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const before = wall - offsetMs(wall - DAY_MS / 2, zone);
  const after = wall - offsetMs(wall + DAY_MS / 2, zone);
  const fits = [before, after].filter((t) => t + offsetMs(t, zone) === wall);
  return fits.length > 0 ? Math.min(...fits) : before;
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** Characters safe in a file name; anything else in an extension or Call-ID becomes `_`. */
function safe(part: string, extra = ''): string {
  const cleaned = part.replace(new RegExp(`[^A-Za-z0-9.+_${extra}]`, 'g'), '_').replace(/^\.+/, '_');
  return cleaned.slice(0, 96) || '_';
}

/** A Call-ID as its recording's file name holds it. */
export const fileCallId = (callId: string) => safe(callId, '\\-');

/** Where the recording of a call goes; pure (see `prepareRecording` to create its directories). */
export function recordingPath({ directory, ext, at, callId, timezone }: RecordingPathInput): string {
  const p = localParts(typeof at === 'number' ? at : at.getTime(), timezone);
  const name = `${safe(ext)}-${pad(p.h)}${pad(p.mi)}${pad(p.s)}-${fileCallId(callId)}.wav`;
  return join(resolve(directory), String(p.y), pad(p.mo), pad(p.d), name);
}

/** The sidecar JSON of a recording: the WAV's path with `.json` for `.wav`. */
export function sidecarPath(wav: string): string {
  return wav.replace(/\.wav$/, '') + '.json';
}

/**
 * Creates the directories of `path` below the recording directory, each 0750 whatever the umask.
 * Asynchronous: it runs while calls are up, and a recording directory on a stalled mount must not
 * hold the event loop (and every emergency call behind it).
 */
export async function createRecordingDirs(path: string): Promise<void> {
  const dir = dirname(path);
  const first = await mkdir(dir, { recursive: true, mode: DIR_MODE });
  if (first === undefined) return;
  // mkdir returns the first directory it made; give it and each one below it the mode (umask aside).
  for (let d = dir; ; d = dirname(d)) {
    await chmod(d, DIR_MODE);
    if (d === first || d === dirname(d)) break;
  }
}

/** `recordingPath` with its directories created (0750): what the media code calls before `record_session`. */
export async function prepareRecording(input: RecordingPathInput): Promise<string> {
  const path = recordingPath(input);
  await createRecordingDirs(path);
  return path;
}

/** What the sidecar holds; `at` is also the call's start in the file's name. */
/** The legal-hold marker beside a recording (src/media/recordingAccess.ts); its name matches no recording, so scans pass it by. */
export const holdPath = (wav: string) => `${wav}.hold`;

export interface SidecarInput {
  ext: string;
  /** The other party: the number dialled (outbound, internal) or the caller (inbound). */
  other: string;
  direction: 'outbound' | 'inbound' | 'internal';
  /** Id of the recording notice the caller was played, if any (`extra.noticeFailure` says when it was not heard). */
  notice?: string | undefined;
  at: number | Date;
  callId: string;
  /** Connected time in seconds; absent while the call is still going. */
  durationSeconds?: number | undefined;
  /** Anything else the media code wants on record (e.g. `noticeUnavailable: true`). */
  extra?: Record<string, unknown>;
}

export interface Sidecar {
  recording: string;
  ext: string;
  other: string;
  direction: SidecarInput['direction'];
  notice: string | null;
  /** Call start, ISO 8601 UTC. */
  at: string;
  callId: string;
  durationSeconds: number | null;
  [extra: string]: unknown;
}

let sidecarWrites = 0;

/** The sidecar was written, but the WAV beside it could not be brought to 0640. */
export class RecordingModeError extends Error {}

/**
 * Writes (or rewrites) the sidecar of the recording at `wav`, 0640, whole or not at all, creating the
 * directories if need be; also brings the WAV itself to 0640 when it exists (the media server writes it
 * with its own umask), and rejects with RecordingModeError when that fails. Returns the sidecar's path.
 */
export async function writeSidecar(wav: string, meta: SidecarInput): Promise<string> {
  const path = sidecarPath(wav);
  await createRecordingDirs(path);
  const sidecar: Sidecar = {
    recording: basename(wav),
    ext: meta.ext,
    other: meta.other,
    direction: meta.direction,
    notice: meta.notice ?? null,
    at: new Date(meta.at).toISOString(),
    callId: meta.callId,
    durationSeconds: meta.durationSeconds ?? null,
    ...meta.extra,
  };
  // One temp file per write: the start and end writes of a short call overlap.
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${++sidecarWrites}.tmp`);
  const handle = await open(temp, 'w', FILE_MODE);
  try {
    await handle.writeFile(`${JSON.stringify(sidecar, null, 2)}\n`);
    await handle.chmod(FILE_MODE);
  } finally {
    await handle.close();
  }
  await rename(temp, path);
  await chmod(wav, FILE_MODE).catch((error: NodeJS.ErrnoException) => {
    // No WAV yet: the media server creates it once recording starts (the sidecar is written first).
    if (error.code !== 'ENOENT') throw new RecordingModeError(`${wav} could not be made 0640: ${error.message}`);
  });
  return path;
}

/** A recording or sidecar found under the recording directory. */
export interface RecordingFile {
  /** Absolute path. */
  path: string;
  ext: string;
  callId: string;
  /** Call start from the path, epoch milliseconds. */
  at: number;
  kind: 'wav' | 'json';
}

const NAME = /^([^-]+)-(\d{2})(\d{2})(\d{2})-(.+)\.(wav|json)$/;
const YEAR = /^\d{4}$/;
const TWO = /^\d{2}$/;

async function subdirs(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  return entries
    .filter((e) => e.isDirectory() && pattern.test(e.name))
    .map((e) => e.name)
    .sort();
}

/** Every file under `directory` that follows the layout, oldest first, read from the path alone. */
export async function recordingFiles(directory: string, timezone: string): Promise<RecordingFile[]> {
  const root = resolve(directory);
  const found: RecordingFile[] = [];
  for (const y of await subdirs(root, YEAR))
    for (const mo of await subdirs(join(root, y), TWO))
      for (const d of await subdirs(join(root, y, mo), TWO)) {
        const dayDir = join(root, y, mo, d);
        for (const entry of await readdir(dayDir, { withFileTypes: true })) {
          const m = entry.isFile() ? NAME.exec(entry.name) : null;
          if (!m) continue;
          const at = zonedInstant(Number(y), Number(mo), Number(d), Number(m[2]), Number(m[3]), Number(m[4]), timezone);
          found.push({ path: join(dayDir, entry.name), ext: m[1]!, callId: m[5]!, at, kind: m[6] as 'wav' | 'json' });
        }
      }
  return found.sort((a, b) => a.at - b.at || a.path.localeCompare(b.path));
}

/** Something with pino's shape, enough for the sweeper. */
export interface SweepLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface SweepOptions {
  directory: string;
  retentionDays: number;
  timezone: string;
  now?: number;
  /** Say what would go, remove nothing. */
  dryRun?: boolean;
  logger?: SweepLogger;
}

export interface SweepResult {
  /** Files removed (or, in a dry run, that would be), oldest first. */
  removed: string[];
  /** Day, month and year directories removed because they were left empty. */
  removedDirs: string[];
  bytes: number;
  kept: number;
  /** Recordings started before this instant are removed. */
  cutoff: number;
}

/**
 * Removes recordings and sidecars whose call started more than `retentionDays` ago (by the date and
 * time in the path), logging each removal, then the day, month and year directories left empty. The
 * recording directory itself always stays.
 */
export async function sweepRecordings(options: SweepOptions): Promise<SweepResult> {
  const { directory, retentionDays, timezone, dryRun = false, logger } = options;
  const cutoff = (options.now ?? Date.now()) - retentionDays * DAY_MS;
  const root = resolve(directory);
  const result: SweepResult = { removed: [], removedDirs: [], bytes: 0, kept: 0, cutoff };
  const touchedDays = new Set<string>();
  for (const file of await recordingFiles(root, timezone)) {
    // A recording under legal hold stays, with its sidecar, however old.
    if (file.at >= cutoff || existsSync(holdPath(file.kind === 'wav' ? file.path : file.path.replace(/\.json$/, '.wav')))) {
      result.kept++;
      continue;
    }
    const size = await stat(file.path).then(
      (s) => s.size,
      () => 0,
    );
    try {
      if (!dryRun) await rm(file.path, { force: true });
    } catch (error) {
      logger?.error({ file: file.path, err: (error as Error).message }, 'could not remove an expired recording');
      continue;
    }
    result.removed.push(file.path);
    result.bytes += size;
    touchedDays.add(dirname(file.path));
    logger?.info({ file: relative(root, file.path), ext: file.ext, callId: file.callId, startedAt: new Date(file.at).toISOString(), retentionDays, dryRun }, dryRun ? 'recording would be removed (retention)' : 'recording removed (retention)');
  }
  if (!dryRun) {
    // Deepest first: a day, then its month once empty, then its year.
    const candidates = new Set<string>();
    for (const day of touchedDays) for (let d = day; d !== root && d.startsWith(root + sep); d = dirname(d)) candidates.add(d);
    for (const dir of [...candidates].sort((a, b) => b.length - a.length)) {
      const removed = await rmdir(dir).then(
        () => true,
        () => false,
      );
      if (removed) result.removedDirs.push(dir);
    }
  }
  return result;
}

export interface ListedRecording {
  path: string;
  ext: string;
  callId: string;
  /** Call start, epoch milliseconds. */
  at: number;
  /** The sidecar's content, when there is one and it parses. */
  sidecar?: Sidecar | undefined;
}

export interface ListOptions {
  directory: string;
  timezone: string;
  ext?: string | undefined;
  /** Only calls that started at or after this instant. */
  from?: number | undefined;
  /** Only calls that started before this instant. */
  to?: number | undefined;
}

/** Recordings (WAVs) under `directory`, oldest first, filtered by extension and start time. */
export async function listRecordings({ directory, timezone, ext, from, to }: ListOptions): Promise<ListedRecording[]> {
  const files = await recordingFiles(directory, timezone);
  const picked = files.filter((f) => f.kind === 'wav' && (ext === undefined || f.ext === ext) && (from === undefined || f.at >= from) && (to === undefined || f.at < to));
  return Promise.all(
    picked.map(async (f) => {
      const sidecar = await readFile(sidecarPath(f.path), 'utf8').then(
        (text) => JSON.parse(text) as Sidecar,
        () => undefined,
      );
      return { path: f.path, ext: f.ext, callId: f.callId, at: f.at, sidecar };
    }),
  );
}

/**
 * A date an admin types, as an instant: `YYYY-MM-DD` is the start of that day on the site's clocks,
 * `YYYY-MM-DDTHH:MM[:SS]` a local time there; anything with a zone (`Z`, `+01:00`) is taken as written.
 */
export function parseAdminDate(text: string, timezone: string): number {
  const local = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/.exec(text.trim());
  if (local) {
    const [y, mo, d, h, mi, s] = local.slice(1).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60) return zonedInstant(y, mo, d, h, mi, s, timezone);
  } else {
    const instant = Date.parse(text);
    if (/\d{4}-\d{2}-\d{2}T.*(Z|[+-]\d{2}:?\d{2})$/.test(text.trim()) && !Number.isNaN(instant)) return instant;
  }
  throw new Error(`"${text}" is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (the site's time) or an ISO 8601 time with a zone`);
}

export const RETENTION_INTERVAL_MS = 3_600_000;

export interface RetentionTimer {
  /** Runs one sweep now (never two at once); resolves when it is done. */
  sweepNow(): Promise<SweepResult | undefined>;
  stop(): void;
}

/**
 * For `callguard serve`: sweeps the plan's recording directory a minute after start, then hourly,
 * always with the plan in force at that moment (a reload changing retentionDays or the directory is
 * followed). The timers are unref'd, so they never keep the process alive; a failure is logged and
 * the next hour tries again.
 */
export function startRetentionTimer(plan: () => Plan, logger: SweepLogger, intervalMs = RETENTION_INTERVAL_MS, firstDelayMs = 60_000): RetentionTimer {
  let running: Promise<SweepResult | undefined> | undefined;
  const sweepNow = (): Promise<SweepResult | undefined> => {
    running ??= (async () => {
      let directory: string | undefined;
      await null; // `running` is set before anything below can finish
      try {
        const { site } = plan();
        directory = site.recording.directory;
        const result = await sweepRecordings({ directory, retentionDays: site.recording.retentionDays, timezone: site.timezone, logger });
        if (result.removed.length > 0) logger.info({ removed: result.removed.length, bytes: result.bytes, kept: result.kept, retentionDays: site.recording.retentionDays }, 'retention sweep done');
        return result;
      } catch (error) {
        logger.error({ directory, err: (error as Error).message }, 'retention sweep failed');
        return undefined;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
  const first = setTimeout(() => void sweepNow(), firstDelayMs).unref();
  const hourly = setInterval(() => void sweepNow(), intervalMs).unref();
  return {
    sweepNow,
    stop: () => {
      clearTimeout(first);
      clearInterval(hourly);
    },
  };
}
