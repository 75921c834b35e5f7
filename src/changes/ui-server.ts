import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { ConfigError } from '../config/errors.js';
import { errorText } from '../error-text.js';
import type { AuditReader } from '../sink/sink.js';
import { iso } from '../time.js';
import { writeReport } from './changes.js';
import { escapeHtml as e, REPORT_CSP } from './html-report.js';
import { parseRequest } from './request.js';

export interface UiServer {
  url: string;
  close(): Promise<void>;
}

/** `host:port` of --listen; a host other than loopback must be allowed explicitly (audit documents carry request bodies). */
export function parseListen(listen: string, allowPodNetwork: boolean): { host: string; port: number; exposed: boolean } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(listen.trim());
  const port = m ? Number(m[3]) : NaN;
  if (!m || port > 65_535) throw new ConfigError('--listen', `must be HOST:PORT (127.0.0.1:8080), got "${listen}"`);
  const host = (m[1] ?? m[2])!;
  const exposed = !['127.0.0.1', 'localhost', '::1'].includes(host);
  if (exposed && !allowPodNetwork) throw new ConfigError('--listen', `${host} is not loopback: audit documents carry request bodies; add --allow-pod-network to serve them there`);
  return { host, port, exposed };
}

const FORM = (error?: string) => `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(REPORT_CSP)}"><title>Who changed what</title>
<style>body{font:14px system-ui,sans-serif;margin:1.5em}label{display:block;margin:.3em 0}.error{color:#b00020}</style></head><body>
<h1>Who changed what</h1>${error ? `<p class="error">${e(error)}</p>` : ''}
<form method="get" action="/">
<label>From <input name="from" value="24h" required> (ISO 8601 or a duration ago)</label>
<label>To <input name="to" value="now"></label>
<label>Resource <input name="resource"></label><label>Namespace <input name="namespace"></label>
<label>Name <input name="name"></label><label>User <input name="user"></label>
<label>Verb <input name="verb" placeholder="create,update,patch,delete"></label>
<label>Look back <input name="lookBack" value="30d"></label>
<label><input type="checkbox" name="keepNoise" value="1"> keep noise</label>
<button>Show</button></form></body></html>`;

/**
 * The change views, live and read-only, on node:http: `GET /` is a form, `GET /?from=…` the
 * report for it, streamed as it is read. Nothing else is served; nothing is written.
 */
export async function startUiServer(opts: { reader: AuditReader; host: string; port: number; log: Logger }): Promise<UiServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    res.setHeader('content-security-policy', REPORT_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('cache-control', 'no-store');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('read-only\n');
      return;
    }
    if (url.pathname !== '/') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const html = { 'content-type': 'text/html; charset=utf-8' };
    const q = Object.fromEntries(url.searchParams);
    if (!q.from) {
      res.writeHead(200, html).end(req.method === 'HEAD' ? undefined : FORM());
      return;
    }
    let r: ReturnType<typeof parseRequest>;
    try {
      r = parseRequest(q);
    } catch (err) {
      res.writeHead(400, html).end(FORM(err instanceof ConfigError ? err.message : 'bad request'));
      return;
    }
    res.writeHead(200, html);
    if (req.method === 'HEAD') return void res.end();
    const abort = new AbortController();
    res.on('close', () => abort.abort());
    const keepNoise = q.keepNoise === '1';
    const header = {
      from: iso(r.from),
      to: iso(r.to),
      store: opts.reader.store,
      cluster: opts.reader.cluster,
      filters: r.filters,
      completeness: { state: 'not-verified', detail: 'the live view does not verify; run `eks-log-forwarder verify` or `changes --html --verify` for the range' } as const,
      lookBack: r.lookBack,
      keepNoise,
      generatedAt: iso(Date.now()),
    };
    // Back-pressure: a slow browser holds the read, not memory.
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await once(res, 'drain', { signal: abort.signal });
    };
    try {
      await writeReport(opts.reader, r, header, write, keepNoise, abort.signal);
    } catch (err) {
      if (!abort.signal.aborted) {
        opts.log.warn({ err: errorText(err) }, 'ui: reading the store failed');
        res.write(`<p class="error">Reading the store failed: ${e(errorText(err))}</p>`);
      }
    }
    res.end();
  };
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((err) => {
      opts.log.warn({ err: errorText(err) }, 'ui request failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  server.listen(opts.port, opts.host);
  await once(server, 'listening');
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}/`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
