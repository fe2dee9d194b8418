/**
 * A small, independent SIP message parser for the fake drachtio-server.
 * Deliberately not drachtio-srf's parser, so the fake does not hide bugs in it.
 */

const COMPACT: Record<string, string> = {
  i: 'call-id',
  f: 'from',
  t: 'to',
  v: 'via',
  m: 'contact',
  l: 'content-length',
  c: 'content-type',
  k: 'supported',
  s: 'subject',
  e: 'content-encoding',
  r: 'refer-to',
  b: 'referred-by',
  o: 'event',
  x: 'session-expires',
  u: 'allow-events',
};

export function canonicalHeaderName(name: string): string {
  const n = name.trim().toLowerCase();
  return COMPACT[n] ?? n;
}

export class SipParseError extends Error {}

export class ParsedSip {
  readonly kind: 'request' | 'response';
  readonly method?: string;
  readonly uri?: string;
  readonly status?: number;
  readonly reason?: string;
  /** Header lines in order, names as written. */
  readonly headerList: ReadonlyArray<{ name: string; value: string }>;
  readonly body: string;
  readonly raw: string;

  constructor(init: {
    kind: 'request' | 'response';
    method?: string;
    uri?: string;
    status?: number;
    reason?: string;
    headerList: Array<{ name: string; value: string }>;
    body: string;
    raw: string;
  }) {
    this.kind = init.kind;
    this.method = init.method;
    this.uri = init.uri;
    this.status = init.status;
    this.reason = init.reason;
    this.headerList = init.headerList;
    this.body = init.body;
    this.raw = init.raw;
  }

  /** All values of a header (one per header line), case-insensitive, compact forms understood. */
  getAll(name: string): string[] {
    const want = canonicalHeaderName(name);
    return this.headerList.filter((h) => canonicalHeaderName(h.name) === want).map((h) => h.value);
  }

  /** First value of a header, or undefined. */
  get(name: string): string | undefined {
    return this.getAll(name)[0];
  }

  has(name: string): boolean {
    return this.getAll(name).length > 0;
  }

  /** Headers as a plain object: canonical lower-case name → values. */
  get headers(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const h of this.headerList) {
      const n = canonicalHeaderName(h.name);
      (out[n] ??= []).push(h.value);
    }
    return out;
  }

  get callId(): string | undefined {
    return this.get('call-id');
  }

  get cseq(): { seq: number; method: string } | undefined {
    const v = this.get('cseq');
    const m = v ? /^\s*(\d+)\s+(\S+)/.exec(v) : null;
    return m ? { seq: Number(m[1]), method: m[2]!.toUpperCase() } : undefined;
  }
}

const REQUEST_LINE = /^([A-Za-z][A-Za-z0-9.!%*_+`'~-]*) (\S+) SIP\/2\.0$/;
const STATUS_LINE = /^SIP\/2\.0 (\d{3})(?: (.*))?$/;

/**
 * Parses SIP text. Throws SipParseError on anything that is not a well-formed SIP message.
 * `requireMandatory` also demands the RFC 3261 §8.1.1 headers (Via, From, To, Call-ID, CSeq)
 * and a CSeq consistent with the method, as a SIP stack would before passing a request up.
 */
export function parseSip(text: string, opts: { requireMandatory?: boolean } = {}): ParsedSip {
  if (typeof text !== 'string' || text.length === 0) throw new SipParseError('empty message');
  let sep = text.indexOf('\r\n\r\n');
  let sepLen = 4;
  if (sep < 0) {
    const lf = text.indexOf('\n\n');
    if (lf >= 0) {
      sep = lf;
      sepLen = 2;
    }
  }
  const head = sep >= 0 ? text.slice(0, sep) : text;
  let body = sep >= 0 ? text.slice(sep + sepLen) : '';
  const lines = head.split(/\r?\n/);
  const startLine = lines.shift() ?? '';

  const headerList: Array<{ name: string; value: string }> = [];
  for (const line of lines) {
    if (/^[ \t]/.test(line)) {
      const last = headerList[headerList.length - 1];
      if (!last) throw new SipParseError('continuation line before any header');
      last.value += ' ' + line.trim();
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line: ${JSON.stringify(line)}`);
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(name)) throw new SipParseError(`malformed header name: ${JSON.stringify(name)}`);
    headerList.push({ name, value: line.slice(colon + 1).trim() });
  }

  let msg: ParsedSip;
  const rq = REQUEST_LINE.exec(startLine);
  const st = STATUS_LINE.exec(startLine);
  if (rq) {
    msg = new ParsedSip({ kind: 'request', method: rq[1]!.toUpperCase(), uri: rq[2]!, headerList, body, raw: text });
  } else if (st) {
    msg = new ParsedSip({ kind: 'response', status: Number(st[1]), reason: st[2] ?? '', headerList, body, raw: text });
  } else {
    throw new SipParseError(`malformed start line: ${JSON.stringify(startLine.slice(0, 80))}`);
  }

  const cl = msg.get('content-length');
  if (cl !== undefined) {
    if (!/^\d+$/.test(cl)) throw new SipParseError(`bad Content-Length: ${cl}`);
    const n = Number(cl);
    const buf = Buffer.from(body, 'utf8');
    if (buf.length < n) throw new SipParseError(`body shorter than Content-Length (${buf.length} < ${n})`);
    body = buf.subarray(0, n).toString('utf8');
    (msg as { body: string }).body = body;
  }

  if (opts.requireMandatory) {
    for (const h of ['via', 'from', 'to', 'call-id', 'cseq']) {
      if (!msg.has(h)) throw new SipParseError(`missing mandatory header ${h}`);
    }
    const cseq = msg.cseq;
    if (!cseq) throw new SipParseError('malformed CSeq');
    if (msg.kind === 'request' && cseq.method !== msg.method) throw new SipParseError('CSeq method does not match request method');
    if (msg.kind === 'request' && !/^[a-z][a-z0-9+.-]*:/i.test(msg.uri!)) throw new SipParseError('malformed Request-URI');
  }
  return msg;
}

/** Serialises a start line, header lines and body with CRLF and a correct Content-Length. */
export function serialiseSip(startLine: string, headers: Array<{ name: string; value: string }>, body: string): string {
  const lines = [startLine];
  for (const h of headers) {
    if (canonicalHeaderName(h.name) === 'content-length') continue;
    lines.push(`${h.name}: ${h.value}`);
  }
  lines.push(`Content-Length: ${Buffer.byteLength(body, 'utf8')}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}
