import type { ComponentContext, ComponentKind } from '../../component.js';
import { maskSecrets } from '../../error-text.js';
import { createElasticClient } from './client.js';
import { ELASTICSEARCH_CHECKS, elasticsearchDoctor } from './doctor.js';
import { ElasticsearchSink } from './elasticsearch-sink.js';
import { ElasticsearchReader } from './reader.js';
import { elasticsearchMetrics } from './metrics.js';
import { elasticsearchSettings, type ElasticsearchSettings } from './settings.js';

/** Elasticsearch as a sink kind: Calico's audit indices, written directly. */
export const elasticsearch = {
  kind: 'elasticsearch' as const,
  settings: elasticsearchSettings,
  target: 'elasticsearch',
  keepsDeadLetters: true,
  checks: ELASTICSEARCH_CHECKS,
  metrics: elasticsearchMetrics,
  identity: (s) => [s.indexSuffix],
  describe: (s) => `Elasticsearch ${maskSecrets(s.node)}, cluster ${s.indexSuffix}`,
  async doctor(s, ctx) {
    let client: ReturnType<typeof createElasticClient> | Error;
    try {
      client = createElasticClient(s);
    } catch (err) {
      client = err as Error;
    }
    try {
      return await elasticsearchDoctor(s, client, ctx);
    } finally {
      if (!(client instanceof Error)) await client.close().catch(() => undefined);
    }
  },
  counters: (sink) => ({ retriesElasticsearch: sink.stats.retries, bulkFailures: sink.stats.bulkFailures }),
  create: (s: ElasticsearchSettings, ctx: ComponentContext) => new ElasticsearchSink({ settings: s, client: createElasticClient(s), ...ctx }),
  /** The read side, for the change views. */
  reader: (s: ElasticsearchSettings) => new ElasticsearchReader(s, createElasticClient(s)),
} satisfies ComponentKind<ElasticsearchSettings, ElasticsearchSink> & { create: unknown; reader: unknown; keepsDeadLetters: boolean };

export { ElasticsearchSink } from './elasticsearch-sink.js';
export type { ElasticsearchSettings } from './settings.js';
