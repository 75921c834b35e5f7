import type { Client } from '@elastic/elasticsearch';
import type { SinkRecord } from '../sink.js';
import { auditIndexPrefix, indexFor } from './index-names.js';

/**
 * The keys of `records` Elasticsearch does not hold. Real-time gets prove presence (a search
 * could miss what was written a second ago).
 */
export async function missingKeys(client: Client, records: readonly SinkRecord[], names: { indexSuffix: string; deadLetterIndex: string }): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < records.length; i += 1_000) {
    const batch = records.slice(i, i + 1_000);
    const res = await client.mget({ docs: batch.map((r) => ({ _index: indexFor(r, names), _id: r.key })), _source: false });
    // A document of an index that does not exist comes back as an error entry: missing too.
    for (const d of res.docs) if (!('found' in d) || !d.found) missing.push(d._id);
  }
  return missing;
}

/** Ids of this forwarder's audit documents whose stageTimestamp lies in [from, to]. */
export async function* storedKeysBetween(client: Client, indexSuffix: string, from: number, to: number): AsyncGenerator<string> {
  const scroll = client.helpers.scrollSearch<{ stageTimestamp?: string }>({
    index: `${auditIndexPrefix(indexSuffix)}eks-*`,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: 5_000,
    _source: ['stageTimestamp'],
    query: { range: { stageTimestamp: { gte: from, lte: to, format: 'epoch_millis' } } },
  });
  for await (const page of scroll) {
    for (const hit of page.body.hits.hits) {
      const t = Date.parse(hit._source?.stageTimestamp ?? '');
      if (t >= from && t <= to) yield hit._id!;
    }
  }
}
