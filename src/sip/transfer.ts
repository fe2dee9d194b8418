import type Srf from 'drachtio-srf';
import type { CallContext } from './context.js';
import { decideFor, partyOf } from './onBehalf.js';
import { reasonHeader } from './routing.js';
import { sendableStatus } from './sipStatus.js';
import type { Side } from './session.js';
import { parsedNameAddr, uriUser } from './uri.js';

/**
 * A REFER on a bridged call is decided as a call from the transferring party. A refused transfer gets
 * 403 with the reason; an allowed one is passed to the other party's phone, whose own INVITE for the
 * new call then comes through callguard like any other.
 */
export function handleRefer(ctx: CallContext, side: Side, req: Srf.SrfRequest, res: Srf.SrfResponse, dialogs: { requester: Srf.Dialog; other: Srf.Dialog }): void {
  const { requester, other } = dialogs;
  const referTo = req.get('refer-to');
  const addr = parsedNameAddr(req, 'refer-to');
  const target = addr && uriUser(addr.uri);
  if (!referTo || !target?.ok) {
    res.send(400);
    return;
  }
  const party = partyOf(ctx, side);
  const decision = decideFor(ctx, party, target.user);
  ctx.services.logger.info({ callId: ctx.session.callId, party, referTo: target.user, action: decision.action, reason: decision.reason }, 'transfer decided');
  if (decision.action === 'reject' || decision.action === 'pin-required') {
    res.send(403, { headers: reasonHeader(403, decision.reason) });
    return;
  }
  const headers: Record<string, string> = { 'Refer-To': referTo };
  const referredBy = req.get('referred-by');
  if (referredBy) headers['Referred-By'] = referredBy;
  other.request({ method: 'REFER', headers } as unknown as Srf.SrfRequest).then(
    (answer) => {
      res.send(sendableStatus(answer.status));
      if (answer.status >= 200 && answer.status < 300) relayTransferProgress(other, requester, req);
    },
    () => res.send(503),
  );
}

/**
 * The transferor's REFER was accepted by us, so it waits for NOTIFYs from us (RFC 3515 §2.4.4): the
 * progress the other party reports of the new call (message/sipfrag) goes on to it, in its own dialog,
 * until the subscription ends. Other NOTIFYs are answered as drachtio-srf answers them.
 */
function relayTransferProgress(from: Srf.Dialog, to: Srf.Dialog, refer: Srf.SrfRequest): void {
  // The subscription is the transferor's REFER's: its CSeq number names it (RFC 3515 §2.4.6).
  const id = (refer.getParsedHeader('cseq') as unknown as { seq?: number } | undefined)?.seq;
  const relay = (notify: Srf.SrfRequest, res: Srf.SrfResponse) => {
    res.send(200);
    if (!/^refer\b/i.test(notify.get('event') ?? '')) return;
    const state = notify.get('subscription-state') ?? 'active';
    if (/^terminated/i.test(state)) from.off('notify', relay);
    const headers: Record<string, string> = { Event: id === undefined ? 'refer' : `refer;id=${id}`, 'Subscription-State': state, 'Content-Type': notify.get('content-type') ?? 'message/sipfrag;version=2.0' };
    to.request({ method: 'NOTIFY', headers, body: notify.body } as unknown as Srf.SrfRequest).catch(() => undefined);
  };
  from.on('notify', relay);
}
