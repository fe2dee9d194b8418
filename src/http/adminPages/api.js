// @ts-check
/**
 * The one way the web admin reaches callguard: the JSON admin API, with the token of this browser tab
 * (sessionStorage) in the Authorization header, never in a URL.
 */

const TOKEN_KEY = 'callguard.admin.token';

export class ApiError extends Error {
  /** @param {number} status @param {string} message @param {any} body */
  constructor(status, message, body) {
    super(message);
    this.status = status;
    this.body = body;
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set: (/** @type {string} */ value) => sessionStorage.setItem(TOKEN_KEY, value),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

/**
 * @param {string} method
 * @param {string} path
 * @param {{body?: unknown, ifMatch?: string, raw?: boolean}} [options]
 * @returns {Promise<any>} the parsed JSON (or the Response when `raw`); throws ApiError with the API's message
 */
export async function api(method, path, options = {}) {
  /** @type {Record<string, string>} */
  const headers = { authorization: `Bearer ${token.get()}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.ifMatch) headers['if-match'] = options.ifMatch;
  const response = await fetch(path, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body), cache: 'no-store' });
  if (response.ok && options.raw) return response;
  const text = await response.text();
  let body;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) {
    if (response.status === 401) document.dispatchEvent(new CustomEvent('callguard:signed-out'));
    throw new ApiError(response.status, body?.error ?? `${response.status} ${response.statusText}`, body);
  }
  return body;
}

/** Query string of the non-empty values. */
export function query(/** @type {Record<string, string | undefined>} */ values) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  const text = q.toString();
  return text ? `?${text}` : '';
}
