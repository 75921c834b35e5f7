import { Client } from '@elastic/elasticsearch';
import { dedupKey, type KeyedEvent } from '../../src/transform/dedup-key.js';

export function elasticClient(): Client {
  const node = process.env.ELASTIC_URL;
  if (!node) throw new Error('ELASTIC_URL is not set: the global setup starts Elasticsearch');
  return new Client({ node });
}

/** Every document id under an index pattern, with how often each occurs (a duplicate shows as > 1). */
export async function idCounts(client: Client, index: string): Promise<Map<string, number>> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const counts = new Map<string, number>();
  // A scroll over no index at all fails when it clears itself; nothing indexed yet is an empty map.
  if ((await client.count({ index, ignore_unavailable: true, allow_no_indices: true })).count === 0) return counts;
  const pages = client.helpers.scrollSearch({
    index,
    ignore_unavailable: true,
    allow_no_indices: true,
    size: 5_000,
    _source: false,
    query: { match_all: {} },
  });
  for await (const page of pages) {
    for (const h of page.body.hits.hits) counts.set(h._id!, (counts.get(h._id!) ?? 0) + 1);
  }
  return counts;
}

/**
 * Every audit document under an index pattern by its dedup key computed from content, with how
 * often each occurs: a duplicate shows as > 1 even when the copies have different ids.
 */
export async function keyCounts(client: Client, index: string): Promise<Map<string, number>> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const counts = new Map<string, number>();
  if ((await client.count({ index, ignore_unavailable: true, allow_no_indices: true })).count === 0) return counts;
  const pages = client.helpers.scrollSearch<KeyedEvent>({ index, ignore_unavailable: true, allow_no_indices: true, size: 5_000, query: { match_all: {} } });
  for await (const page of pages) {
    for (const h of page.body.hits.hits) {
      const key = dedupKey(h._source!);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

export async function docCount(client: Client, index: string): Promise<number> {
  await client.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const res = await client.count({ index, ignore_unavailable: true, allow_no_indices: true });
  return res.count;
}

/** Polls until `check` returns true or the deadline passes; a check that throws counts as "not yet". */
export async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** How the ids under `index` differ from `expected`: all three lists are empty when they match exactly, once each. */
export async function idDiff(client: Client, index: string, expected: Set<string>): Promise<CountDiff> {
  return countDiff(await idCounts(client, index), expected);
}

/** idDiff by content (the dedup key of each stored document), for a store that sets its own ids (Linseed). */
export async function keyDiff(client: Client, index: string, expected: Set<string>): Promise<CountDiff> {
  return countDiff(await keyCounts(client, index), expected);
}

export interface CountDiff {
  missing: string[];
  extra: string[];
  duplicated: [string, number][];
}

function countDiff(counts: Map<string, number>, expected: Set<string>): CountDiff {
  return {
    missing: [...expected].filter((k) => !counts.has(k)),
    extra: [...counts.keys()].filter((k) => !expected.has(k)),
    duplicated: [...counts.entries()].filter(([, n]) => n > 1),
  };
}
