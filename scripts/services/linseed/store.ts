// Linseed's storage layout in Elasticsearch, emulated:
//   per cluster (the default): a write alias `tigera_secure_ee_audit_kube.<cluster>.` over
//     `tigera_secure_ee_audit_kube.<cluster>.fluentd-<yyyyMMdd>-000001` (later ones by rollover,
//     which ILM does in a real install); readers use `tigera_secure_ee_audit_kube.<cluster>.*`;
//   single index (multi-tenant): the alias `calico_auditlogs.` for every tenant and cluster,
//     with `tenant`, `cluster` and `audit_type: kube` in each document.
// Documents are indexed with no `_id`: Elasticsearch chooses one, so a line sent twice is stored
// twice, as with Linseed.
import type { Client } from '@elastic/elasticsearch';
import { z } from 'zod';
import { DEFAULT_PAGE_SIZE, type BulkError, type ReadParams, type ReadResponse } from './api.js';

type Doc = Record<string, unknown>;

const keyword = { type: 'keyword' } as const;
const off = { type: 'object', enabled: false } as const;
const user = { properties: { username: keyword, uid: keyword, groups: keyword, extra: { type: 'flattened' } } } as const;

/**
 * What Calico's readers rely on (see the report for what is assumed): identifiers keyword,
 * `stage` text (so one stage per query), timestamps date, request and response bodies not
 * indexed so any object stores. `dynamic: false` so no document can fail on a mapping conflict.
 */
export const AUDIT_MAPPINGS = {
  dynamic: false,
  properties: {
    kind: keyword,
    apiVersion: keyword,
    level: keyword,
    auditID: keyword,
    stage: { type: 'text' },
    requestURI: { type: 'keyword', ignore_above: 8191 },
    verb: keyword,
    user,
    impersonatedUser: user,
    sourceIPs: keyword,
    userAgent: { type: 'keyword', ignore_above: 1024 },
    objectRef: {
      properties: { resource: keyword, namespace: keyword, name: keyword, uid: keyword, apiGroup: keyword, apiVersion: keyword, resourceVersion: keyword, subresource: keyword },
    },
    responseStatus: {
      properties: { kind: keyword, apiVersion: keyword, metadata: off, status: keyword, message: { type: 'text' }, reason: keyword, details: off, code: { type: 'integer' } },
    },
    requestObject: off,
    responseObject: off,
    requestReceivedTimestamp: { type: 'date' },
    stageTimestamp: { type: 'date' },
    annotations: { type: 'flattened' },
    name: keyword,
    cluster: keyword,
    generated_time: { type: 'date' },
    tenant: keyword,
    audit_type: keyword,
  },
} as const;

export const kubeAuditAlias = (cluster: string): string => `tigera_secure_ee_audit_kube.${cluster}.`;
export const SINGLE_INDEX_ALIAS = 'calico_auditlogs.';

const yyyyMMdd = (d: Date): string => d.toISOString().slice(0, 10).replace(/-/g, '');

export interface StoreOptions {
  /** Multi-tenant Linseed: the single-index layout. */
  tenant?: string;
  /** Bulk `refresh` (Linseed does not refresh: documents become visible at the next refresh, about 1 s). */
  refresh?: boolean | 'wait_for';
  /**
   * How `after_key` pages: `search_after` (a point in time, stable under concurrent writes) or
   * `startFrom` (an offset: from/size, limited to 10,000 documents by Elasticsearch).
   */
  paging: 'search_after' | 'startFrom';
}

export type ItemOutcome = { ok: true } | { ok: false; error: BulkError };

const SearchAfterKey = z.object({ pit_id: z.string(), search_after: z.array(z.unknown()), seen: z.number().int().nonnegative() });
const StartFromKey = z.object({ startFrom: z.number().int().nonnegative() });

/** The client sent an after_key this emulator did not make (Linseed answers 400). */
export class BadAfterKey extends Error {}

export class AuditStore {
  private readonly bootstrapped = new Map<string, Promise<void>>();

  constructor(private readonly es: Client, private readonly opts: StoreOptions) {}

  get singleIndex(): boolean {
    return this.opts.tenant !== undefined;
  }

