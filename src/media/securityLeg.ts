import type Srf from 'drachtio-srf';

export interface SecurityLegOptions {
  /** The media server's offer: Security's media goes to FreeSWITCH from the start. */
  sdp: string;
  callingNumber: string;
  callingName: string;
  /** CANCEL when there is no answer by then. */
  answerTimeoutMs: number;
}

export type SecurityLegOutcome = { kind: 'answered'; dialog: Srf.Dialog } | { kind: 'not-answered'; why: string } | { kind: 'abandoned' };

/** One ring of a Security Control phone; `abandon()` CANCELs it (the emergency call ended meanwhile). */
export interface SecurityRing {
  outcome: Promise<SecurityLegOutcome>;
  abandon(): void;
}

/**
 * Rings one Security Control phone with the media server's offer. Not answered in time, refused or
 * abandoned: CANCEL (or, if the answer crossed it, BYE) and say why; never rejects.
 */
export function ringSecurity(srf: Srf, uri: string, options: SecurityLegOptions): SecurityRing {
  let sent: Srf.SrfRequest | undefined;
  let stopped: 'timeout' | 'abandoned' | undefined;
  const stop = (why: 'timeout' | 'abandoned') => {
    if (stopped) return;
    stopped = why;
    if (sent) cancel(sent);
  };
  const timer = setTimeout(() => stop('timeout'), options.answerTimeoutMs);
  const outcome = (async (): Promise<SecurityLegOutcome> => {
    try {
      const dialog = await srf.createUAC(
        uri,
        { localSdp: options.sdp, callingNumber: options.callingNumber, callingName: options.callingName } as Srf.CreateUACOptions,
        {
          // drachtio-srf calls this as (err, req), whatever its typings say.
          cbRequest: ((_err: unknown, req: Srf.SrfRequest | undefined) => {
            sent = req;
            if (stopped && req) cancel(req);
          }) as unknown as (req: Srf.SrfRequest) => void,
        },
      );
      if (!stopped) return { kind: 'answered', dialog };
      dialog.destroy(undefined, () => {});
    } catch (error) {
      if (!stopped) return { kind: 'not-answered', why: `answered ${(error as { status?: number }).status ?? (error as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
    return stopped === 'timeout' ? { kind: 'not-answered', why: `no answer in ${options.answerTimeoutMs / 1000} s` } : { kind: 'abandoned' };
  })();
  return { outcome, abandon: () => stop('abandoned') };
}

function cancel(req: Srf.SrfRequest): void {
  try {
    req.cancel(() => {});
  } catch {
    // the transaction had already ended
  }
}
