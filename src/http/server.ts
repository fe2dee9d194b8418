import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AdminApi } from './api.js';
import { serveAdmin } from './adminPage.js';
import { serveConsole } from './consolePage.js';
import type { Metrics } from '../audit/metrics.js';
import { json, send } from './respond.js';

export interface Health {
  /** True when calls can be taken. */
  ok: boolean;
  [part: string]: unknown;
}

export interface HttpDeps {
  health(): Health;
  metrics: Metrics;
  /** The admin API, the Security Control console and the web admin; without it only /health and /metrics answer. */
  admin?: AdminApi | undefined;
}

/**
 * `/health` (200 when calls can be taken, else 503), `/metrics` (Prometheus text), and with `admin`
 * the JSON admin API under `/api/`, the Security Control console at `/console` and the web admin at `/admin`.
 */
export function startHttp(host: string, port: number, deps: HttpDeps): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://callguard.invalid');
    } catch {
      return send(res, 400, 'text/plain', 'bad request\n');
    }
    const path = url.pathname;
    if (path === '/health' || path === '/metrics') {
      if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n', { allow: 'GET, HEAD' });
      if (path === '/health') {
        const health = deps.health();
        return send(res, health.ok ? 200 : 503, 'application/json', `${JSON.stringify(health)}\n`);
      }
      deps.metrics.registry.metrics().then(
        (text) => send(res, 200, deps.metrics.registry.contentType, text),
        () => send(res, 500, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    if (deps.admin && (path === '/console' || path.startsWith('/console/'))) return serveConsole(req, res, path);
    if (deps.admin && (path === '/admin' || path.startsWith('/admin/'))) return serveAdmin(req, res, path);
    if (deps.admin && (path === '/api' || path.startsWith('/api/'))) {
      deps.admin.handle(req, res, url).catch(() => json(res, 500, { error: 'internal error' }));
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
