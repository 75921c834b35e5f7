import { Client } from '@elastic/elasticsearch';
import { auditEvents, type Scenario } from '../localstack/scenario.js';
import type { SourceEvent as LogEvent } from '../src/event.js';
import { auditIndexName, auditIndexPrefix, indexFor } from '../src/sink/elasticsearch/index-names.js';
import { ensureIndexTemplates } from '../src/sink/elasticsearch/index-template.js';
import { parseAuditEvent } from '../src/transform/audit-event.js';
import { calicoDocument } from '../src/transform/calico-document.js';
import { dedupKey } from '../src/transform/dedup-key.js';
import { compilePolicy, DEFAULT_POLICY } from '../src/transform/policy.js';
import { transformBatch } from '../src/transform/transform-batch.js';
import { docCount } from '../test/support/elastic.js';
import { deadLetterIndex } from '../test/support/scenario.js';

export interface TransformCost {
  auditEvents: number;
  documents: number;
  /** CPU-bound cost of the project's transform (parse + policy + Calico document), in this process. */
  seconds: number;
  perTenThousandMs: number;
}

export interface WriteCeiling {
  label: string;
  indexSuffix: string;
  documents: number;
  /** Audit events those documents were made from: throughput is counted per source event. */
  sourceEvents: number;
  seconds: number;
  bytes: number;
  docsPerSecond: number;
  /** Source audit events per second: comparable with the read ceiling and the forwarder. */
  eventsPerSecond: number;
  mbPerSecond: number;
  failed: number;
  indexed: number;
}

export interface PreparedDocuments {
  requests: { index: string; id: string; document: Record<string, unknown> | string }[];
  sourceEvents: number;
}

/** The scenario's audit events as the source hands them to the transform. */
export function logEvents(scenario: Scenario): LogEvent[] {
  return auditEvents(scenario).map((e, i) => ({ group: 'bench', stream: e.stream, eventId: String(i), timestamp: e.timestamp, ingestionTime: e.timestamp, message: e.message }));
}

/** What the forwarder indexes: the project's own transform with the default policy, done once. */
export function policyDocuments(events: LogEvent[], indexSuffix: string): { docs: PreparedDocuments; cost: TransformCost } {
  const ctx = { policy: compilePolicy(DEFAULT_POLICY) };
  const names = { indexSuffix, deadLetterIndex: deadLetterIndex(indexSuffix) };
  const t0 = performance.now();
  // Page-sized chunks, as the pipeline calls it.
  const requests = [];
  for (let i = 0; i < events.length; i += 1000) {
    for (const r of transformBatch(events.slice(i, i + 1000), ctx).records) requests.push({ index: indexFor(r, names), id: r.key, document: r.document as Record<string, unknown> });
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    docs: { requests, sourceEvents: events.length },
    cost: { auditEvents: events.length, documents: requests.length, seconds, perTenThousandMs: (seconds * 1000 * 10_000) / events.length },
  };
}

/**
 * Every audit event as a Calico document, unfiltered: the heavier write ceiling (a policy that
 * keeps everything). Serialized up front, to keep 200k parsed objects out of the heap.
 */
export function allDocuments(events: LogEvent[], indexSuffix: string): PreparedDocuments {
  const requests = [];
  for (const e of events) {
    const parsed = parseAuditEvent(e.message);
    if (!parsed.ok) continue;
    requests.push({ index: auditIndexName(parsed.event, indexSuffix, e.timestamp), id: dedupKey(parsed.event), document: JSON.stringify(calicoDocument(parsed.event)) });
  }
  return { requests, sourceEvents: events.length };
}

/**
 * The official bulk helper indexing ready documents, with the forwarder's own settings
 * (`create`, deterministic ids, 5 MB flushes, 2 in flight) and its index templates.
 */
export async function measureWrite(elasticUrl: string, label: string, indexSuffix: string, docs: PreparedDocuments): Promise<WriteCeiling> {
  const client = new Client({ node: elasticUrl, requestTimeout: 120_000 });
  try {
    await ensureIndexTemplates(client, { indexSuffix, deadLetterIndex: deadLetterIndex(indexSuffix) });
    const t0 = performance.now();
    const result = await client.helpers.bulk({
      datasource: docs.requests,
      onDocument: (r) => [{ create: { _index: r.index, _id: r.id } }, r.document as Record<string, unknown>],
      flushBytes: 5_000_000,
      concurrency: 2,
      retries: 3,
      wait: 1_000,
      refreshOnCompletion: false,
    });
    const seconds = (performance.now() - t0) / 1000;
    const pattern = `${auditIndexPrefix(indexSuffix)}*`;
    const indexed = await docCount(client, pattern);
    return {
      label,
      indexSuffix,
      documents: docs.requests.length,
      sourceEvents: docs.sourceEvents,
      seconds,
      bytes: result.bytes,
      docsPerSecond: docs.requests.length / seconds,
      eventsPerSecond: docs.sourceEvents / seconds,
      mbPerSecond: result.bytes / 1e6 / seconds,
      failed: result.failed,
      indexed,
    };
  } finally {
    await client.close();
  }
}
