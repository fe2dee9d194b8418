import { appendFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve } from 'node:path';
import type { Plan } from '../policy/plan.js';
import { FILE_MODE, fileCallId, holdPath, recordingFiles, sidecarPath, type Sidecar } from './recordings.js';

/**
 * Recording governance: recordings are fetched only by nominated staff (tokens with the `recordings`
 * role for the recording's service area) for a stated purpose, every access (and refusal) is written
 * to an append-only log, and a recording under legal hold is exempt from the retention sweep.
 */
export const PURPOSES = ['quality', 'training', 'verification', 'dispute', 'abuse'] as const;
export type Purpose = (typeof PURPOSES)[number];

/** A recording as governance sees it; its id is the call's Call-ID. */
export interface GovernedRecording {
  id: string;
  path: string;
  /** Relative to the recording directory, as logs show it. */
  name: string;
  ext: string;
  /** The service area: the recording notice of the recorded extension. */
  area: string | undefined;
  at: number;
}

/** Who is asking, as the token file names them. */
export interface Requester {
  name: string;
  role: string;
  areas?: readonly string[] | undefined;
}

export interface AccessEntry {
  at: string;
  who: string;
  /** get, hold or release. */
  action: 'get' | 'hold' | 'release';
  id: string;
  recording?: string | undefined;
  purpose?: string | undefined;
  reason?: string | undefined;
  outcome: 'granted' | 'refused';
  why?: string | undefined;
}

/** Call-IDs are tokens of printable characters; anything that could name a path is refused outright. */
export function checkId(id: string): string | undefined {
  if (!/^[\x21-\x7e]{1,256}$/.test(id) || id.includes('/') || id.includes('\\') || id.startsWith('.')) return `"${id.slice(0, 80)}" is not a recording id (the call's Call-ID)`;
  return undefined;
}

/**
 * The recording of call `id` under `directory`, found by scanning the layout (the id never becomes a
 * path): the file name holds the Call-ID made file-safe, the sidecar the Call-ID itself.
 */
export async function findRecording(plan: Plan, directory: string, id: string): Promise<GovernedRecording | undefined> {
  const named = fileCallId(id);
  let file;
  for (const f of await recordingFiles(directory, plan.site.timezone)) {
    if (f.kind !== 'wav' || f.callId !== named) continue;
    const sidecar = await readFile(sidecarPath(f.path), 'utf8').then((t) => JSON.parse(t) as Sidecar, () => undefined);
    if (sidecar === undefined || sidecar.callId === id) file = f;
  }
  if (!file) return undefined;
  const ext = plan.extensions.get(file.ext);
  return { id, path: file.path, name: relative(resolve(directory), file.path), ext: file.ext, area: ext?.recordedNotice, at: file.at };
}

/** Why `who` may not have the recording, or undefined when they may. */
export function refusal(who: Requester, recording: GovernedRecording, action: AccessEntry['action']): string | undefined {
  if (action !== 'get' && who.role === 'admin') return undefined;
  if (who.role !== 'recordings') return `role ${who.role} may not ${action} recordings (a recordings token for the service area is needed)`;
  if (recording.area === undefined || !who.areas?.includes(recording.area)) return `${who.name} is not nominated for service area ${recording.area ?? '(none)'}`;
  return undefined;
}

const logPath = (dataDir: string) => join(dataDir, 'recordings-access.jsonl');

/** Appends one entry to the access log: whole lines, 0640, never rewritten. */
export async function logAccess(dataDir: string, entry: AccessEntry): Promise<void> {
  await mkdir(dataDir, { recursive: true });
  await appendFile(logPath(dataDir), `${JSON.stringify(entry)}\n`, { mode: FILE_MODE });
}

/** The access log, oldest first; a line that is not one whole entry (a torn write) is skipped. */
export async function readAccessLog(dataDir: string): Promise<AccessEntry[]> {
  const text = await readFile(logPath(dataDir), 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
  return text.split('\n').flatMap((line) => {
    try {
      const entry = JSON.parse(line) as AccessEntry;
      return typeof entry === 'object' && entry !== null && typeof entry.who === 'string' ? [entry] : [];
    } catch {
      return [];
    }
  });
}

export interface Hold {
  reason: string;
  by: string;
  at: string;
}

export async function holdOf(wav: string): Promise<Hold | undefined> {
  return readFile(holdPath(wav), 'utf8').then(
    (text) => JSON.parse(text) as Hold,
    () => undefined,
  );
}

export async function placeHold(wav: string, hold: Hold): Promise<void> {
  await mkdir(dirname(wav), { recursive: true });
  await writeFile(holdPath(wav), `${JSON.stringify(hold)}\n`, { mode: FILE_MODE });
}

export async function releaseHold(wav: string): Promise<boolean> {
  const held = (await holdOf(wav)) !== undefined;
  await rm(holdPath(wav), { force: true });
  return held;
}

export interface AccessRequest {
  who: Requester;
  id: string;
  action: AccessEntry['action'];
  purpose?: string | undefined;
  reason?: string | undefined;
}

export type AccessOutcome = { ok: true; recording: GovernedRecording } | { ok: false; status: 400 | 403 | 404 | 409; why: string };

/**
 * One governed access (get, hold or release) by `who`, for the CLI and the admin API alike: checked,
 * carried out (holds) and written to the access log whether granted or refused.
 */
export async function requestAccess(plan: Plan, dataDir: string, req: AccessRequest, now = Date.now()): Promise<AccessOutcome> {
  const directory = plan.site.recording.directory;
  const log = (outcome: AccessEntry['outcome'], why?: string, recording?: GovernedRecording) =>
    logAccess(dataDir, { at: new Date(now).toISOString(), who: req.who.name, action: req.action, id: req.id.slice(0, 256), recording: recording?.name, purpose: req.purpose, reason: req.reason, outcome, why });
  const refuse = async (status: 400 | 403 | 404 | 409, why: string, recording?: GovernedRecording): Promise<AccessOutcome> => {
    await log('refused', why, recording);
    return { ok: false, status, why };
  };
  const bad =
    checkId(req.id) ??
    (req.action === 'get' && !(PURPOSES as readonly string[]).includes(req.purpose ?? '') ? `purpose must be one of ${PURPOSES.join(', ')}` : undefined) ??
    (req.action === 'hold' && !req.reason?.trim() ? 'a legal hold needs a reason' : undefined);
  if (bad) return refuse(400, bad);
  const recording = await findRecording(plan, directory, req.id);
  if (!recording) return refuse(404, `no recording of call ${req.id}`);
  const why = refusal(req.who, recording, req.action);
  if (why) return refuse(403, why, recording);
  if (req.action === 'hold') await placeHold(recording.path, { reason: req.reason!.trim(), by: req.who.name, at: new Date(now).toISOString() });
  if (req.action === 'release' && !(await releaseHold(recording.path))) return refuse(409, 'the recording is not under legal hold', recording);
  await log('granted', undefined, recording);
  return { ok: true, recording };
}
