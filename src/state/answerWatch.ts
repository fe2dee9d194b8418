/** How often a connection that says it is up is asked to answer, and how long it has to. */
export const ANSWER_WATCH = { everyMs: 2_000, timeoutMs: 5_000 };

/**
 * Watches that a server still answers: a PING every `everyMs` while the connection is up, and
 * `silent()` when one has had no reply within `timeoutMs`. A server that takes bytes but never answers
 * (hung, or cut off by the network without a reset) raises no error, so without this every command
 * sent it (an alert's XADD, a state change) would wait for ever. A PING refused with an error is an
 * answer.
 */
export function watchAnswers(connection: { up(): boolean; ping(): Promise<unknown>; silent(): void }, timing = ANSWER_WATCH): { stop(): void } {
  let waiting = false;
  const check = async () => {
    if (waiting || !connection.up()) return;
    waiting = true;
    let timer: NodeJS.Timeout | undefined;
    const silence = new Promise<'silent'>((resolve) => (timer = setTimeout(() => resolve('silent'), timing.timeoutMs)));
    try {
      const heard = await Promise.race([connection.ping().then(() => 'answered' as const, () => 'answered' as const), silence]);
      if (heard === 'silent' && connection.up()) connection.silent();
    } finally {
      clearTimeout(timer);
      waiting = false;
    }
  };
  const every = setInterval(() => void check(), timing.everyMs).unref();
  return { stop: () => clearInterval(every) };
}
