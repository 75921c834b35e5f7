import type { Client } from '@elastic/elasticsearch';
import { describe, expect, it } from 'vitest';
import type { SourceEvent } from '../../../src/event.js';
import { writeAll } from '../../../src/sink/elasticsearch/bulk-writer.js';
import type { SinkRecord } from '../../../src/sink/sink.js';

const event = (i: number): SourceEvent => ({ group: 'g', stream: 's', eventId: String(i), timestamp: i, ingestionTime: i, message: `m${i}` });
const record = (i: number): SinkRecord =>
  ({ kind: 'audit', key: `id-${i}`, document: { auditID: `id-${i}`, stage: 'ResponseComplete', requestReceivedTimestamp: '2026-12-01T00:00:00Z' }, event: event(i) }) as unknown as SinkRecord;

/** A client whose bulk answers each request with the next scripted statuses, one per item, naming another index (an alias's). */
function scripted(answers: number[][]): { client: Client; requests: string[][] } {
  const requests: string[][] = [];
  const client = {
    bulk: async ({ operations }: { operations: { create?: { _id: string } }[] }) => {
      const ids = operations.filter((o) => o.create).map((o) => o.create!._id);
      requests.push(ids);
      const statuses = answers.shift()!;
      return {
        errors: statuses.some((s) => s >= 300),
        items: ids.map((id, i) => ({
          create: { _index: 'backing-index-000001', _id: id, status: statuses[i]!, ...(statuses[i]! >= 300 ? { error: { type: `e${statuses[i]}`, reason: 'r' } } : {}) },
        })),
      };
    },
  } as unknown as Client;
  return { client, requests };
}

describe('Elasticsearch bulk writer', () => {
  it('matches each outcome to its record by position, whatever index the server names', async () => {
    const { client } = scripted([[201, 409, 400]]);
    const out = await writeAll([record(1), record(2), record(3)], { client, indexSuffix: 'c', deadLetterIndex: 'dl' });
    expect(out).toEqual([{ result: 'stored' }, { result: 'already-stored' }, { result: 'refused', status: 400, reason: 'e400: r' }]);
  });

  it('sends items answered 429 again quietly, as the bulk helper did, and reports only what is still failing after that', async () => {
    const { client, requests } = scripted([[201, 429], [201]]);
    const retries: unknown[] = [];
    const bulks: boolean[] = [];
    const out = await writeAll([record(1), record(2)], { client, indexSuffix: 'c', deadLetterIndex: 'dl', onRetry: (e) => retries.push(e), onBulk: (_s, ok) => bulks.push(ok) });
    expect(out).toEqual([{ result: 'stored' }, { result: 'stored' }]);
    expect(requests).toEqual([['id-1', 'id-2'], ['id-2']]);
    expect(retries).toEqual([]);
    expect(bulks).toEqual([true]);
  });

  it('retries 5xx items in a next round, reported, until they are answered for good', async () => {
    const { client, requests } = scripted([[503, 201], [201]]);
    const retries: unknown[] = [];
    const bulks: boolean[] = [];
    const out = await writeAll([record(1), record(2)], { client, indexSuffix: 'c', deadLetterIndex: 'dl', onRetry: (e) => retries.push(e), onBulk: (_s, ok) => bulks.push(ok) });
    expect(out).toEqual([{ result: 'stored' }, { result: 'stored' }]);
    expect(requests).toEqual([['id-1', 'id-2'], ['id-1']]);
    expect(retries).toHaveLength(1);
    expect(bulks).toEqual([false, true]);
  });
});
