import type Srf from 'drachtio-srf';
import { sdpOfMessage } from './sdpOffer.js';

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
 * its ACK waits for the requester's ACK, which carries the answer. Either failing gets 488.
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
    () => {
      through.local.sdp = before;
      res.send(488);
    },
  );
}

/**
 * An UPDATE on a bridged call. With an offer (a softphone whose address changed) it is passed on as a
 * re-INVITE, which every far end takes, and answered with the answer to that; without one it is a
 * session refresh (RFC 4028), answered here: drachtio-srf would answer an offer with the old SDP.
 */
export function passUpdate(through: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse, reoffer?: Reoffer): void {
  const offer = sdpOfMessage(req);
  if (offer === undefined) res.send(200);
  else passOffer(through, offer, res, reoffer);
}

function passOffer(through: Srf.Dialog, offer: string, res: Srf.SrfResponse, reoffer: Reoffer): void {
  through.modify(reoffer ? reoffer(offer) : offer).then(
    (sdp) => res.send(200, { body: sdp }),
    () => res.send(488),
  );
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
