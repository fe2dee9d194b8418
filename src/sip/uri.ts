/** The few SIP URI operations the edge needs, written for speed and for hostile input. */

/** The URI inside a header value such as `"Name" <sip:4101@pbx>;tag=x`, or the value itself when bare. */
export function headerUri(value: string): string {
  const open = value.indexOf('<');
  if (open >= 0) {
    const close = value.indexOf('>', open);
    return close > open ? value.slice(open + 1, close) : '';
  }
  const semi = value.indexOf(';');
  return (semi >= 0 ? value.slice(0, semi) : value).trim();
}

/** The display name of a header value, without quotes; undefined when there is none. */
export function displayName(value: string): string | undefined {
  const open = value.indexOf('<');
  if (open <= 0) return undefined;
  const name = value.slice(0, open).trim().replace(/^"(.*)"$/, '$1').trim();
  return name || undefined;
}

export type UserPart = { ok: true; user: string } | { ok: false; problem: 'unsupported-scheme' | 'no-user' | 'malformed' };

/**
 * The user part of a `sip:`, `sips:` or `tel:` URI, percent-decoded, with user parameters such as
 * `;phone-context=+44` dropped (the classifier reads local and global forms alike) and visual
 * separators left for the classifier to strip.
 */
export function uriUser(uri: string): UserPart {
  const colon = uri.indexOf(':');
  if (colon < 0) return { ok: false, problem: 'malformed' };
  const scheme = uri.slice(0, colon).toLowerCase();
  let user: string;
  if (scheme === 'tel') {
    user = uri.slice(colon + 1);
  } else if (scheme === 'sip' || scheme === 'sips') {
    const at = uri.lastIndexOf('@');
    if (at < 0) return { ok: false, problem: 'no-user' };
    user = uri.slice(colon + 1, at);
    const password = user.indexOf(':');
    if (password >= 0) user = user.slice(0, password);
  } else {
    return { ok: false, problem: 'unsupported-scheme' };
  }
  const param = user.indexOf(';');
  if (param >= 0) user = user.slice(0, param);
  try {
    user = decodeURIComponent(user);
  } catch {
    return { ok: false, problem: 'malformed' };
  }
  return user.length === 0 ? { ok: false, problem: 'no-user' } : { ok: true, user };
}

/** `sip:<user>@host:port;params` from a route written as `sip:host:port;params`. */
export function routeTo(route: string, user: string): string {
  const colon = route.indexOf(':');
  return `${route.slice(0, colon + 1)}${user}@${route.slice(colon + 1)}`;
}
