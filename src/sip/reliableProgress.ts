import type Srf from 'drachtio-srf';

/** drachtio-srf's `send` with its fifth argument, called with the PRACK; its typings miss it. */
type SendWithPrack = (status: number, reason: string | undefined, opts: { headers?: Record<string, string>; body?: string }, callback: null, onPrack: () => void) => void;

/** How long an answer waits for the PRACK of a reliable 1xx: past the 1xx's third retransmission (RFC 3262 §3, T1 doubling). */
const PRACK_WAIT_MS = 4_000;

/** Whether an INVITE says `Require: 100rel` (RFC 3262): then every 18x it gets must be sent reliably. */
export function requiresReliable(req: { get(name: string): string | undefined }): boolean {
  const require = req.get('require');
  return require !== undefined && require.split(',').some((tag) => tag.trim().toLowerCase() === '100rel');
}

/**
 * The 18x responses to the caller. Plain ones to most callers; to a caller that requires 100rel,
 * each carries `Require: 100rel`, which makes drachtio-server send it reliably with a Contact and
 * hand us the PRACK. Left to the stack alone, such a 1xx went out reliable but without a Contact: the
 * caller could not PRACK it, and the 2xx after a 183 with SDP could not be sent (a 999 never connected).
 * RFC 3262 §3: no second reliable 1xx goes before the first is PRACKed (the latest waits its turn),
 * and no 2xx while a 1xx with SDP is unPRACKed (`acknowledged`).
 */
export class CallerProgress {
  private unacknowledged: Promise<void> | undefined;
  private next: { status: number; body: string | undefined } | undefined;

  constructor(
    private readonly res: Srf.SrfResponse,
    private readonly reliable: boolean,
  ) {}

  send(status: number, body?: string): void {
    if (this.res.finalResponseSent) return;
    if (!this.reliable) {
      this.res.send(status, body === undefined ? {} : { body });
      return;
    }
    if (this.unacknowledged) {
      this.next = { status, body };
      return;
    }
    let pracked!: () => void;
    this.unacknowledged = new Promise<void>((resolve) => (pracked = resolve));
    const onPrack = () => {
      this.unacknowledged = undefined;
      pracked();
      const next = this.next;
      this.next = undefined;
      if (next) this.send(next.status, next.body);
    };
    (this.res.send as unknown as SendWithPrack).call(this.res, status, undefined, { headers: { Require: '100rel' }, ...(body === undefined ? {} : { body }) }, null, onPrack);
  }

  /**
   * A far end's 1xx passed on as ringing (180) when not as early media: ringing, forwarded (181),
   * queued (182, as a busy emergency centre may answer) or progress (183).
   */
  ring(status: number): void {
    if (status >= 180 && status <= 183) this.send(180);
  }

  /** Resolves once the last reliable 1xx is PRACKed, or after `limitMs` (the answer then goes anyway). */
  async acknowledged(limitMs = PRACK_WAIT_MS): Promise<void> {
    if (!this.unacknowledged) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.unacknowledged, new Promise<void>((resolve) => (timer = setTimeout(resolve, limitMs)))]);
    clearTimeout(timer);
  }
}
