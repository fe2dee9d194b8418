import type Srf from 'drachtio-srf';
import { sdpOfMessage } from './sdpOffer.js';
import { timerAnswerHeaders } from './sessionTimer.js';

/** drachtio-srf emits an UPDATE in an early dialog on its INVITE, ours or the caller's; its typings miss it. */
export type EarlyUpdates = { on(event: 'update', listener: (update: Srf.SrfRequest, res: Srf.SrfResponse) => void): void };

/** Dialog#modify with no SDP and `noAck`: drachtio-srf resolves with the far end's offer and its held ACK. */
type ModifyWithoutOffer = (sdp: undefined, options: { noAck: true }) => Promise<{ sdp: string | undefined; ack(answer: string | undefined): void }>;
type AckListener = (event: 'ack', listener: (ack: Srf.SrfRequest) => void) => void;

/** How an offer is put to the other side (an emergency trunk is offered G.711 audio only); as it came when absent. */
type Reoffer = ((offer: string) => string) | undefined;

/**
 * Passes a re-INVITE from one side of a bridged call to `through` (the other side, or this side's own
 * media leg): hold, resume and codec changes. One without an offer (a delayed-offer PBX asking for
 * one, as CUCM does after a transfer) is passed on without one too: `through` offers in its 200, and
 * its ACK waits for the requester's ACK, which carries the answer. A refusal is answered as `refusal` says.
 */
export function passReInvite(requester: Srf.Dialog, through: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse, reoffer?: Reoffer): void {
  const offer = sdpOfMessage(req);
  if (offer !== undefined) {
    passOffer(through, offer, res, reoffer);
    return;
  }
  const before = through.local.sdp;
  (through.modify as unknown as ModifyWithoutOffer)(undefined, { noAck: true }).then(
    ({ sdp, ack }) => {
      (requester.once as unknown as AckListener)('ack', (ackRequest) => {
        const answer = sdpOfMessage(ackRequest);
        through.local.sdp = answer ?? before;
        ack(answer);
      });
      res.send(200, { body: sdp });
    },
    (error: unknown) => {
      takeBack(through, error, before);
      res.send(refusal(error));
    },
  );
}

/**
 * An UPDATE on a bridged call. With an offer (a softphone whose address changed) it is passed on as a
 * re-INVITE, which every far end takes, and answered with the answer to that; without one it is a
 * session refresh (RFC 4028), answered here, with the Session-Expires callguard's timers allow (a
 * refresher whose 2xx has none stops refreshing, RFC 4028 §7.2): drachtio-srf would answer an offer
 * with the old SDP.
 */
export function passUpdate(through: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse, reoffer: Reoffer, sessionExpires: number | undefined): void {
  const offer = sdpOfMessage(req);
  if (offer !== undefined) passOffer(through, offer, res, reoffer);
  else {
    const headers = sessionExpires ? timerAnswerHeaders(req, sessionExpires) : undefined;
    res.send(200, headers && { headers });
  }
}

function passOffer(through: Srf.Dialog, offer: string, res: Srf.SrfResponse, reoffer: Reoffer): void {
  modifySession(through, reoffer ? reoffer(offer) : offer).then(
    (sdp) => res.send(200, { body: sdp }),
    (error: unknown) => res.send(refusal(error)),
  );
}

/**
 * Dialog#modify, after which a refusal leaves the dialog as it was and open to the next re-INVITE:
 * drachtio-srf 5.0 lets a dialog's next re-INVITE through only after a 200, so after any other final
 * answer every later one on that dialog (a resume, a session refresh, an emergency centre's hold)
 * would wait for ever.
 */
export async function modifySession(dialog: Srf.Dialog, offer: string): Promise<string> {
  const before = dialog.local.sdp;
  try {
    return await dialog.modify(offer);
  } catch (error) {
    takeBack(dialog, error, before);
    throw error;
  }
}

/** drachtio-srf's gate on a dialog's re-INVITEs: one at a time, the next admitted when one completes. */
type ReinviteGate = { _reinvitesInProgress?: { count: number; admitOne: (() => void)[] } };

/**
 * An offer refused, or that could not be sent: the dialog's SDP as it was, and after a final answer
 * (a SIP error, which has a status; drachtio-srf opens the gate itself after the others) the gate
 * opened as drachtio-srf opens it after a 200.
 */
function takeBack(dialog: Srf.Dialog, error: unknown, before: string | undefined): void {
  dialog.local.sdp = before as string;
  if (typeof (error as { status?: unknown } | undefined)?.status !== 'number') return;
  const gate = (dialog as unknown as ReinviteGate)._reinvitesInProgress;
  if (!gate || gate.count <= 0) return;
  gate.count--;
  const next = gate.admitOne.shift();
  if (next) setImmediate(next);
}

/** The requester's answer to a refused offer: a 491 (both sides offering at once) as it came, to try again (RFC 3261 §14.1); any other as 488. */
function refusal(error: unknown): 488 | 491 {
  return (error as { status?: unknown } | undefined)?.status === 491 ? 491 : 488;
}

/**
 * An UPDATE from the far end in the early dialog of a leg we placed. Without SDP it is a refresh or a
 * check that the call is still there: 200 with no body (drachtio-srf's createUAC answers with the
 * INVITE's own body, which for a 999 is the PIDF-LO multipart, sent without a Content-Type). With SDP
 * it cannot be answered before the call is: `refusal` is 491 while our offer waits for its answer (RFC
 * 3311 section 5.2), 488 when no offer has been made to build on.
 */
export function answerEarlyUpdate(update: Srf.SrfRequest, res: Srf.SrfResponse, refusal: 488 | 491): void {
  res.send(sdpOfMessage(update) === undefined ? 200 : refusal);
}

/**
 * An UPDATE from the caller in the early dialog. Without SDP (a refresh, or a check that the call is
 * still there) it gets 200 with no body; drachtio-srf would answer 500. With SDP it gets 500 with
 * Retry-After as RFC 3311 section 5.2 asks while the INVITE's own offer awaits its answer in the 2xx.
 */
export function answerCallerEarlyUpdate(update: Srf.SrfRequest, res: Srf.SrfResponse): void {
  if (sdpOfMessage(update) === undefined) res.send(200);
  else res.send(500, { headers: { 'Retry-After': String(Math.floor(Math.random() * 11)) } });
}
