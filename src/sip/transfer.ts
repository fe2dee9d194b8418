import type Srf from 'drachtio-srf';
import type { CallContext } from './context.js';
import { decideFor, partyOf } from './onBehalf.js';
import { reasonHeader } from './routing.js';
import { sendableStatus } from './sipStatus.js';
import { cseqOf, transferProgress } from './transferProgress.js';
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
  const progress = transferProgress(other).expect();
  other.request({ method: 'REFER', headers } as unknown as Srf.SrfRequest).then(
    (answer) => {
      res.send(sendableStatus(answer.status));
      if (answer.status >= 200 && answer.status < 300) progress.accepted(cseqOf(answer), requester, cseqOf(req));
      else progress.refused();
    },
    () => {
      progress.refused();
      res.send(503);
    },
  );
}
