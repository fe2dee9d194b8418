import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { audioPath, type SpokenKind } from '../dialplan/compileSpoken.js';
import { formatProblem } from '../dialplan/problem.js';
import { SourceFile } from '../dialplan/sourceFile.js';
import { yamlFiles } from '../dialplan/yamlFiles.js';

/**
 * Renders the text of every notice and prompt that names no `audio` file to the WAV the media server
 * plays (`<dialplan>/audio/<kind>/<id>.wav`): espeak-ng speaks it in a British English voice, sox turns
 * it into 8 kHz mono 16-bit PCM, the format FreeSWITCH plays to a G.711 call without resampling.
 * Beside each WAV, `<id>.wav.txt` holds a hash of the text and of these settings, then the text itself
 * (for whoever wonders what a WAV says); a file whose hash still matches is up to date and left alone.
 */

export const VOICE = 'en-gb';
/** Words per minute: espeak-ng's default is 175; slower is calmer and clearer on a phone. */
export const WORDS_PER_MINUTE = 150;
export const SAMPLE_RATE = 8000;
/** Both tools' arguments, part of each stored hash so a change of settings re-renders everything. */
const ESPEAK_ARGS = ['-v', VOICE, '-s', String(WORDS_PER_MINUTE), '-g', '4'];
/** Mono, 8 kHz, 16-bit signed PCM, peaks normalised to -3 dBFS, a short lead-in and tail of silence. */
const SOX_EFFECTS = ['gain', '-n', '-3', 'pad', '0.15', '0.25'];
const SOX_FORMAT = ['-r', String(SAMPLE_RATE), '-c', '1', '-b', '16', '-e', 'signed-integer'];
const RECIPE = `espeak-ng ${ESPEAK_ARGS.join(' ')} | sox ${SOX_FORMAT.join(' ')} ${SOX_EFFECTS.join(' ')}`;

/** A notice or prompt whose audio is rendered from its text. */
export interface RenderItem {
  kind: SpokenKind;
  id: string;
  text: string;
  /** Absolute path of the WAV. */
  path: string;
}

export interface RenderOutcome extends RenderItem {
  status: 'rendered' | 'up-to-date';
  /** Length of the WAV in seconds. */
  seconds: number;
}

export interface RenderOptions {
  /** Render even the files that are up to date. */
  force?: boolean;
  /** Told about each file as it is done. */
  onItem?: (outcome: RenderOutcome) => void;
}

/** The file beside a rendered WAV that says which text (and settings) it was rendered from. */
export function stampPath(wav: string): string {
  return `${wav}.txt`;
}

function stampFor(text: string): string {
  const hash = createHash('sha256').update(RECIPE).update('\0').update(text).digest('hex');
  return `sha256:${hash}\n# rendered by \`callguard notices render\` (${RECIPE}) from:\n${text}\n`;
}

/**
 * The notices and prompts of the plan in `dialplanDir` that have no `audio` of their own. Only these
 * sections are read, so a plan that is invalid because rendered audio is missing can still be rendered.
 */
export async function itemsToRender(dialplanDir: string): Promise<RenderItem[]> {
  const items = new Map<string, RenderItem>();
  const problems: string[] = [];
  for (const path of await yamlFiles(dialplanDir)) {
    const text = await readFile(path, 'utf8');
    if (!/^(notices|prompts)\s*:/m.test(text)) continue;
    const file = new SourceFile(join(dialplanDir, relative(dialplanDir, path)), text);
    problems.push(...file.problems.map(formatProblem));
    const data = (file.data ?? {}) as Partial<Record<SpokenKind, Record<string, { text?: unknown; audio?: unknown }> | null>>;
    for (const kind of ['notices', 'prompts'] as const) {
      for (const [id, spoken] of Object.entries(data[kind] ?? {})) {
        if (typeof spoken?.text !== 'string') {
          problems.push(`${file.at([kind, id])}: ${kind === 'notices' ? 'notice' : 'prompt'} "${id}" has no text`);
          continue;
        }
        const key = `${kind}/${id}`;
        if (spoken.audio !== undefined || items.has(key)) continue;
        items.set(key, { kind, id, text: spoken.text.trim(), path: audioPath(dialplanDir, kind, id, undefined) });
      }
    }
  }
  if (problems.length > 0) throw new Error(`cannot read the notices and prompts:\n${problems.join('\n')}`);
  return [...items.values()];
}

