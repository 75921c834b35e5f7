import type { Client } from '@elastic/elasticsearch';
import { auditIndexPrefix } from './index-names.js';

/**
 * The newest `stageTimestamp` already indexed for this cluster, by any forwarder (the old one
 * too), or undefined when there is none. Where a first run starts, so a switch leaves no gap.
 */
export async function newestIndexedTimestamp(client: Client, indexSuffix: string): Promise<number | undefined> {
  const response = await client.search({
    index: `${auditIndexPrefix(indexSuffix)}*`,
    size: 0,
    ignore_unavailable: true,
    allow_no_indices: true,
    aggs: { newest: { max: { field: 'stageTimestamp' } } },
  });
  const value = (response.aggregations?.newest as { value?: number | null } | undefined)?.value;
  return typeof value === 'number' ? value : undefined;
}
