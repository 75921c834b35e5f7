import type { Client } from '@elastic/elasticsearch';
import { readWindow } from '../source/log-pages.js';
import { auditIndexPrefix } from '../transform/calico-document.js';
import { transformPage } from '../transform/transform-page.js';
import { errorText, type Pipeline } from './forward-window.js';

export interface VerifyReport {
  window: { from: string; to: string };
  complete: boolean;
  /** Audit documents the policy selects from events in the window. */
  expected: number;
  found: number;
  missing: number;
  /** Documents in the window's time range that no event in CloudWatch accounts for. */
  unexpected: number;
  deadLettersExpected: number;
  deadLettersMissing: number;
  sampleMissing: string[];
  sampleUnexpected: string[];
  sampleDeadLettersMissing: string[];
  eventsRead: number;
  apiCalls?: number;
}

const SAMPLE = 20;
/** Events near the window's edges may carry a stageTimestamp just outside it: read a margin. */
const EDGE_MS = 5 * 60_000;

/**
 * Proves a window complete: re-reads it from CloudWatch, applies the same policy, and checks
 * that Elasticsearch holds exactly the expected documents, by id.
 */
export async function verifyWindow(p: Pipeline, window: { from: number; to: number }, signal?: AbortSignal): Promise<VerifyReport> {
  const { groupName } = p.transform;
  const expectedCore = new Map<string, string>(); // id → index, of events timestamped inside the window
  const expectedAny = new Set<string>(); // also those in the edge margins
  const deadLetters = new Set<string>();
  let eventsRead = 0;

  const pages = readWindow(
    p.cloudwatch,
    { groupName, streamPrefix: p.streamPrefix, start: window.from - EDGE_MS, end: window.to + EDGE_MS, pageLimit: p.pageLimit },
    { signal, onRetry: (err, attempt) => p.log.warn({ err: errorText(err), attempt }, 'CloudWatch request failed; retrying') },
  );
  for await (const page of pages) {
    const inside = page.events.filter((e) => e.timestamp >= window.from && e.timestamp <= window.to);
    eventsRead += inside.length;
    for (const r of transformPage(page.events, p.transform).requests) {
      const inWindow = r.source.timestamp >= window.from && r.source.timestamp <= window.to;
      if (r.kind === 'dead-letter') {
        if (inWindow) deadLetters.add(r.id);
        continue;
      }
      expectedAny.add(r.id);
      if (inWindow) expectedCore.set(r.id, r.index);
    }
  }

  // Real-time gets prove presence (a search could miss what was written a second ago);
  // a search over the time range finds what nobody expects.
  const missing = await missingIds(p.elastic, [...expectedCore].map(([id, index]) => ({ id, index })));
  const indexed = await idsInRange(p.elastic, `${auditIndexPrefix(p.transform.indexSuffix)}eks-*`, window.from - EDGE_MS, window.to + EDGE_MS);
  const unexpected = [...indexed].filter((id) => !expectedAny.has(id));
  const deadLettersMissing = await missingIds(p.elastic, [...deadLetters].map((id) => ({ id, index: p.transform.deadLetterIndex })));

  return {
    window: { from: new Date(window.from).toISOString(), to: new Date(window.to).toISOString() },
    complete: missing.length === 0 && unexpected.length === 0 && deadLettersMissing.length === 0,
    expected: expectedCore.size,
    found: expectedCore.size - missing.length,
    missing: missing.length,
    unexpected: unexpected.length,
    deadLettersExpected: deadLetters.size,
    deadLettersMissing: deadLettersMissing.length,
    sampleMissing: missing.slice(0, SAMPLE),
    sampleUnexpected: unexpected.slice(0, SAMPLE),
    sampleDeadLettersMissing: deadLettersMissing.slice(0, SAMPLE),
    eventsRead,
  };

  /** Ids of documents whose stageTimestamp lies inside the window (searched with a margin). */
  async function idsInRange(client: Client, index: string, from: number, to: number): Promise<Set<string>> {
    const inside = new Set<string>();
    const scroll = client.helpers.scrollSearch<{ stageTimestamp?: string }>({
      index,
      ignore_unavailable: true,
      allow_no_indices: true,
      size: 5_000,
      _source: ['stageTimestamp'],
      query: { range: { stageTimestamp: { gte: from, lte: to, format: 'epoch_millis' } } },
    });
    for await (const page of scroll) {
      for (const hit of page.body.hits.hits) {
        const t = Date.parse(hit._source?.stageTimestamp ?? '');
        if (t >= window.from && t <= window.to) inside.add(hit._id!);
      }
    }
    return inside;
  }
}

async function missingIds(client: Client, docs: { id: string; index: string }[]): Promise<string[]> {
  const missing: string[] = [];
  for (let i = 0; i < docs.length; i += 1_000) {
    const batch = docs.slice(i, i + 1_000);
    const res = await client.mget({ docs: batch.map((d) => ({ _index: d.index, _id: d.id })), _source: false });
    // A document of an index that does not exist comes back as an error entry: missing too.
    for (const d of res.docs) if (!('found' in d) || !d.found) missing.push(d._id);
  }
  return missing;
}