/** Seconds of audio in a PCM WAV, from its header (the `fmt ` byte rate and the `data` chunk's size). */
export async function wavSeconds(path: string): Promise<number> {
  const buffer = await readFile(path);
  if (buffer.toString('ascii', 0, 4) !== 'RIFF' || buffer.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let byteRate = 0;
  for (let at = 12; at + 8 <= buffer.length; ) {
    const id = buffer.toString('ascii', at, at + 4);
    const size = buffer.readUInt32LE(at + 4);
    if (id === 'fmt ') byteRate = buffer.readUInt32LE(at + 16);
    if (id === 'data' && byteRate > 0) return Math.min(size, buffer.length - at - 8) / byteRate;
    at += 8 + size + (size % 2);
  }
  throw new Error(`${path} has no audio data`);
}

/** Fails with what to install when espeak-ng or sox is not on the PATH. */
export async function checkTools(): Promise<void> {
  const missing: string[] = [];
  for (const [tool, args] of [
    ['espeak-ng', ['--version']],
    ['sox', ['--version']],
  ] as const) {
    await new Promise<void>((resolve) => {
      execFile(tool, args, (error) => {
        if ((error as NodeJS.ErrnoException | null)?.code === 'ENOENT') missing.push(tool);
        resolve();
      });
    });
  }
  if (missing.length > 0) {
    throw new Error(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not installed; rendering notices needs both (Debian/Ubuntu: apt-get install espeak-ng sox)`);
  }
}

function run(tool: string, args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} failed (exit ${code}): ${stderr.trim()}`))));
    child.stdin.end(input ?? '');
  });
}

/** Speaks `text` into `wav` (8 kHz mono 16-bit), written whole or not at all. */
export async function renderText(text: string, wav: string): Promise<void> {
  await mkdir(dirname(wav), { recursive: true });
  const work = await mkdtemp(join(tmpdir(), 'callguard-render-'));
  try {
    const spoken = join(work, 'espeak.wav');
    await run('espeak-ng', [...ESPEAK_ARGS, '-w', spoken, '--stdin'], text);
    const converted = join(dirname(wav), `.${Date.now()}-${process.pid}.tmp.wav`);
    try {
      await run('sox', [spoken, ...SOX_FORMAT, converted, ...SOX_EFFECTS]);
      await rename(converted, wav);
    } finally {
      await rm(converted, { force: true });
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** True when the WAV exists and was rendered from the item's text with the current settings. */
export async function isUpToDate(item: RenderItem): Promise<boolean> {
  const [wav, stamp] = await Promise.all([stat(item.path).catch(() => undefined), readFile(stampPath(item.path), 'utf8').catch(() => undefined)]);
  return wav !== undefined && wav.size > 44 && stamp?.split('\n')[0] === stampFor(item.text).split('\n')[0];
}

/** Renders every notice and prompt of the plan in `dialplanDir` that needs it; returns what it did for each. */
export async function renderSpoken(dialplanDir: string, options: RenderOptions = {}): Promise<RenderOutcome[]> {
  const items = await itemsToRender(dialplanDir);
  const outcomes: RenderOutcome[] = [];
  let checked = false;
  for (const item of items) {
    let status: RenderOutcome['status'] = 'up-to-date';
    if (options.force || !(await isUpToDate(item))) {
      if (!checked) await checkTools();
      checked = true;
      await renderText(item.text, item.path);
      await writeFile(stampPath(item.path), stampFor(item.text));
      status = 'rendered';
    }
    const outcome: RenderOutcome = { ...item, status, seconds: await wavSeconds(item.path) };
    options.onItem?.(outcome);
    outcomes.push(outcome);
  }
  return outcomes;
}