  writeAlias(cluster: string): string {
    return this.singleIndex ? SINGLE_INDEX_ALIAS : kubeAuditAlias(cluster);
  }

  /** Where readers look for a cluster's kube audit logs (or EE audit logs, for type `ee`). */
  readPattern(cluster: string, type: 'kube' | 'ee' = 'kube'): string {
    if (this.singleIndex) return `${SINGLE_INDEX_ALIAS}*`;
    return `tigera_secure_ee_audit_${type}.${cluster}.*`;
  }

  /** The first index behind the alias, named for the day it is made, as Linseed's bootstrap does. */
  private firstIndex(alias: string): string {
    const base = this.singleIndex ? 'calico_auditlogs.linseed' : `${alias}fluentd`;
    return `${base}-${yyyyMMdd(new Date())}-000001`;
  }

  /** Create index and write alias when missing (once per alias per emulator; concurrent writers share the work). */
  private ensureAlias(alias: string): Promise<void> {
    let p = this.bootstrapped.get(alias);
    if (!p) {
      p = this.bootstrap(alias).catch((e: unknown) => {
        this.bootstrapped.delete(alias);
        throw e;
      });
      this.bootstrapped.set(alias, p);
    }
    return p;
  }

  private async bootstrap(alias: string): Promise<void> {
    if (await this.es.indices.existsAlias({ name: alias })) return;
    try {
      await this.es.indices.create({
        index: this.firstIndex(alias),
        aliases: { [alias]: { is_write_index: true } },
        settings: { number_of_shards: 1, number_of_replicas: 0 },
        mappings: AUDIT_MAPPINGS,
      });
    } catch (e) {
      // Another emulator (or test run) made it meanwhile.
      if (errorType(e) !== 'resource_already_exists_exception') throw e;
    }
  }

  /** Index documents through the write alias; one outcome per document, in order. */
  async bulk(cluster: string, docs: Doc[]): Promise<ItemOutcome[]> {
    const alias = this.writeAlias(cluster);
    const extra: Doc = this.singleIndex ? { tenant: this.opts.tenant, audit_type: 'kube' } : {};
    const out: ItemOutcome[] = [];
    for (const chunk of chunks(docs.map((d) => ({ ...d, ...extra })))) out.push(...(await this.bulkChunk(alias, chunk)));
    return out;
  }

  private async bulkChunk(alias: string, docs: Doc[]): Promise<ItemOutcome[]> {
    await this.ensureAlias(alias);
    // require_alias: a write never creates a concrete index named like the alias (which a
    // test deleting the indices under a running emulator would otherwise cause).
    const send = () => this.es.bulk({ operations: docs.flatMap((d) => [{ index: { _index: alias } }, d]), refresh: this.opts.refresh ?? false, require_alias: true });
    let res = await send();
    if (res.items.every((i) => i.index?.error?.type === 'index_not_found_exception')) {
      this.bootstrapped.delete(alias); // deleted meanwhile: make it again, once
      await this.ensureAlias(alias);
      res = await send();
    }
    return res.items.map((item) => {
      const r = item.index ?? item.create;
      if (r?.error) return { ok: false, error: { resource: r._index, type: r.error.type, reason: r.error.reason ?? '' } };
      return { ok: true };
    });
  }

  async read(cluster: string, p: ReadParams): Promise<ReadResponse> {
    const index = this.readPattern(cluster, p.type);
    const size = p.max_page_size || DEFAULT_PAGE_SIZE;
    const filter: object[] = [];
    const tr = p.time_range;
    if (tr?.from || tr?.to) {
      // `from` exclusive, `to` inclusive, as Linseed's time range query.
      filter.push({ range: { [tr.field ?? 'requestReceivedTimestamp']: { ...(tr.from ? { gt: tr.from } : {}), ...(tr.to ? { lte: tr.to } : {}) } } });
    }
    if (this.singleIndex) filter.push({ term: { tenant: this.opts.tenant } }, { term: { cluster } }, { term: { audit_type: p.type } });
    const query = { bool: { filter } };
    const sort = p.sort?.length ? p.sort.map((s) => ({ [s.field]: { order: s.descending ? 'desc' : 'asc' } })) : [{ requestReceivedTimestamp: { order: 'asc' } }];

    const resolved = await this.es.indices.resolveIndex({ name: index, expand_wildcards: 'open' });
    if (resolved.indices.length === 0) return { items: [], total_hits: 0 };
    return this.opts.paging === 'startFrom' ? this.readFrom(index, query, sort as never, size, p.after_key) : this.readAfter(index, query, sort as never, size, p.after_key);
  }

