/** What Security Control is told: every emergency call, every hotline call, every PIN lockout, every toll-fraud limit reached. */
export type AlertKind = 'emergency' | 'hotline' | 'pin-lockout' | 'fraud';

export interface SecurityAlert {
  kind: AlertKind;
  ext: string;
  name?: string | undefined;
  dialled: string;
  callback: string;
  /** ISO 8601: until then a call to `callback` rings this extension (a PSAP callback number held for it). */
  callbackUntil?: string | undefined;
  location: string;
  /** ISO 8601. */
  at: string;
  callId: string;
  /** What happened after the first alert: a trunk failover, an unanswered hotline. */
  note?: string | undefined;
  /** A follow-up: a responder phoned by the call-out pressed 1 (`by`: the responder as listed in site.security.callOut). */
  callOutAck?: CallOutAck | undefined;
}

export interface CallOutAck {
  by: string;
  /** ISO 8601. */
  at: string;
}

const FIRST_WORD: Record<AlertKind, string> = { emergency: 'EMERGENCY', hotline: 'HOTLINE', 'pin-lockout': 'PIN-LOCKOUT', fraud: 'FRAUD' };

/** What happened in a few words: the first line of every alert's text, an e-mail's subject. */
export function alertHeadline(alert: SecurityAlert): string {
  return `${FIRST_WORD[alert.kind]} ${alert.dialled}`;
}

/** The text/plain body of the SIP MESSAGE: the first word says what happened, then who and where. */
export function alertText(alert: SecurityAlert): string {
  const lines = [
    alertHeadline(alert),
    `extension: ${alert.ext}${alert.name ? ` (${alert.name})` : ''}`,
    `callback: ${alert.callback}${alert.callbackUntil ? ` (reaches this extension until ${alert.callbackUntil})` : ''}`,
    `location: ${alert.location || 'unknown'}`,
    `time: ${alert.at}`,
  ];
  if (alert.note) lines.push(`note: ${alert.note}`);
  if (alert.callOutAck) lines.push(`call-out: acknowledged by ${alert.callOutAck.by} at ${alert.callOutAck.at}`);
  return `${lines.join('\r\n')}\r\n`;
}

/** The Redis stream entry: flat string fields, as `XADD` takes them. */
export function alertFields(alert: SecurityAlert): Record<string, string> {
  const fields: Record<string, string> = {
    kind: alert.kind,
    ext: alert.ext,
    dialled: alert.dialled,
    callback: alert.callback,
    location: alert.location,
    at: alert.at,
    callId: alert.callId,
  };
  if (alert.name) fields.name = alert.name;
  if (alert.callbackUntil) fields.callbackUntil = alert.callbackUntil;
  if (alert.note) fields.note = alert.note;
  if (alert.callOutAck) Object.assign(fields, { callOutAckBy: alert.callOutAck.by, callOutAckAt: alert.callOutAck.at });
  return fields;
}
