import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../packageRoot.js';
import { send } from './respond.js';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

/** Same origin only, no inline script or style: the pages hold no data and no secret, the API does. */
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * A web page's plain files (HTML, CSS, JavaScript modules; no build step), read once from a folder of
 * src/http and served under `prefix`: `prefix` and `prefix/` give index.html, `prefix/<name>.<css|js>` the file.
 */
export function pageFiles(folder: string, prefix: string): (req: IncomingMessage, res: ServerResponse, path: string) => void {
  const cache = new Map<string, Buffer>();
  const fileName = new RegExp(`^${prefix}/([A-Za-z][A-Za-z0-9-]*\\.(?:css|js))$`);
  return (req, res, path) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
    const file = path === prefix || path === `${prefix}/` ? 'index.html' : fileName.exec(path)?.[1];
    if (!file) return send(res, 404, 'text/plain', 'not found\n');
    let body = cache.get(file);
    if (!body) {
      try {
        body = readFileSync(join(packageRoot(), 'src', 'http', folder, file));
      } catch {
        return send(res, 404, 'text/plain', 'not found\n');
      }
      cache.set(file, body);
    }
    send(res, 200, TYPES[file.slice(file.lastIndexOf('.') + 1)]!, body, { 'content-security-policy': CSP });
  };
}
