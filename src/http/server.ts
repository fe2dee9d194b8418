import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Metrics } from './metrics.js';

export interface Health {
  /** True when calls can be taken. */
  ok: boolean;
  [part: string]: unknown;
}

export interface HttpDeps {
  health(): Health;
  metrics: Metrics;
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/** `/health` (200 when calls can be taken, else 503) and `/metrics` (Prometheus text). */
export function startHttp(host: string, port: number, deps: HttpDeps): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/health') {
      const health = deps.health();
      return send(res, health.ok ? 200 : 503, 'application/json', `${JSON.stringify(health)}\n`);
    }
    if (path === '/metrics') {
      deps.metrics.registry.metrics().then(
        (text) => send(res, 200, deps.metrics.registry.contentType, text),
        () => send(res, 500, 'text/plain', 'metrics unavailable\n'),
      );
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
