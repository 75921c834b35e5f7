import type { Client } from '@elastic/elasticsearch';
import { dedupKey, type KeyedEvent } from '../../transform/dedup-key.js';
import type { SinkRecord, StoredDocument, VerifyScope } from '../sink.js';
import { auditIndexPrefix, indexFor } from './index-names.js';

/** What a stored document's dedup key is computed from (see dedupKey). */
const KEY_FIELDS = ['auditID', 'stage', 'verb', 'requestURI', 'user', 'objectRef', 'requestReceivedTimestamp', 'impersonatedUser', 'sourceIPs', 'userAgent'];

/** This forwarder's audit indices, or every index Calico reads for the cluster (any writer's). */
export function auditIndexPattern(indexSuffix: string, scope: VerifyScope): string {
  return `${auditIndexPrefix(indexSuffix)}${scope === 'forwarder' ? 'eks-' : ''}*`;
}

/**
 * The keys of `records` Elasticsearch does not hold under their id, nor, for audit documents,
 * under another id in `scope`. Real-time gets prove presence by id (a search could miss what
 * was written a second ago); documents under other ids were written long before.
 */
export async function missingKeys(client: Client, records: readonly SinkRecord[], names: { indexSuffix: string; deadLetterIndex: string }, scope: VerifyScope): Promise<string[]> {
  const missing: SinkRecord[] = [];
  for (let i = 0; i < records.length; i += 1_000) {
    const batch = records.slice(i, i + 1_000);
    const res = await client.mget({ docs: batch.map((r) => ({ _index: indexFor(r, names), _id: r.key })), _source: false });
    // A document of an index that does not exist comes back as an error entry: missing too.
    res.docs.forEach((d, j) => {
      if (!('found' in d) || !d.found) missing.push(batch[j]!);
    });
  }
  const audit = missing.filter((r) => r.kind === 'audit');
  const held = audit.length > 0 ? await keysHeldByContent(client, audit, auditIndexPattern(names.indexSuffix, scope)) : new Set<string>();
  return missing.filter((r) => !held.has(r.key)).map((r) => r.key);
}

/**
 * Keys of `records` whose event a document under `pattern` holds, whatever its id: the
 * documents sharing their auditIDs, keyed by content. (A search, so only refreshed documents.)
 */
export async function keysHeldByContent(client: Client, records: readonly SinkRecord[], pattern: string): Promise<Set<string>> {
  const wanted = new Set(records.map((r) => r.key));
  const held = new Set<string>();
  const auditIds = [...new Set(records.map((r) => (r.document as { auditID: string }).auditID))];
  const SIZE = 10_000;
  for (let i = 0; i < auditIds.length; i += 1_000) {
    const ids = auditIds.slice(i, i + 1_000);
    // search_after on the shard doc order: an auditID may have several documents (stages, other writers).
    let after: (string | number)[] | undefined;
    for (;;) {
      const res = await client.search<KeyedEvent>({
        index: pattern,
        ignore_unavailable: true,
        allow_no_indices: true,
        size: SIZE,
        _source: KEY_FIELDS,
        query: { terms: { auditID: ids } },
        sort: ['_doc'],
        ...(after ? { search_after: after } : {}),
      });
      const hits = res.hits.hits;
      for (const h of hits) {
        const key = h._source ? dedupKey(h._source) : undefined;
        if (key && wanted.has(key)) held.add(key);
      }
      if (hits.length < SIZE) break;
      after = hits[hits.length - 1]!.sort as (string | number)[];
    }
  }
  return held;
}

/** The audit documents under `pattern` whose stageTimestamp lies in [from, to]: key by content, and `index/id`. */
export async function* storedKeysBetween(client: Client, pattern: string, from: number, to: number): AsyncGenerator<StoredDocument> {
  const scroll = client.helpers.scrollSearch<KeyedEvent & { stageTimestamp?: string }>({
    index: pattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: 5_000,
    _source: [...KEY_FIELDS, 'stageTimestamp'],
    query: { range: { stageTimestamp: { gte: from, lte: to, format: 'epoch_millis' } } },
  });
  for await (const page of scroll) {
    for (const hit of page.body.hits.hits) {
      const t = Date.parse(hit._source?.stageTimestamp ?? '');
      if (t >= from && t <= to && hit._source) yield { key: dedupKey(hit._source), id: `${hit._index}/${hit._id}` };
    }
  }
}
