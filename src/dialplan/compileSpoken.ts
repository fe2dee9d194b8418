import { isAbsolute, resolve } from 'node:path';
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

/** Notices or prompts by id, each with its audio file resolved. */
export function compileSpoken(problems: Problems, items: Located<[string, SpokenFile]>[], kind: SpokenKind, dialplanDir: string): Map<string, Spoken> {
  const what = kind === 'notices' ? 'notice' : 'prompt';
  return new Map(
    uniquelyNamed(problems, items, what).map((n): [string, Spoken] => {
      const [id, spoken] = n.value;
      return [id, { text: spoken.text, audio: audioPath(dialplanDir, kind, id, spoken.audio), where: n.file.line(n.path) }];
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
