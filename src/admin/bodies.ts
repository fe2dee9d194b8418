/**
 * Shapes of the admin API's JSON bodies, checked before anything is touched. The values are then
 * checked again, with the rest of the plan, by the dialplan validator (numbers, users, dates, overlaps).
 */
export class BadBody extends Error {}

type Json = unknown;
const MAX_TEXT = 500;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(name: string, value: Json): string {
  if (typeof value !== 'string' || value.trim() === '') throw new BadBody(`${name} must be a non-empty string`);
  if (value.length > MAX_TEXT) throw new BadBody(`${name} is longer than ${MAX_TEXT} characters`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new BadBody(`${name} must be one line of text`);
  return value.trim();
}

function names(name: string, value: Json): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 1000) throw new BadBody(`${name} must be a non-empty list of strings`);
  return value.map((v, i) => text(`${name}[${i}]`, v));
}

function only(body: Record<string, Json>, allowed: readonly string[], what: string): void {
  const unknown = Object.keys(body).filter((k) => !allowed.includes(k));
  if (unknown.length > 0) throw new BadBody(`unknown field ${unknown.map((k) => JSON.stringify(k.slice(0, 40))).join(', ')} in ${what} (allowed: ${allowed.join(', ')})`);
}

function date(name: string, value: Json): string {
  const t = text(name, value);
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:\d{2})?)?$/.test(t)) throw new BadBody(`${name} must be a date such as 2026-03-01 or 2026-03-01T09:00Z`);
  return t;
}

function digits(name: string, value: Json): string {
  const t = text(name, value);
  if (!/^\+?[0-9]{1,20}$/.test(t)) throw new BadBody(`${name} must be digits, optionally after a +`);
  return t;
}

const LIST_FIELDS = ['number', 'prefix', 'for', 'reason', 'approver', 'from', 'until'] as const;
const GRANT_FIELDS = ['id', 'user', 'worldwide', 'countries', 'prefixes', 'from', 'until', 'reason', 'approver'] as const;

/** An allow/deny entry as the file holds it, keys in the file's order. */
export function listEntryBody(body: Json): Record<string, unknown> {
  if (!isObject(body)) throw new BadBody('the body must be a JSON object');
  only(body, LIST_FIELDS, 'a list entry');
  if ((body.number === undefined) === (body.prefix === undefined)) throw new BadBody('give exactly one of number and prefix');
  const out: Record<string, unknown> = {};
  if (body.number !== undefined) out.number = digits('number', body.number);
  if (body.prefix !== undefined) out.prefix = digits('prefix', body.prefix);
  const f = body.for ?? 'everyone';
  if (f === 'everyone') out.for = 'everyone';
  else if (isObject(f)) {
    only(f, ['users', 'extensions', 'classes'], '"for"');
    const who: Record<string, string[]> = {};
    for (const k of ['users', 'extensions', 'classes'] as const) if (f[k] !== undefined) who[k] = names(`for.${k}`, f[k]);
    if (Object.keys(who).length === 0) throw new BadBody('"for" must be "everyone" or name users, extensions or classes');
    out.for = who;
  } else throw new BadBody('"for" must be "everyone" or an object of users, extensions, classes');
  out.reason = text('reason', body.reason);
  if (body.approver !== undefined) out.approver = text('approver', body.approver);
  if (body.from !== undefined) out.from = date('from', body.from);
  if (body.until !== undefined) out.until = date('until', body.until);
  return out;
}

export function grantBody(body: Json): Record<string, unknown> {
  if (!isObject(body)) throw new BadBody('the body must be a JSON object');
  only(body, GRANT_FIELDS, 'a grant');
  const out: Record<string, unknown> = {};
  if (body.id !== undefined) {
    out.id = text('id', body.id);
    if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(out.id as string)) throw new BadBody('id must be letters, digits, . _ @ - (at most 64)');
  }
  out.user = text('user', body.user);
  if (body.worldwide !== undefined) {
    if (typeof body.worldwide !== 'boolean') throw new BadBody('worldwide must be true or false');
    out.worldwide = body.worldwide;
  }
  if (body.countries !== undefined) out.countries = names('countries', body.countries).map((c) => c.toUpperCase());
  if (body.prefixes !== undefined) out.prefixes = names('prefixes', body.prefixes).map((p, i) => digits(`prefixes[${i}]`, p));
  if (out.worldwide !== true && out.countries === undefined && out.prefixes === undefined) throw new BadBody('a grant needs worldwide, countries or prefixes');
  if (body.from !== undefined) out.from = date('from', body.from);
  if (body.until !== undefined) out.until = date('until', body.until);
  out.reason = text('reason', body.reason);
  out.approver = text('approver', body.approver);
  return out;
}

/** A PATCH: the current entry with the body's fields over it (null removes a field). */
export function merged(current: Record<string, unknown>, patch: Json): Record<string, unknown> {
  if (!isObject(patch)) throw new BadBody('the body must be a JSON object');
  const out: Record<string, unknown> = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}

export function pinBody(body: Json): string {
  if (!isObject(body)) throw new BadBody('the body must be a JSON object');
  only(body, ['pin'], 'a PIN reset');
  if (typeof body.pin !== 'string' || !/^[0-9]{4,12}$/.test(body.pin)) throw new BadBody('pin must be a string of digits');
  return body.pin;
}
