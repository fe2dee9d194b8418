/** RFC 4733 event codes some phones send as the signal for * and # (and A to D) rather than the key. */
const EVENT_KEYS: Readonly<Record<string, string>> = { '10': '*', '11': '#', '12': 'A', '13': 'B', '14': 'C', '15': 'D' };

/**
 * Digits a phone sends in SIP INFO instead of RFC 2833: `application/dtmf-relay` (`Signal=5`, or
 * `Signal=10` for * and `Signal=11` for #) or `application/dtmf` (`5`). Anything else yields nothing.
 */
export function infoDigits(contentType: string | undefined, body: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = body ?? '';
  const signal = type === 'application/dtmf-relay' ? /^\s*signal\s*=\s*([0-9*#A-Da-d]|1[0-5])\s*$/im.exec(text)?.[1] : type === 'application/dtmf' ? /^\s*([0-9*#A-Da-d])\s*$/.exec(text)?.[1] : undefined;
  return signal === undefined ? '' : (EVENT_KEYS[signal] ?? signal);
}
