import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { packageRoot } from '../packageRoot.js';
import { send } from './respond.js';

/** The console's files: plain HTML, CSS and a JavaScript module, read once from src/http/console. */
const FILES: Record<string, { file: string; type: string }> = {
  '/console': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/console/console.css': { file: 'console.css', type: 'text/css; charset=utf-8' },
  '/console/console.js': { file: 'console.js', type: 'text/javascript; charset=utf-8' },
};

const cache = new Map<string, Buffer>();

function read(file: string): Buffer {
  let body = cache.get(file);
  if (!body) {
    body = readFileSync(join(packageRoot(), 'src', 'http', 'console', file));
    cache.set(file, body);
  }
  return body;
}

/**
 * The page itself holds no data and no secret, so it is served to anyone who can reach the port;
 * everything it shows comes from the API with the officer's token (role security or admin).
 */
export function serveConsole(req: IncomingMessage, res: ServerResponse, path: string): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
  const entry = FILES[path];
  if (!entry) return send(res, 404, 'text/plain', 'not found\n');
  let body: Buffer;
  try {
    body = read(entry.file);
  } catch {
    return send(res, 404, 'text/plain', 'not found\n');
  }
  send(res, 200, entry.type, body, {
    'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  });
}
