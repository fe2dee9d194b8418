/**
 * Tiny builders for RFC 3261 request text (CRLF line ends, correct Content-Length),
 * used by tests to feed real SIP message text into the fake drachtio-server.
 *
 * Every builder fills in sensible defaults (Via with a fresh branch, tags, Call-ID,
 * CSeq, Max-Forwards) so a test only states what it cares about.
 */
import { randomBytes } from 'node:crypto';

export const CRLF = '\r\n';

export function randomToken(bytes = 6): string {
  return randomBytes(bytes).toString('hex');
}

export function newBranch(): string {
  return `z9hG4bK${randomToken(8)}`;
}

export function newTag(): string {
  return randomToken(5);
}

export function newCallId(): string {
  return `${randomToken(10)}@test.invalid`;
}

/** Extra headers: a map (value or list of values per name) or an ordered list of [name, value]. */
export type ExtraHeaders = Record<string, string | string[] | undefined> | Array<[string, string]>;

/**
 * Renders "name-addr" from a bare URI, an existing name-addr, or a display-name form, and adds
 * `;tag=` when a tag is given and the value does not carry one already.
 */
export function nameAddr(value: string, tag?: string): string {
  let v = value.trim();
  if (!v.includes('<')) {
    const [uri, ...params] = v.split(';');
    v = `<${uri}>${params.length ? ';' + params.join(';') : ''}`;
  }
  if (tag && !/;\s*tag=/i.test(v)) v += `;tag=${tag}`;
  return v;
}

/** The URI inside a name-addr (or the value itself when it is a bare URI). */
export function uriOf(value: string): string {
  const m = /<([^>]*)>/.exec(value);
  if (m) return m[1]!.trim();
  return value.split(';')[0]!.trim();
}

/** The tag parameter of a From/To value (outside the angle brackets), if any. */
export function tagOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const rest = value.includes('>') ? value.slice(value.lastIndexOf('>') + 1) : value;
  const m = /;\s*tag=([^;\s,]+)/i.exec(rest);
  return m ? m[1] : undefined;
}

export interface RequestSpec {
  method: string;
  ruri: string;
  /** From value (URI or name-addr); a tag is added unless present or fromTag === null. */
  from: string;
  fromTag?: string | null;
  /** To value (URI or name-addr); a tag is added only when toTag is given. */
  to: string;
  toTag?: string;
  callId?: string;
  cseq?: number;
  /** CSeq method when it differs from the request method (never, in RFC 3261; here for completeness). */
  cseqMethod?: string;
  /** Top Via sent-by, e.g. "192.0.2.10:5060"; defaults to 192.0.2.10:5060 over UDP. */
  via?: string;
  viaTransport?: string;
  branch?: string;
  contact?: string;
  maxForwards?: number;
  headers?: ExtraHeaders;
  body?: string;
  contentType?: string;
}

function extraHeaderLines(headers: ExtraHeaders | undefined): string[] {
  if (!headers) return [];
  const lines: string[] = [];
  const entries: Array<[string, string | string[] | undefined]> = Array.isArray(headers)
    ? headers
    : Object.entries(headers);
  for (const [name, value] of entries) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`);
  }
  return lines;
}

/** Generic request builder: returns complete request text with CRLF line ends. */
export function request(spec: RequestSpec): string {
  const method = spec.method.toUpperCase();
  const body = spec.body ?? '';
  const transport = (spec.viaTransport ?? 'UDP').toUpperCase();
  const lines = [
    `${method} ${spec.ruri} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${spec.via ?? '192.0.2.10:5060'};branch=${spec.branch ?? newBranch()};rport`,
    `Max-Forwards: ${spec.maxForwards ?? 70}`,
    `From: ${nameAddr(spec.from, spec.fromTag === null ? undefined : (spec.fromTag ?? newTag()))}`,
    `To: ${nameAddr(spec.to, spec.toTag)}`,
    `Call-ID: ${spec.callId ?? newCallId()}`,
    `CSeq: ${spec.cseq ?? 1} ${(spec.cseqMethod ?? method).toUpperCase()}`,
  ];
  if (spec.contact) lines.push(`Contact: ${nameAddr(spec.contact)}`);
  lines.push(...extraHeaderLines(spec.headers));
  if (body.length > 0) lines.push(`Content-Type: ${spec.contentType ?? 'application/sdp'}`);
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`);
  return lines.join(CRLF) + CRLF + CRLF + body;
}

/** A minimal, valid SDP offer/answer (CRLF line ends). */
export function sdp(opts: { ip?: string; port?: number; sessionId?: number; direction?: string } = {}): string {
  const ip = opts.ip ?? '192.0.2.10';
  const id = opts.sessionId ?? 1000;
  return [
    'v=0',
    `o=- ${id} ${id} IN IP4 ${ip}`,
    's=-',
    `c=IN IP4 ${ip}`,
    't=0 0',
    `m=audio ${opts.port ?? 40000} RTP/AVP 0 8 101`,
    'a=rtpmap:0 PCMU/8000',
    'a=rtpmap:8 PCMA/8000',
    'a=rtpmap:101 telephone-event/8000',
    `a=${opts.direction ?? 'sendrecv'}`,
    '',
  ].join(CRLF);
}

