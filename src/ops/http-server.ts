import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { errorText as safeErrorText } from '../error-text.js';
import { DEFAULT_MAX_STALL_MS, type Health } from './health.js';

/** Port of the ops endpoints unless EKS_FORWARDER_HTTP_PORT / --http-port say otherwise. */
export const DEFAULT_OPS_PORT = 9090;

export interface OpsServerOptions {
  /** 0 picks a free port. */
  port: number;
  /** Default 0.0.0.0 (probes and scrapes come from outside the pod). */
  host?: string;
  health: Health;
  registry: Registry;
  /** The body of `GET /status` (see `statusSnapshot`). */
  statusJson: () => object;
  /** `/healthz` fails once the loop showed no activity for this long (default 5 min). */
  maxStallMs?: number;
}

export interface OpsServer {
  /** The port actually bound (useful with port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * The ops endpoints on plain node:http:
 * `GET /healthz` (200 live / 503 stalled), `GET /readyz` (200 / 503, JSON reasons),
 * `GET /metrics` (Prometheus text) and `GET /status` (JSON). Anything else is 404.
 */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const maxStallMs = opts.maxStallMs ?? DEFAULT_MAX_STALL_MS;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const route = ROUTES[path];
    if (!route) return send(res, req, 404, json({ error: `not found: ${path}`, endpoints: Object.keys(ROUTES) }));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, req, 405, json({ error: `method ${req.method} not allowed` }));
    }
    switch (route) {
      case 'healthz': {
        const live = opts.health.live(undefined, maxStallMs);
        return send(res, req, live.live ? 200 : 503, json({ live: live.live, lastActivityAt: live.lastActivityAt, ...(live.reason ? { reason: live.reason } : {}) }));
      }
      case 'readyz': {
        const ready = opts.health.ready();
        return send(res, req, ready.ready ? 200 : 503, json({ ready: ready.ready, reasons: ready.reasons, role: opts.health.role }));
      }
      case 'metrics': {
        const text = await opts.registry.metrics();
        return send(res, req, 200, { body: text, type: opts.registry.contentType });
      }
      case 'status':
        return send(res, req, 200, json(opts.statusJson()));
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) send(res, req, 500, json({ error: safeErrorText(err) }));
      else res.destroy();
    });
  });
  // Probes must never hang on a slow client.
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '0.0.0.0', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

const ROUTES: Record<string, 'healthz' | 'readyz' | 'metrics' | 'status'> = {
  '/healthz': 'healthz',
  '/readyz': 'readyz',
  '/metrics': 'metrics',
  '/status': 'status',
};

function json(value: unknown): { body: string; type: string } {
  return { body: `${JSON.stringify(value, null, 2)}\n`, type: 'application/json; charset=utf-8' };
}

function send(res: ServerResponse, req: IncomingMessage, status: number, payload: { body: string; type: string }): void {
  res.statusCode = status;
  res.setHeader('content-type', payload.type);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', Buffer.byteLength(payload.body));
  res.end(req.method === 'HEAD' ? undefined : payload.body);
}
