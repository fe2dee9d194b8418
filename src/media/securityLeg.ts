import type Srf from 'drachtio-srf';
import { createUac, outgoingInvite } from '../sip/outgoingInvite.js';
import { safely } from '../sip/teardown.js';

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
 * abandoned: CANCEL (or, if the answer crossed it, BYE) and say why at once; never rejects.
 */
export function ringSecurity(srf: Srf, uri: string, options: SecurityLegOptions): SecurityRing {
  const invite = outgoingInvite((sent) => createUac(srf, uri, { localSdp: options.sdp, callingNumber: options.callingNumber, callingName: options.callingName }, sent));
  let stopped: 'timeout' | 'abandoned' | undefined;
  const stop = (why: 'timeout' | 'abandoned') => {
    if (stopped) return;
    stopped = why;
    invite.abandon();
  };
  const timer = setTimeout(() => stop('timeout'), options.answerTimeoutMs);
  const outcome = (async (): Promise<SecurityLegOutcome> => {
    try {
      const answer = await invite.answer;
      if (answer !== 'abandoned') {
        if (!stopped) return { kind: 'answered', dialog: answer.dialog };
        safely(() => answer.dialog.destroy());
      }
    } catch (error) {
      if (!stopped) return { kind: 'not-answered', why: `answered ${(error as { status?: number }).status ?? (error as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
    return stopped === 'timeout' ? { kind: 'not-answered', why: `no answer in ${options.answerTimeoutMs / 1000} s` } : { kind: 'abandoned' };
  })();
  return { outcome, abandon: () => stop('abandoned') };
}
