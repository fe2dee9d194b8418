import { createRequire } from 'node:module';

/** drachtio-srf's own SIP parser, the one behind `getParsedHeader` and `Srf.parseUri`. */
interface SipParser {
  getParser(header: string): (data: { s: string; i: number }) => unknown;
  parseUri(uri: string): ParsedUri | undefined;
}
type ParsedUri = { scheme: 'sip' | 'sips'; user?: string; params: Record<string, string | null> } | { scheme: 'tel'; number: string };

const parser = createRequire(import.meta.url)('drachtio-srf/lib/sip-parser/parser.js') as SipParser;

/** A name-addr or addr-spec as drachtio-srf's parser reads it: the URI, and the display name as written. */
export interface NameAddr {
  uri: string;
  name?: string | undefined;
}

/** Anything that can read a name-addr header of its own: drachtio-srf's request and response. */
export interface ParsedHeaders {
  get(name: string): string | undefined;
  getParsedHeader(name: string): unknown;
}

/**
 * The first name-addr of a header (From, P-Asserted-Identity, Contact, Refer-To, Diversion,
 * History-Info), read by drachtio-srf; undefined when the header is missing or cannot be read.
 */
export function parsedNameAddr(message: ParsedHeaders, header: string): NameAddr | undefined {
  if (!message.get(header)) return undefined;
  try {
    const parsed = message.getParsedHeader(header);
    return asNameAddr(Array.isArray(parsed) ? parsed[0] : parsed);
  } catch {
    // drachtio-srf's parser throws on a value its grammar does not match
    return undefined;
  }
}

/** A header value read with drachtio-srf's name-addr parser, for headers it has no parser of its own for. */
export function nameAddr(value: string): NameAddr | undefined {
  try {
    return asNameAddr(parser.getParser('from')({ s: value, i: 0 }));
  } catch {
    return undefined;
  }
}

/** Every name-addr of a comma-separated header value (Diversion, History-Info), read with drachtio-srf's list parser. */
export function nameAddrList(value: string): NameAddr[] {
  return addressList(value).flatMap((entry) => asNameAddr(entry) ?? []);
}

/** A `<uri>;param=value` entry of a list header, as drachtio-srf's parser reads it. */
export interface UriWithParams {
  uri: string;
  params: Record<string, string>;
}

/** Every `<uri>;params` of a comma-separated header value (Geolocation, RFC 6442 §4.1), any URI scheme. */
export function uriList(value: string): UriWithParams[] {
  return addressList(value).flatMap((entry) => {
    const { uri, params } = entry as { uri?: unknown; params?: unknown };
    return typeof uri === 'string' && uri !== '' ? [{ uri, params: (params ?? {}) as UriWithParams['params'] }] : [];
  });
}

/** drachtio-srf's Contact list parser over any list of addresses; empty when its grammar does not match. */
function addressList(value: string): unknown[] {
  try {
    const parsed = parser.getParser('contact')({ s: value, i: 0 });
    return Array.isArray(parsed) ? parsed : [];
  } catch {
    return [];
  }
}

function asNameAddr(parsed: unknown): NameAddr | undefined {
  const aor = parsed as { uri?: unknown; name?: unknown } | undefined;
  if (!aor || typeof aor.uri !== 'string' || aor.uri === '') return undefined;
  return { uri: aor.uri, name: typeof aor.name === 'string' ? unquoted(aor.name) : undefined };
}

/** A display name without its quotes and quoted-pair escapes (RFC 3261 §25.1); undefined when empty. */
function unquoted(name: string): string | undefined {
  const text = name.startsWith('"') && name.endsWith('"') && name.length >= 2 ? name.slice(1, -1).replace(/\\(.)/g, '$1') : name;
  const trimmed = text.trim();
  return trimmed === '' ? undefined : trimmed;
}

/**
 * A display name as the content of the quoted-string drachtio-srf puts it in (RFC 3261 §25.1): quotes
 * and backslashes escaped, whitespace runs one space, other control characters dropped. Unescaped, a
 * name such as `J"oe` makes drachtio-server refuse the INVITE, and a 999 fail.
 */
export function quotedContent(name: string): string {
  // eslint-disable-next-line no-control-regex
  return name.replace(/\s+/g, ' ').replace(/[\x00-\x1f\x7f]/g, '').replace(/["\\]/g, '\\$&');
}

/**
 * An IPv6 reference ending in dotted IPv4 (`[::ffff:192.0.2.1]`), which RFC 3261's grammar allows and
 * drachtio-srf's URI parser refuses: the user part is read with another host standing in.
 */
const IPV6_WITH_IPV4_TAIL = /@\[[0-9a-f:]*:\d{1,3}(?:\.\d{1,3}){3}\]/i;

export type UserPart = { ok: true; user: string } | { ok: false; problem: 'unsupported-scheme' | 'no-user' | 'malformed' };

/**
 * The user part of a `sip:`, `sips:` or `tel:` URI (parsed by drachtio-srf), percent-decoded, with
 * user parameters such as `;phone-context=+44` dropped (the classifier reads local and global forms
 * alike) and visual separators left for the classifier to strip.
 */
export function uriUser(uri: string): UserPart {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(uri)?.[1]?.toLowerCase();
  if (scheme === undefined) return { ok: false, problem: 'malformed' };
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel') return { ok: false, problem: 'unsupported-scheme' };
  // drachtio-srf matches schemes in lower case only.
  const lower = scheme + uri.slice(scheme.length);
  const parsed = parser.parseUri(lower) ?? parser.parseUri(lower.replace(IPV6_WITH_IPV4_TAIL, '@[::1]'));
  if (!parsed) return { ok: false, problem: 'malformed' };
  let user = parsed.scheme === 'tel' ? parsed.number : parsed.user;
  if (user === undefined) return { ok: false, problem: 'no-user' };
  const param = user.indexOf(';');
  if (param >= 0) user = user.slice(0, param);
  try {
    user = decodeURIComponent(user);
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  return user.length === 0 ? { ok: false, problem: 'no-user' } : { ok: true, user };
}

/** The transport a SIP URI names (`;transport=tcp`), lower case; undefined when it names none. */
export function uriTransport(uri: string): string | undefined {
  const parsed = parser.parseUri(uri);
  return parsed?.scheme === 'tel' ? undefined : parsed?.params.transport?.toLowerCase() ?? undefined;
}

/** `sip:<user>@host:port;params` from a route written as `sip:host:port;params`. */
export function routeTo(route: string, user: string): string {
  const colon = route.indexOf(':');
  return `${route.slice(0, colon + 1)}${user}@${route.slice(colon + 1)}`;
}
