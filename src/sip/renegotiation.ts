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
 * its ACK waits for the requester's ACK, which carries the answer. A refusal is answered as `refused` says.
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
    (error: unknown) => res.send(refused(through, error, before)),
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
  const before = through.local.sdp;
  through.modify(reoffer ? reoffer(offer) : offer).then(
    (sdp) => res.send(200, { body: sdp }),
    (error: unknown) => res.send(refused(through, error, before)),
  );
}

/** drachtio-srf's gate on a dialog's re-INVITEs: one at a time, the next admitted when one completes. */
type ReinviteGate = { _reinvitesInProgress?: { count: number; admitOne: (() => void)[] } };

/**
 * A passed offer the other side refused, or that could not be sent: the session stays as it was, and
 * the requester's answer. drachtio-srf 5.0's Dialog#modify admits the dialog's next re-INVITE only
 * after a 200: after any other final answer every later re-INVITE on the dialog (a resume, a session
 * refresh) would wait forever, so the gate is opened here as drachtio-srf opens it after a 200. A 491
 * (both sides offering at once) goes back as it came, for the requester to try again (RFC 3261
 * §14.1); any other refusal as 488.
 */
function refused(through: Srf.Dialog, error: unknown, before: string | undefined): 488 | 491 {
  through.local.sdp = before as string;
  const status = (error as { status?: unknown } | undefined)?.status;
  if (typeof status !== 'number') return 488;
  const gate = (through as unknown as ReinviteGate)._reinvitesInProgress;
  if (gate && gate.count > 0) {
    gate.count--;
    const next = gate.admitOne.shift();
    if (next) setImmediate(next);
  }
  return status === 491 ? 491 : 488;
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
