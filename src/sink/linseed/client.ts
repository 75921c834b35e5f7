import { readFileSync, statSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { z } from 'zod';
import type { LinseedSettings } from './settings.js';

/** A request whose outcome is unknown (no answer, a timeout) or a status worth trying again. */
export class LinseedError extends Error {
  override name = 'LinseedError';
  constructor(
    message: string,
    /** The HTTP status, when Linseed answered. */
    readonly status: number | undefined,
    /** Worth trying again: no answer, 429, 5xx. */
    readonly transient: boolean,
  ) {
    super(message);
  }
}

export const bulkAnswerSchema = z.object({
  total: z.number().int(),
  succeeded: z.number().int(),
  failed: z.number().int(),
  errors: z.array(z.looseObject({ resource: z.string().optional(), type: z.string().optional(), reason: z.string().optional() })).nullish(),
});
export type BulkAnswer = z.infer<typeof bulkAnswerSchema>;

const readAnswerSchema = z.object({
  items: z.array(z.record(z.string(), z.unknown())).nullish(),
  total_hits: z.number().optional(),
  after_key: z.record(z.string(), z.unknown()).nullish(),
});
export type ReadAnswer = z.infer<typeof readAnswerSchema>;

/** Linseed's read query for kube audit logs (linseed.md). */
export interface ReadQuery {
  type: 'kube';
  max_page_size: number;
  sort?: { field: string; descending?: boolean }[];
  time_range?: { from: string; to: string; field?: string };
  after_key?: Record<string, unknown>;
}

const BULK_PATH = '/api/v1/audit/logs/kube/bulk';
const READ_PATH = '/api/v1/audit/logs';

/**
 * Linseed's two audit endpoints over mutual TLS. The bearer token is read from its file for
 * every request, and the keypair and CA are reloaded when their files change, so a rotation by
 * the kubelet or cert-manager applies without a restart. Hand-written on node:https: the
 * client needs per-request TLS material and headers, and nothing more than two POSTs.
 */
export class LinseedClient {
  private agent: { stamp: string; agent: Agent } | undefined;

  constructor(
    private readonly s: LinseedSettings,
    private readonly timeoutMs = 30_000,
  ) {}

  /** NDJSON lines to the bulk endpoint. Throws LinseedError when the outcome is unknown or transient. */
  async bulk(lines: readonly string[], signal: AbortSignal): Promise<{ status: number; answer?: BulkAnswer; body: string }> {
    const { status, body } = await this.post(BULK_PATH, 'application/x-ndjson', `${lines.join('\n')}\n`, signal);
    if (status === 429 || status >= 500) throw new LinseedError(`Linseed answered ${status} to a bulk write: ${snippet(body)}`, status, true);
    if (status !== 200) return { status, body };
    const parsed = bulkAnswerSchema.safeParse(safeJson(body));
    // A 200 we cannot read may still have stored everything: the outcome is unknown.
    if (!parsed.success) throw new LinseedError(`Linseed answered 200 with an unreadable body: ${snippet(body)}`, status, true);
    return { status, answer: parsed.data, body };
  }

  /** One page of the read API. */
  async read(query: ReadQuery, signal: AbortSignal): Promise<ReadAnswer> {
    const { status, body } = await this.post(READ_PATH, 'application/json', JSON.stringify(query), signal);
    if (status !== 200) throw new LinseedError(`Linseed answered ${status} to a read: ${snippet(body)}`, status, status === 429 || status >= 500);
    const parsed = readAnswerSchema.safeParse(safeJson(body));
    if (!parsed.success) throw new LinseedError(`Linseed's read answer is not what its API returns: ${snippet(body)}`, status, false);
    return parsed.data;
  }

  close(): void {
    this.agent?.agent.destroy();
    this.agent = undefined;
  }

  private post(path: string, contentType: string, body: string, signal: AbortSignal): Promise<{ status: number; body: string }> {
    const headers: Record<string, string> = {
      'content-type': contentType,
      authorization: `Bearer ${readFileSync(this.s.tokenFile, 'utf8').trim()}`,
    };
    if (this.s.clusterId) headers['x-cluster-id'] = this.s.clusterId;
    if (this.s.tenantId) headers['x-tenant-id'] = this.s.tenantId;
    const url = new URL(path, `${this.s.endpoint}/`);
    return new Promise((resolve, reject) => {
      const req = request(url, { method: 'POST', agent: this.currentAgent(), headers, signal, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', (err) => reject(new LinseedError(`Linseed's answer broke off: ${err.message}`, undefined, true)));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from Linseed within ${this.timeoutMs / 1000} s`)));
      req.on('error', (err) => {
        if (signal.aborted) reject(err);
        else reject(new LinseedError(`Linseed request failed: ${err.message}`, undefined, true));
      });
      req.end(body);
    });
  }

  /** The agent for the TLS material on disk now (a new one once a file changed). */
  private currentAgent(): Agent {
    const files = [this.s.caFile, this.s.certFile, this.s.keyFile].filter((f): f is string => !!f);
    const stamp = files.map((f) => `${f}:${statSync(f).mtimeMs}`).join('|');
    if (this.agent?.stamp !== stamp) {
      this.agent?.agent.destroy();
      this.agent = {
        stamp,
        agent: new Agent({
          keepAlive: true,
          ca: this.s.caFile ? readFileSync(this.s.caFile) : undefined,
          cert: readFileSync(this.s.certFile),
          key: readFileSync(this.s.keyFile),
        }),
      };
    }
    return this.agent.agent;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function snippet(body: string): string {
  return body.length > 300 ? `${body.slice(0, 300)}…` : body;
}
