import Srf from 'drachtio-srf';
import { answerEarlyUpdate, type EarlyUpdates } from './renegotiation.js';
import { quotedContent } from './uri.js';

/**
 * A leg placed for a caller that made no SDP offer (a PBX trunk set to delayed offer, as Cisco CUCM's
 * are by default): its INVITE carries no offer either (none, or a PIDF-LO alone), so the far end
 * offers in its 2xx and the ACK must carry the answer (RFC 3264 §4, RFC 3261 §13.2.2.4). Only the
 * caller can give that answer, in the ACK to the 2xx we send it with the far end's offer, so this leg's
 * ACK waits for it. drachtio-srf's createUAC cannot wait for a body it does not take for "no offer"
 * (a PIDF-LO) and otherwise ACKs with the far end's own offer turned recvonly: media that never flows.
 */
export interface OfferlessLeg {
  dialog: Srf.Dialog;
  /**
   * ACKs the far end's 2xx with `answer`, the caller's, from its own ACK; only the first call sends.
   * Hanging the dialog up first ACKs it without one: a BYE never goes before the ACK.
   */
  ackWith(answer: string | undefined): void;
}

export interface OfferlessRequest {
  headers: Record<string, string>;
  /** The INVITE's body: none, or a part that is no offer (a PIDF-LO). */
  body: string | undefined;
  callingNumber: string;
  callingName?: string | undefined;
}

/** drachtio-srf's request and response events, which its typings leave out. */
type AckFunction = (options?: { body: string }) => void;
type ResponseEmitter = { on(event: 'response', listener: (res: Srf.SrfResponse, ack: AckFunction) => void): void } & EarlyUpdates;
type RequestSender = {
  request(uri: string, options: { method: 'INVITE'; headers: Record<string, string>; body: string | undefined }, sent: (error: unknown, req: Srf.SrfRequest) => void): void;
  addDialog(dialog: Srf.Dialog): void;
};
type DialogConstructor = new (srf: Srf, type: 'uac', options: { req: Srf.SrfRequest; res: Srf.SrfResponse }) => Srf.Dialog;

/** A failure as drachtio-srf's createUAC rejects with one: the final status, and the response. */
export class LegFailure extends Error {
  constructor(
    readonly status: number,
    readonly res: Srf.SrfResponse | undefined,
    reason: string,
  ) {
    super(`${status} ${reason}`);
  }
}

/**
 * Places the INVITE and resolves once the far end has answered, with the dialog and its held ACK;
 * rejects with a `LegFailure` on a final failure. `sent` gets the request (to CANCEL it), `provisional`
 * each 1xx (a reliable one is PRACKed, as createUAC does).
 */
export function placeOfferless(
  srf: Srf,
  uri: string,
  request: OfferlessRequest,
  progress: { sent(req: Srf.SrfRequest): void; provisional(res: Srf.SrfResponse): void },
): Promise<OfferlessLeg> {
  // The caller's number and name as createUAC writes them: drachtio-server puts its own address for localhost.
  const address = `sip:${request.callingNumber}@localhost`;
  const from = request.callingName ? `"${quotedContent(request.callingName)}" <${address}>` : address;
  const headers = { From: from, Contact: from, ...request.headers };
  return new Promise((resolve, reject) => {
    const sent = (error: unknown, req: Srf.SrfRequest) => {
      if (error) {
        reject(error instanceof Error ? error : new Error(String(error)));
        return;
      }
      progress.sent(req);
      (req as unknown as ResponseEmitter).on('update', (update, res) => answerEarlyUpdate(update, res, 488));
      (req as unknown as ResponseEmitter).on('response', (res, ack) => {
        if (res.status < 200) {
          progress.provisional(res);
          if (res.has('RSeq')) ack();
        } else if (res.status >= 300) {
          reject(new LegFailure(res.status, res, res.reason));
        } else {
          answered(req, res, ack);
        }
      });
    };
    const answered = (req: Srf.SrfRequest, res: Srf.SrfResponse, ack: AckFunction) => {
      let acked = false;
      const sendAck = (answer: string | undefined) => {
        if (acked) return;
        acked = true;
        ack(answer ? { body: answer } : undefined);
      };
      let dialog: Srf.Dialog;
      try {
        // A 2xx without Contact leaves nowhere to send the BYE: createUAC answers such a leg 500 too.
        if (!res.has('Contact')) throw new Error('no Contact in the 2xx');
        dialog = new (Srf.Dialog as unknown as DialogConstructor)(srf, 'uac', { req, res });
      } catch (error) {
        sendAck(undefined);
        reject(new LegFailure(500, res, `answer not usable: ${(error as Error).message}`));
        return;
      }
      (srf as unknown as RequestSender).addDialog(dialog);
      const destroy = dialog.destroy.bind(dialog) as (...args: unknown[]) => unknown;
      (dialog as unknown as { destroy: (...args: unknown[]) => unknown }).destroy = (...args) => {
        sendAck(undefined);
        return destroy(...args);
      };
      resolve({
        dialog,
        ackWith: (answer) => {
          if (answer) dialog.local.sdp = answer;
          sendAck(answer);
        },
      });
    };
    (srf as unknown as RequestSender).request(uri, { method: 'INVITE', headers, body: request.body }, sent);
  });
}
