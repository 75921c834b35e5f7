import type { Client } from '@elastic/elasticsearch';
import { auditIndexPrefix } from './index-names.js';

/**
 * The newest `stageTimestamp` already indexed for this cluster, by any forwarder (the old one
 * too) that is not in the future, or undefined when there is none. Where a first run starts.
 */
export async function newestIndexedTimestamp(client: Client, indexSuffix: string, now = Date.now()): Promise<number | undefined> {
  const response = await client.search({
    index: `${auditIndexPrefix(indexSuffix)}*`,
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    allow_partial_search_results: false,
    // A future-dated document must not hide the newest real one.
    query: { range: { stageTimestamp: { lte: now, format: 'epoch_millis' } } },
    aggs: { newest: { max: { field: 'stageTimestamp' } } },
  });
  const value = (response.aggregations?.newest as { value?: number | null } | undefined)?.value;
  return typeof value === 'number' ? value : undefined;
}
