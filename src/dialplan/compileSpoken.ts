import { statSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Reason } from '../policy/decision.js';
import type { Spoken } from '../policy/plan.js';
import { uniquelyNamed, type Problems } from './located.js';
import type { Located } from './located.js';
import type { SpokenFile } from './schema.js';

/** Where rendered audio lives, under the dialplan directory: `audio/notices/<id>.wav`, `audio/prompts/<id>.wav`. */
export const RENDERED_AUDIO_DIR = 'audio';

export type SpokenKind = 'notices' | 'prompts';

/** The WAV a notice or prompt plays: its own `audio` (relative to the dialplan directory), else the rendered one. */
export function audioPath(dialplanDir: string, kind: SpokenKind, id: string, audio: string | undefined): string {
  if (audio) return isAbsolute(audio) ? audio : resolve(dialplanDir, audio);
  return resolve(dialplanDir, RENDERED_AUDIO_DIR, kind, `${id}.wav`);
}

/**
 * Every load checks that each notice's and prompt's WAV is there, so a plan never goes live with a
 * notice the media server cannot play: a named `audio` file must exist, and a rendered one must have
 * been rendered (`callguard notices render`) since the notice was added.
 */
function checkAudio(problems: Problems, item: Located<[string, SpokenFile]>, what: string, audio: string): void {
  const isFile = statSync(audio, { throwIfNoEntry: false })?.isFile() ?? false;
  if (isFile) return;
  const [id, spoken] = item.value;
  const inDir = relative(resolve(problems.dirLabel), audio);
  const shown = inDir.startsWith('..') || isAbsolute(inDir) ? audio : join(problems.dirLabel, inDir);
  if (spoken.audio) problems.at(item, ['audio'], `${what} "${id}": audio file ${shown} does not exist (convert a recording with sox to 8 kHz mono WAV, or remove audio: to render the text)`);
  else problems.at(item, [], `${what} "${id}" has no audio: ${shown} is missing; run \`callguard notices render --dialplan ${problems.dirLabel}\` (or name a recording with audio:)`, true);
}

/** Notices or prompts by id, each with its audio file resolved. */
export function compileSpoken(problems: Problems, items: Located<[string, SpokenFile]>[], kind: SpokenKind, dialplanDir: string): Map<string, Spoken> {
  const what = kind === 'notices' ? 'notice' : 'prompt';
  return new Map(
    uniquelyNamed(problems, items, what).map((n): [string, Spoken] => {
      const [id, spoken] = n.value;
      const audio = audioPath(dialplanDir, kind, id, spoken.audio);
      checkAudio(problems, n, what, audio);
      return [id, { text: spoken.text, audio, where: n.file.line(n.path) }];
    }),
  );
}

/** Reason to the prompt that explains it; one prompt per reason. */
export function compileRejectPrompts(problems: Problems, items: Located<[string, SpokenFile & { reasons?: string[] }]>[]): Map<Reason, string> {
  const byReason = new Map<Reason, string>();
  for (const item of items) {
    const [id, prompt] = item.value;
    (prompt.reasons ?? []).forEach((reason, i) => {
      const first = byReason.get(reason as Reason);
      if (first && first !== id) problems.at(item, ['reasons', i], `reason ${reason} already has prompt "${first}"`);
      else byReason.set(reason as Reason, id);
    });
  }
  return byReason;
}