  private async readFrom(index: string, query: object, sort: never, size: number, afterKey: Record<string, unknown> | null | undefined): Promise<ReadResponse> {
    const key = afterKey ? StartFromKey.safeParse(afterKey) : undefined;
    if (key && !key.success) throw new BadAfterKey('after_key is not one this API returned');
    const from = key?.data?.startFrom ?? 0;
    const res = await this.es.search<Doc>({ index, ignore_unavailable: true, allow_no_indices: true, query, sort, from, size, track_total_hits: true });
    const total = totalHits(res.hits.total);
    const next = from + res.hits.hits.length;
    return { items: res.hits.hits.map((h) => h._source ?? {}), total_hits: total, ...(res.hits.hits.length > 0 && next < total ? { after_key: { startFrom: next } } : {}) };
  }

  private async readAfter(index: string, query: object, sort: never, size: number, afterKey: Record<string, unknown> | null | undefined): Promise<ReadResponse> {
    const key = afterKey ? SearchAfterKey.safeParse(afterKey) : undefined;
    if (key && !key.success) throw new BadAfterKey('after_key is not one this API returned');
    // A point in time keeps the pages consistent while writes go on; its implicit _shard_doc
    // tiebreaker makes search_after exact even when many documents share a timestamp.
    const pitId = key?.data?.pit_id ?? (await this.es.openPointInTime({ index, keep_alive: '2m', ignore_unavailable: true })).id;
    let res;
    try {
      res = await this.es.search<Doc>({
        pit: { id: pitId, keep_alive: '2m' },
        query,
        sort,
        size,
        track_total_hits: true,
        ...(key?.data ? { search_after: key.data.search_after as never } : {}),
      });
    } catch (e) {
      if (key?.data && errorType(e) === 'search_context_missing_exception') throw new BadAfterKey('after_key has expired');
      throw e;
    }
    const hits = res.hits.hits;
    const total = totalHits(res.hits.total);
    const seen = (key?.data?.seen ?? 0) + hits.length;
    const last = hits.at(-1);
    if (hits.length > 0 && seen < total && last?.sort) {
      return { items: hits.map((h) => h._source ?? {}), total_hits: total, after_key: { pit_id: res.pit_id ?? pitId, search_after: last.sort, seen } };
    }
    await this.es.closePointInTime({ id: res.pit_id ?? pitId }).catch(() => undefined);
    return { items: hits.map((h) => h._source ?? {}), total_hits: total };
  }

  /** Roll the write alias over to a new index, as ILM would. Returns the new index. */
  async rollover(cluster: string): Promise<string> {
    const alias = this.writeAlias(cluster);
    await this.ensureAlias(alias);
    return (await this.es.indices.rollover({ alias })).new_index;
  }
}

/** Requests Elasticsearch takes (its http.max_content_length is 100 MB, as Linseed's body limit: re-encoded documents can exceed it). */
function chunks(docs: Doc[], maxBytes = 20 * 1024 * 1024): Doc[][] {
  const out: Doc[][] = [];
  let current: Doc[] = [];
  let size = 0;
  for (const d of docs) {
    const n = JSON.stringify(d).length + 64;
    if (current.length > 0 && size + n > maxBytes) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(d);
    size += n;
  }
  if (current.length) out.push(current);
  return out;
}

function totalHits(t: number | { value: number } | undefined): number {
  return typeof t === 'number' ? t : (t?.value ?? 0);
}

function errorType(e: unknown): string | undefined {
  const body = (e as { meta?: { body?: { error?: { type?: string } } } }).meta?.body;
  return body?.error?.type;
}