export interface InviteSpec {
  from: string;
  to: string;
  /** Request-URI; defaults to the To URI. */
  ruri?: string;
  /** P-Asserted-Identity value, if any. */
  pai?: string;
  callId?: string;
  fromTag?: string;
  cseq?: number;
  contact?: string;
  via?: string;
  branch?: string;
  /** SDP offer; `null` sends an offer-less INVITE; defaults to sdp(). */
  sdp?: string | null;
  /** The body's Content-Type when it is not plain SDP (a multipart body given as `sdp`). */
  contentType?: string;
  headers?: ExtraHeaders;
}

/** An initial INVITE (no To tag). */
export function invite(spec: InviteSpec): string {
  const extra: Array<[string, string]> = [];
  if (spec.pai) extra.push(['P-Asserted-Identity', nameAddr(spec.pai)]);
  if (spec.headers) {
    const entries = Array.isArray(spec.headers) ? spec.headers : Object.entries(spec.headers);
    for (const [k, v] of entries) {
      if (v === undefined) continue;
      for (const one of Array.isArray(v) ? v : [v]) extra.push([k, one]);
    }
  }
  const contactHost = (spec.via ?? '192.0.2.10:5060');
  return request({
    method: 'INVITE',
    ruri: spec.ruri ?? uriOf(spec.to),
    from: spec.from,
    fromTag: spec.fromTag,
    to: spec.to,
    callId: spec.callId,
    cseq: spec.cseq ?? 1,
    via: spec.via,
    branch: spec.branch,
    contact: spec.contact ?? `sip:${userOf(uriOf(spec.from)) || 'caller'}@${contactHost}`,
    headers: [['Allow', 'INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY, INFO'], ...extra],
    body: spec.sdp === null ? '' : (spec.sdp ?? sdp()),
    contentType: spec.contentType,
  });
}

/** The user part of a SIP URI ("sip:alice@host" → "alice"). */
export function userOf(uri: string): string {
  const m = /^sips?:([^@;]+)@/i.exec(uri);
  return m ? m[1]! : '';
}

/** Fields of an INVITE that a CANCEL or ACK must repeat. */
export interface InviteRef {
  ruri: string;
  from: string; // full From header value, with tag
  to: string; // To header value as in the INVITE (no tag)
  callId: string;
  cseq: number;
  via: string; // the full top Via value of the INVITE (same branch for CANCEL)
}

/** CANCEL for a pending INVITE (same Request-URI, Call-ID, From, To, CSeq number and Via branch). */
export function cancel(ref: InviteRef, opts: { headers?: ExtraHeaders } = {}): string {
  const lines = [
    `CANCEL ${ref.ruri} SIP/2.0`,
    `Via: ${ref.via}`,
    'Max-Forwards: 70',
    `From: ${ref.from}`,
    `To: ${ref.to}`,
    `Call-ID: ${ref.callId}`,
    `CSeq: ${ref.cseq} CANCEL`,
    ...extraHeaderLines(opts.headers),
    'Content-Length: 0',
  ];
  return lines.join(CRLF) + CRLF + CRLF;
}

/** Fields of an established dialog, seen from the side sending the in-dialog request. */
export interface DialogRef {
  /** Remote target (the peer's Contact URI). */
  ruri: string;
  /** Our From value (with our tag). */
  from: string;
  /** Peer's value (with the peer's tag). */
  to: string;
  callId: string;
  cseq: number;
  via?: string;
  contact?: string;
}

/** Any request inside a dialog (BYE, REFER, INFO, re-INVITE, ACK...). */
export function inDialog(method: string, d: DialogRef, opts: { headers?: ExtraHeaders; body?: string; contentType?: string } = {}): string {
  return request({
    method,
    ruri: d.ruri,
    from: d.from,
    fromTag: null,
    to: d.to,
    callId: d.callId,
    cseq: d.cseq,
    via: d.via,
    contact: d.contact,
    headers: opts.headers,
    body: opts.body,
    contentType: opts.contentType,
  });
}

export function bye(d: DialogRef, opts: { headers?: ExtraHeaders } = {}): string {
  return inDialog('BYE', d, opts);
}

export function ack(d: DialogRef, opts: { body?: string } = {}): string {
  return inDialog('ACK', d, opts);
}

export function refer(d: DialogRef & { referTo: string; referredBy?: string }, opts: { headers?: ExtraHeaders } = {}): string {
  const headers: Array<[string, string]> = [['Refer-To', nameAddr(d.referTo)]];
  if (d.referredBy) headers.push(['Referred-By', nameAddr(d.referredBy)]);
  const more = opts.headers ? (Array.isArray(opts.headers) ? opts.headers : Object.entries(opts.headers)) : [];
  for (const [k, v] of more) {
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) headers.push([k, one]);
  }
  return inDialog('REFER', { ...d, contact: d.contact ?? uriOf(d.from) }, { headers });
}
