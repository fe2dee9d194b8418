import type Srf from 'drachtio-srf';

/** One accepted REFER's subscription: where its NOTIFYs go, and the id they carry there. */
interface Subscription {
  to: Srf.Dialog;
  /** The transferor's REFER's CSeq number, which names the subscription on its side (RFC 3515 §2.4.6). */
  id: number | undefined;
}

/**
 * The transferor's REFER was accepted by us, so it waits for NOTIFYs from us (RFC 3515 §2.4.4): the
 * progress the other party reports of each new call (message/sipfrag) goes on to it, in its own
 * dialog, until that subscription ends. A NOTIFY names its REFER by our REFER's CSeq (`Event:
 * refer;id=N`); one may come before the REFER's 2xx (RFC 6665 §4.1.2.4), so it is held until then.
 * Other NOTIFYs are answered as drachtio-srf answers them.
 */
class TransferProgress {
  private readonly subscriptions = new Map<number | undefined, Subscription>();
  private early: Srf.SrfRequest[] = [];
  private awaited = 0;

  constructor(from: Srf.Dialog) {
    from.on('notify', (notify: Srf.SrfRequest, res: Srf.SrfResponse) => {
      res.send(200);
      if (/^refer\b/i.test(notify.get('event') ?? '')) this.route(notify);
    });
  }

  /** A REFER is about to go out on `from`; its answer is then `accepted` or `refused`. */
  expect(): { accepted(seq: number | undefined, to: Srf.Dialog, id: number | undefined): void; refused(): void } {
    this.awaited++;
    const answered = () => {
      this.awaited--;
      const early = this.early;
      this.early = [];
      for (const notify of early) this.route(notify);
    };
    return {
      accepted: (seq, to, id) => {
        this.subscriptions.set(seq, { to, id });
        answered();
      },
      refused: answered,
    };
  }

  private route(notify: Srf.SrfRequest): void {
    // Without an id, a NOTIFY belongs to the dialog's only subscription.
    const key = eventId(notify.get('event')) ?? (this.subscriptions.size === 1 ? [...this.subscriptions.keys()][0] : undefined);
    const subscription = this.subscriptions.get(key);
    if (!subscription) {
      if (this.awaited > 0) this.early.push(notify);
      return;
    }
    const state = notify.get('subscription-state') ?? 'active';
    if (/^terminated/i.test(state)) this.subscriptions.delete(key);
    const headers: Record<string, string> = {
      Event: subscription.id === undefined ? 'refer' : `refer;id=${subscription.id}`,
      'Subscription-State': state,
      'Content-Type': notify.get('content-type') ?? 'message/sipfrag;version=2.0',
    };
    subscription.to.request({ method: 'NOTIFY', headers, body: notify.body } as unknown as Srf.SrfRequest).catch(() => undefined);
  }
}

const progressOf = new WeakMap<Srf.Dialog, TransferProgress>();

/** The dialog's one relay of transfer progress, made on its first REFER. */
export function transferProgress(dialog: Srf.Dialog): TransferProgress {
  let progress = progressOf.get(dialog);
  if (!progress) progressOf.set(dialog, (progress = new TransferProgress(dialog)));
  return progress;
}

export function cseqOf(message: Srf.SrfRequest | Srf.SrfResponse): number | undefined {
  return (message.getParsedHeader('cseq') as unknown as { seq?: number } | undefined)?.seq;
}

/** The `id` parameter of an Event header (`refer;id=3`): drachtio-srf has no parser for Event. */
function eventId(event: string | undefined): number | undefined {
  const id = /;\s*id\s*=\s*(\d+)/i.exec(event ?? '')?.[1];
  return id === undefined ? undefined : Number(id);
}
