import type { Client } from '@elastic/elasticsearch';
import { maskSecrets } from '../../error-text.js';
import type { AuditReader, ChangeQuery } from '../sink.js';
import { auditIndexPattern } from './presence.js';
import type { ElasticsearchSettings } from './settings.js';

const PAGE = 1_000;
/** What a listing shows and the Timeline rules look at; a diff needs responseObject too. */
const LISTING_FIELDS = ['auditID', 'stage', 'level', 'verb', 'requestURI', 'user.username', 'impersonatedUser.username', 'objectRef', 'responseStatus.code', 'requestReceivedTimestamp', 'stageTimestamp'];

/** The Elasticsearch query of a change read: the Timeline rules and the filters, as filters (no scoring). */
export function changeQueryBody(q: ChangeQuery): object {
  const term = (field: string, value: string) => ({ term: { [field]: value } });
  const filter: object[] = [
    { range: { requestReceivedTimestamp: { gte: q.from, lte: q.to, format: 'epoch_millis' } } },
    // `stage` is text in Calico's mapping: a match, which a keyword field answers too.
    { match: { stage: 'ResponseComplete' } },
    term('level', 'RequestResponse'),
    { terms: { verb: [...q.verbs] } },
    { range: { 'responseStatus.code': { gte: 200, lte: 299 } } },
  ];
  const mustNot: object[] = [];
  if (q.resources?.length) filter.push({ terms: { 'objectRef.resource': [...q.resources] } });
  if (q.group !== undefined) {
    if (q.group === '') mustNot.push({ exists: { field: 'objectRef.apiGroup' } });
    else filter.push(term('objectRef.apiGroup', q.group));
  }
  if (q.namespace !== undefined) filter.push(term('objectRef.namespace', q.namespace));
  if (q.name !== undefined) filter.push(term('objectRef.name', q.name));
  if (q.user !== undefined) filter.push(term('user.username', q.user));
  return { bool: { filter, ...(mustNot.length ? { must_not: mustNot } : {}) } };
}

function sortOf(order: ChangeQuery['order']): object[] {
  const keyword = (field: string) => ({ [field]: { order: 'asc', missing: '_first', unmapped_type: 'keyword' } });
  const time = [{ requestReceivedTimestamp: { order: 'asc' } }, keyword('auditID')];
  if (order === 'time') return time;
  return [...['objectRef.apiGroup', 'objectRef.resource', 'objectRef.namespace', 'objectRef.name'].map(keyword), ...time];
}

/** Reads the cluster's audit indices (`tigera_secure_ee_audit_kube.<cluster>.*`, any writer's) with the official client's scroll helper. */
export class ElasticsearchReader implements AuditReader {
  readonly store: string;
  readonly cluster: string;
  private readonly pattern: string;

  constructor(
    settings: ElasticsearchSettings,
    private readonly client: Client,
  ) {
    this.store = `Elasticsearch ${maskSecrets(settings.node)}`;
    this.cluster = settings.indexSuffix;
    this.pattern = auditIndexPattern(settings.indexSuffix, 'cluster');
  }

  async *changeDocuments(q: ChangeQuery, signal: AbortSignal): AsyncGenerator<Record<string, unknown>> {
    const query = changeQueryBody(q);
    const where = { index: this.pattern, ignore_unavailable: true, allow_no_indices: true };
    // A scroll over no index fails when it clears itself: nothing to read is nothing to scroll.
    if ((await this.client.count({ ...where, query }, { signal })).count === 0) return;
    const pages = this.client.helpers.scrollSearch<Record<string, unknown>>(
      {
        ...where,
        // A shard that did not answer must fail the read, not pass for "no change".
        allow_partial_search_results: false,
        size: PAGE,
        sort: sortOf(q.order) as never,
        _source: q.withObjects ? [...LISTING_FIELDS, 'responseObject'] : LISTING_FIELDS,
        query,
      },
      { signal },
    );
    for await (const page of pages) for (const hit of page.body.hits.hits) if (hit._source) yield hit._source;
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}
