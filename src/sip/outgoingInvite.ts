import type Srf from 'drachtio-srf';
import { cancelSafely, safely } from './teardown.js';
import { quotedContent } from './uri.js';

/** An INVITE we send, which may be given up at any moment. */
export interface OutgoingInvite<Leg> {
  /** The answered leg; 'abandoned' as soon as abandon() comes first; rejects as the INVITE fails. */
  answer: Promise<Leg | 'abandoned'>;
  /** CANCELs the INVITE once it may be, and settles `answer` now. */
  abandon(): void;
}

/** Tells the INVITE's sender which request went out, for its CANCEL (drachtio-srf's cbRequest). */
export type SentRequest = (req: Srf.SrfRequest | undefined) => void;

/**
 * RFC 3261 §9.1 allows no CANCEL before the far end's first provisional, so the INVITE to a far end
 * that sends nothing at all runs until Timer B, 32 s. Whoever gave it up goes on without it now; the
 * CANCEL goes when drachtio-server can send it, and an answer that comes after all is hung up.
 */
export function outgoingInvite<Leg extends { dialog: Srf.Dialog }>(send: (sent: SentRequest) => Promise<Leg>): OutgoingInvite<Leg> {
  let request: Srf.SrfRequest | undefined;
  let abandoned = false;
  let giveUp: () => void = () => {};
  const givenUp = new Promise<'abandoned'>((resolve) => (giveUp = () => resolve('abandoned')));
  const placing = send((req) => {
    request = req;
    if (abandoned && req) cancelSafely(req);
  });
  const answer = Promise.race([placing, givenUp]).then((first) => {
    if (first === 'abandoned') placing.then((late) => safely(() => late.dialog.destroy()), () => {});
    return first;
  });
  return {
    answer,
    abandon() {
      if (abandoned) return;
      abandoned = true;
      if (request) cancelSafely(request);
      giveUp();
    },
  };
}

/** What createUAC takes: drachtio-srf's typings miss the caller's number and name it writes into From. */
export type UacOptions = Partial<Srf.CreateUACOptions> & { callingNumber?: string | undefined; callingName?: string | undefined };

/** drachtio-srf's createUAC, telling `sent` the request it sends and `provisional` each 1xx; `callingName` as written. */
export function createUac(srf: Srf, uri: string, options: UacOptions, sent: SentRequest, provisional?: (res: Srf.SrfResponse) => void): Promise<{ dialog: Srf.Dialog }> {
  const named = options.callingName ? { ...options, callingName: quotedContent(options.callingName) } : options;
  return srf
    .createUAC(uri, named as Srf.CreateUACOptions, {
      // drachtio-srf calls this as (err, req), whatever its typings say.
      cbRequest: ((_err: unknown, req: Srf.SrfRequest | undefined) => sent(req)) as unknown as (req: Srf.SrfRequest) => void,
      ...(provisional ? { cbProvisional: provisional } : {}),
    })
    .then((dialog) => ({ dialog }));
}
