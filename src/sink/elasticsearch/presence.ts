import type { Client } from '@elastic/elasticsearch';
import { dedupKey, legacyKey, type KeyedEvent } from '../../transform/dedup-key.js';
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
  const held = audit.length > 0 ? await keysHeldByContent(client, audit, auditIndexPattern(names.indexSuffix, scope), names) : new Set<string>();
  return missing.filter((r) => !held.has(r.key)).map((r) => r.key);
}

/**
 * Keys of `records` whose event a document under `pattern` holds, whatever its id, keyed by
 * content. Release 0.1's ids are looked up first by real-time get (its last pages may not be
 * searchable yet), then the documents sharing the records' auditIDs and request times are
 * searched (a search sees only refreshed documents: the writers adopted from stopped before).
 */
export async function keysHeldByContent(
  client: Client,
  records: readonly SinkRecord[],
  pattern: string,
  names?: { indexSuffix: string; deadLetterIndex: string },
): Promise<Set<string>> {
  const wanted = new Set(records.map((r) => r.key));
  const held = new Set<string>();
  const keep = (source: KeyedEvent | undefined) => {
    const key = source?.auditID && source.stage ? dedupKey(source) : undefined;
    if (key && wanted.has(key)) held.add(key);
  };
  if (names) {
    for (let i = 0; i < records.length; i += 1_000) {
      const batch = records.slice(i, i + 1_000);
      const res = await client.mget<KeyedEvent>({ docs: batch.map((r) => ({ _index: indexFor(r, names), _id: legacyKey(r.document as KeyedEvent) })), _source: KEY_FIELDS });
      for (const d of res.docs) if ('found' in d && d.found) keep(d._source);
    }
  }
  for (let i = 0; i < records.length; i += 500) await searchByContent(client, records.slice(i, i + 500), pattern, keep);
  return held;
}

/** Documents sharing the records' auditIDs and request times; a chunk with more than one page is split. */
async function searchByContent(client: Client, chunk: readonly SinkRecord[], pattern: string, keep: (s: KeyedEvent | undefined) => void): Promise<void> {
  const docs = chunk.map((r) => r.document as KeyedEvent);
  const ids = [...new Set(docs.map((d) => d.auditID))];
  const times = docs.map((d) => Date.parse(d.requestReceivedTimestamp ?? ''));
  // `auditID` is a keyword in Calico's template; an index mapped dynamically has it as text with a keyword sub-field.
  const filter: object[] = [{ bool: { should: [{ terms: { auditID: ids } }, { terms: { 'auditID.keyword': ids } }], minimum_should_match: 1 } }];
  // A reused Audit-ID may have many documents: only those of these requests' times matter.
  if (times.every(Number.isFinite)) filter.push({ range: { requestReceivedTimestamp: { gte: Math.min(...times), lte: Math.max(...times), format: 'epoch_millis' } } });
  const query = { bool: { filter } };
  const SIZE = 10_000;
  const res = await client.search<KeyedEvent>({
    index: pattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    // A shard that did not answer must fail the lookup, not pass for "not held".
    allow_partial_search_results: false,
    track_total_hits: true,
    size: SIZE,
    _source: KEY_FIELDS,
    query,
  });
  const total = typeof res.hits.total === 'number' ? res.hits.total : (res.hits.total?.value ?? 0);
  if (total <= res.hits.hits.length) {
    for (const h of res.hits.hits) keep(h._source);
    return;
  }
  if (chunk.length > 1) {
    const half = Math.ceil(chunk.length / 2);
    await searchByContent(client, chunk.slice(0, half), pattern, keep);
    await searchByContent(client, chunk.slice(half), pattern, keep);
    return;
  }
  // One request with more than a page of documents: a scroll reads a consistent snapshot of all.
  const scroll = client.helpers.scrollSearch<KeyedEvent>({ index: pattern, ignore_unavailable: true, allow_no_indices: true, allow_partial_search_results: false, size: 5_000, _source: KEY_FIELDS, query });
  for await (const page of scroll) for (const h of page.body.hits.hits) keep(h._source);
}

/** The audit documents under `pattern` whose stageTimestamp lies in [from, to]: key by content, and `index/id`. */
export async function* storedKeysBetween(client: Client, pattern: string, from: number, to: number): AsyncGenerator<StoredDocument> {
  const scroll = client.helpers.scrollSearch<KeyedEvent & { stageTimestamp?: string }>({
    index: pattern,
    ignore_unavailable: true,
    allow_no_indices: true,
    allow_partial_search_results: false,
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
