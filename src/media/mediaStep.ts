/** How long one FreeSWITCH step of a call (a command, a re-INVITE) may take before the call stops waiting. */
export const MEDIA_STEP_TIMEOUT_MS = 10_000;

/**
 * `step`, or a rejection once FreeSWITCH has not completed `what` within the limit: an event socket
 * gone silent (a stalled host, a network dropping packets) answers no command, and nothing else ends
 * the wait.
 */
export function mediaStep<T>(step: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`FreeSWITCH did not complete ${what} within ${MEDIA_STEP_TIMEOUT_MS / 1000} s`)), MEDIA_STEP_TIMEOUT_MS);
  });
  return Promise.race([step, timeout]).finally(() => clearTimeout(timer));
}
