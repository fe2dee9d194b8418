import type Srf from 'drachtio-srf';
import type { CallRegistry } from './callRegistry.js';

/** RFC 3891 Replaces: the dialog an INVITE takes the place of, its tags as the INVITE's recipient holds them. */
export interface ReplacedDialog {
  callId: string;
  /** The recipient's own tag in that dialog. */
  toTag: string;
  /** The other party's tag. */
  fromTag: string;
  earlyOnly: boolean;
}

/**
 * `callid *(SEMI replaces-param)` (RFC 3891 §6.1), undefined without a Call-ID and both tags. drachtio-srf
 * has no parser for it; a Call-ID (RFC 3261 `word ["@" word]`) holds no semicolon, so the split is exact.
 */
export function parseReplaces(value: string): ReplacedDialog | undefined {
  const [callId = '', ...params] = value.split(';').map((part) => part.trim());
  const named = new Map(params.map((param) => {
    const eq = param.indexOf('=');
    return eq < 0 ? [param.toLowerCase(), ''] : [param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim()];
  }));
  const toTag = named.get('to-tag');
  const fromTag = named.get('from-tag');
  if (!callId || !toTag || !fromTag) return undefined;
  return { callId, toTag, fromTag, earlyOnly: named.has('early-only') };
}

export function formatReplaces(dialog: ReplacedDialog): string {
  return `${dialog.callId};to-tag=${dialog.toTag};from-tag=${dialog.fromTag}${dialog.earlyOnly ? ';early-only' : ''}`;
}

/** What a new leg carries of its INVITE's Replaces: the header, and whether the caller required the extension. */
export interface LegReplaces {
  header: string;
  /** `Require: replaces` goes on too: a callee that does not support it then refuses (420) rather than ring as a new call. */
  required: boolean;
}

/**
 * The Replaces an INVITE's leg carries, or undefined when the INVITE has none. A transfer completing
 * through callguard (the transferee's INVITE, RFC 5589 §7) names the transferor's dialog with us; the
 * target knows only our other leg of that call, so the header is rewritten to name that leg, with the
 * tags as the target holds them. A dialog not held here (another instance's, or one that never went
 * through callguard) is passed on as written, and the target answers for it.
 */
export function replacesOnLeg(calls: CallRegistry, req: Srf.SrfRequest): LegReplaces | undefined {
  const value = req.get('replaces');
  if (!value) return undefined;
  const required = (req.get('require') ?? '').split(',').some((tag) => tag.trim().toLowerCase() === 'replaces');
  const named = parseReplaces(value);
  // To us, the recipient, to-tag is our tag and from-tag the transferor's (RFC 3891 §3).
  const other = named && calls.otherLeg(named.callId, named.toTag, named.fromTag);
  if (!named || !other) return { header: value, required };
  return { header: formatReplaces({ callId: other.sip.callId, toTag: other.sip.remoteTag, fromTag: other.sip.localTag, earlyOnly: named.earlyOnly }), required };
}
