/**
 * Digits a phone sends in SIP INFO instead of RFC 2833: `application/dtmf-relay` (`Signal=5`) or
 * `application/dtmf` (`5`). Anything else yields nothing.
 */
export function infoDigits(contentType: string | undefined, body: string | undefined): string {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const text = body ?? '';
  const signal = type === 'application/dtmf-relay' ? /^\s*signal\s*=\s*([0-9*#A-Da-d])\s*$/im.exec(text)?.[1] : type === 'application/dtmf' ? /^\s*([0-9*#A-Da-d])\s*$/.exec(text)?.[1] : undefined;
  return signal ?? '';
}
