import type Mrf from 'drachtio-fsmrf';
import type { Plan } from '../policy/plan.js';
import { callPathError } from '../sip/callPathError.js';
import type { CallContext } from '../sip/context.js';

/** Played when a prompt the code asks for is not in the plan: a short beep rather than silence. */
const FALLBACK_TONE = 'tone_stream://%(300,100,600)';
/** UK ringing cadence, while the callee rings behind our media server. */
export const RINGBACK = 'tone_stream://%(400,200,400,450);%(400,2000,400,450);loops=-1';
/** A prompt that never ends (a stuck media server) must not hold a call for ever. */
export const PLAY_LIMIT_MS = 60_000;

export function promptFile(plan: Plan, id: string): string {
  return plan.prompts.get(id)?.audio ?? FALLBACK_TONE;
}

/** Collecting digits ends by FreeSWITCH's own timeouts; this bounds it should they never fire. */
const COLLECT_LIMIT_MS = PLAY_LIMIT_MS + 60_000;

/** Told when a play or a collection failed or never ended on a channel still up; one that went away ends quietly. */
export type PromptFailed = (error: unknown) => void;

/** What the caller should have heard, logged and counted when it was not: a prompt, or a recording notice. */
export function promptFailed(ctx: CallContext, file: string, where: 'prompt' | 'notice' = 'prompt'): PromptFailed {
  const what = where === 'notice' ? 'recording notice could not be played: the call goes on without the caller having heard it' : 'prompt could not be played: the caller did not hear it';
  return (error) => {
    if (!ctx.session.ended) callPathError(ctx.services, where, error, what, { callId: ctx.session.callId, file });
  };
}

/**
 * `work`, or `fallback` once the limit passes or FreeSWITCH ends the endpoint's channel (a command
 * on a channel that went away may never complete). Never rejects.
 */
async function bounded<T>(endpoint: Mrf.Endpoint, work: Promise<T>, fallback: T, limitMs: number, failed: PromptFailed | undefined): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let gone: (() => void) | undefined;
  const fail = (error: unknown) => {
    if (endpoint.connected) failed?.(error);
    return fallback;
  };
  try {
    return await Promise.race([
      work.catch(fail),
      new Promise<T>((resolve) => {
        timer = setTimeout(() => resolve(fail(new Error(`no end from the media server after ${limitMs / 1000} s`))), limitMs);
        gone = () => resolve(fallback);
        endpoint.once('destroy', gone);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (gone) endpoint.off('destroy', gone);
  }
}

/** Resolves when the file has played, the endpoint went away, or the limit passed; never rejects. */
export async function playBounded(endpoint: Mrf.Endpoint, file: string, failed?: PromptFailed): Promise<void> {
  await bounded(endpoint, Promise.resolve().then(async () => void (await endpoint.play(file))), undefined, PLAY_LIMIT_MS, failed);
}

/**
 * Plays a prompt and collects exactly `length` digits (RFC 2833 or SIP INFO, ended early by '#').
 * The digits go to the caller of this function only: they are never logged.
 */
export async function collectDigits(endpoint: Mrf.Endpoint, file: string, length: number, failed?: PromptFailed): Promise<string | undefined> {
  const collecting = Promise.resolve().then(() =>
    endpoint.playCollect({ file, min: length, max: length, tries: 1, timeout: 10_000, digitTimeout: 5_000, terminators: '#', regexp: `\\d{${length}}` }),
  );
  const result = await bounded(endpoint, collecting, undefined, COLLECT_LIMIT_MS, failed);
  return result?.digits && /^\d+$/.test(result.digits) ? result.digits : undefined;
}

/** Stops whatever the endpoint is playing (the ringback when the callee answers). */
export function stopPlaying(endpoint: Mrf.Endpoint): Promise<unknown> {
  return endpoint.api('uuid_break', endpoint.uuid).catch(() => undefined);
}
