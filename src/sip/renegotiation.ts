import type Srf from 'drachtio-srf';
import { sdpOf } from './sdpOffer.js';

/** Dialog#modify with no SDP and `noAck`: drachtio-srf resolves with the far end's offer and its held ACK. */
type ModifyWithoutOffer = (sdp: undefined, options: { noAck: true }) => Promise<{ sdp: string | undefined; ack(answer: string | undefined): void }>;
type AckListener = (event: 'ack', listener: (ack: Srf.SrfRequest) => void) => void;

/**
 * Passes a re-INVITE from one side of a bridged call to `through` (the other side, or this side's own
 * media leg): hold, resume and codec changes. One without an offer (a delayed-offer PBX asking for
 * one, as CUCM does after a transfer) is passed on without one too: `through` offers in its 200, and
 * its ACK waits for the requester's ACK, which carries the answer. Either failing gets 488.
 */
export function passReInvite(requester: Srf.Dialog, through: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse): void {
  const offer = sdpOf(req.get('content-type'), req.body);
  if (offer !== undefined) {
    passOffer(through, offer, res);
    return;
  }
  const before = through.local.sdp;
  (through.modify as unknown as ModifyWithoutOffer)(undefined, { noAck: true }).then(
    ({ sdp, ack }) => {
      (requester.once as unknown as AckListener)('ack', (ackRequest) => {
        const answer = sdpOf(ackRequest.get('content-type'), ackRequest.body);
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
export function passUpdate(through: Srf.Dialog, req: Srf.SrfRequest, res: Srf.SrfResponse): void {
  const offer = sdpOf(req.get('content-type'), req.body);
  if (offer === undefined) res.send(200);
  else passOffer(through, offer, res);
}

function passOffer(through: Srf.Dialog, offer: string, res: Srf.SrfResponse): void {
  through.modify(offer).then(
    (sdp) => res.send(200, { body: sdp }),
    () => res.send(488),
  );
}
