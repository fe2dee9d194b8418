import type Srf from 'drachtio-srf';
import { sendableStatus } from './sipStatus.js';

/** drachtio-srf's `send` with its fifth argument, called with the PRACK; its typings miss it. */
type SendWithPrack = (status: number, reason: string | undefined, opts: { headers?: Record<string, string>; body?: string }, callback: null, onPrack: () => void) => void;

/** How long an answer waits for the PRACK of a reliable 1xx: past the end of its retransmissions, 64*T1 (RFC 3262 §3). */
const PRACK_WAIT_MS = 34_000;

/** The refusal of a caller that never PRACKed its reliable 1xx (RFC 3262 §3). */
export const NO_PRACK = { status: 500, headers: { Reason: 'SIP;cause=500;text="no PRACK for the reliable provisional response"' } } as const;

/** Whether an INVITE says `Require: 100rel` (RFC 3262): then every 18x it gets must be sent reliably. */
export function requiresReliable(req: { get(name: string): string | undefined }): boolean {
  const require = req.get('require');
  return require !== undefined && require.split(',').some((tag) => tag.trim().toLowerCase() === '100rel');
}

/**
 * How the 18x go to a caller: plainly to most; reliably to one that requires 100rel from a trusted
 * source (a PBX, which PRACKs); and not at all to any other caller that requires it. drachtio-server
 * 0.9.10 dies (SIGSEGV) when an INVITE whose reliable 1xx was never PRACKed ends, however it ends, so a
 * phone that never PRACKs would take every call down with it, 999s included. Such a caller hears no
 * ringing and no early media; its calls still connect.
 */
export type ProgressMode = 'plain' | 'reliable' | 'silent';

export function progressMode(req: { get(name: string): string | undefined; source_address: string }, trusted: ReadonlySet<string>): ProgressMode {
  if (!requiresReliable(req)) return 'plain';
  return trusted.has(req.source_address) ? 'reliable' : 'silent';
}

/**
 * The 18x responses to the caller, as its `ProgressMode` says. Reliable ones carry `Require: 100rel`,
 * which makes drachtio-server send them with RSeq and a Contact and hand us the PRACK (left to the
 * stack alone, they went without a Contact, so could not be PRACKed). RFC 3262 §3: no second reliable
 * 1xx goes before the first is PRACKed (the latest waits its turn), and no answer before the PRACK
 * (`acknowledged`).
 */
export class CallerProgress {
  private unacknowledged: Promise<void> | undefined;
  private next: { status: number; body: string | undefined } | undefined;

  constructor(
    private readonly res: Srf.SrfResponse,
    readonly mode: ProgressMode,
  ) {}

  send(farEndStatus: number, body?: string): void {
    if (this.res.finalResponseSent || this.mode === 'silent') return;
    const status = sendableStatus(farEndStatus, body !== undefined);
    if (this.mode === 'plain') {
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

  /**
   * Whether the answer may go: true once the last reliable 1xx is PRACKed (or none was sent); false when
   * its PRACK has not come within `limitMs`, or `gone` resolves first (the caller left). RFC 3262 §3:
   * a caller that never PRACKs is refused with a 5xx (`NO_PRACK`).
   */
  async acknowledged(gone?: Promise<void>, limitMs = PRACK_WAIT_MS): Promise<boolean> {
    if (!this.unacknowledged) return true;
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), limitMs)));
    const left = gone?.then(() => false as const);
    try {
      // A 1xx queued behind the one just PRACKed goes out reliably as that PRACK comes: the answer waits for its PRACK too.
      while (this.unacknowledged) {
        if (!(await Promise.race([this.unacknowledged.then(() => true), limit, ...(left ? [left] : [])]))) return false;
      }
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
