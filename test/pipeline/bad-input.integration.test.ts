import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { CW_EVENT_OVERHEAD_BYTES, CW_MAX_EVENT_BYTES } from '../../localstack/scenario.js';
import { putEvents } from '../../localstack/seed.js';
import { CreateLogGroupCommand, CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import { runCli } from '../support/cli.js';
import { keyOf, loadCorpus } from '../support/corpus.js';
import { elasticClient, idCounts } from '../support/elastic.js';
import { auditIndexPattern, cloudwatchClient, deadLetterIndex, forwarderEnv, uniqueCluster } from '../support/scenario.js';

/** A real pod create from the corpus that the default policy keeps, with a fresh auditID. */
const template = loadCorpus()
  .map((c) => c.event as Record<string, unknown> & { verb?: string; stage?: string; level?: string; objectRef?: { resource?: string } })
  .find((e) => e.verb === 'create' && e.stage === 'ResponseComplete' && e.level === 'RequestResponse' && e.objectRef?.resource === 'pods')!;

function validEvent(patch: (e: Record<string, unknown>) => void = () => undefined): { id: string; message: string } {
  const event = structuredClone(template);
  event.auditID = randomUUID();
  patch(event);
  return { id: keyOf(event), message: JSON.stringify(event) };
}

describe('bad input is counted and kept as a dead letter; its valid neighbours go through', () => {
  let es: Client;
  const cluster = uniqueCluster('badinput');
  const group = `/aws/eks/${cluster}/cluster`;
  const stream = 'kube-apiserver-audit-0123456789abcdef0123456789abcdef';
  const env = forwarderEnv(group, cluster);

  const valid = [
    validEvent(),
    validEvent((e) => {
      // At CloudWatch's size limit, still whole JSON.
      const base = JSON.stringify(e).length;
      (e.requestObject as Record<string, unknown>).padding = 'x'.repeat(CW_MAX_EVENT_BYTES - CW_EVENT_OVERHEAD_BYTES - base - 14);
    }),
    validEvent((e) => {
      (e.objectRef as Record<string, unknown>).name = 'pod-🚀-עברית-\u200b-e\u0301-\u0000-end';
    }),
    validEvent(),
  ];
  const bad: { message: string; reason: RegExp }[] = [
    { message: `${validEvent().message.slice(0, 4_000)}[Truncated...]`, reason: /truncated by CloudWatch/ },
    { message: '{"kind":"Event","auditID":', reason: /invalid JSON/ },
    { message: '{"hello":"world"}', reason: /not an audit event/ },
    { message: '[1,2,3]', reason: /not an audit event/ },
    { message: 'null', reason: /not an audit event/ },
    { message: validEvent((e) => delete e.auditID).message, reason: /not an audit event: auditID/ },
    { message: validEvent((e) => (e.verb = 42)).message, reason: /not an audit event: verb/ },
    { message: validEvent((e) => (e.user = 'bob')).message, reason: /not an audit event: user/ },
    // Parses and passes the policy, but Elasticsearch's mapping refuses it (code is a long).
    { message: validEvent((e) => ((e.responseStatus as Record<string, unknown>).code = 'two hundred')).message, reason: /rejected by Elasticsearch \(400\)/ },
  ];

  beforeAll(async () => {
    es = elasticClient();
    const cw = cloudwatchClient();
    await cw.send(new CreateLogGroupCommand({ logGroupName: group }));
    await cw.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    const start = Date.now() - 30 * 60_000;
    // Bad events sit between valid ones.
    const messages = [valid[0]!.message, ...bad.slice(0, 5).map((b) => b.message), valid[1]!.message, valid[2]!.message, ...bad.slice(5).map((b) => b.message), valid[3]!.message];
    expect(messages.every((m) => Buffer.byteLength(m) + CW_EVENT_OVERHEAD_BYTES <= CW_MAX_EVENT_BYTES)).toBe(true);
    await putEvents(cw, group, stream, messages.map((message, i) => ({ timestamp: start + i * 1_000, message })));
    cw.destroy();
  });
  afterAll(async () => {
    await es.close();
  });

  it('forwards every valid event, exactly, and dead-letters each bad one with its stream, eventId and reason', async () => {
    const result = await runCli(['backfill', '--from', '1h', '--to', 'now', '--json'], env);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary).toMatchObject({ forwarded: valid.length, deadLettered: bad.length, invalid: bad.length - 1, rejected: 1 });

    const ids = await idCounts(es, auditIndexPattern(cluster));
    expect([...ids.keys()].sort()).toEqual(valid.map((v) => v.id).sort());
    const odd = await es.search<{ objectRef: { name: string }; name: string }>({ index: auditIndexPattern(cluster), query: { ids: { values: [valid[2]!.id] } } });
    expect(odd.hits.hits[0]!._source!.name).toBe('pod-🚀-עברית-\u200b-e\u0301-\u0000-end');

    await es.indices.refresh({ index: deadLetterIndex(cluster) });
    const dead = await es.search<{ message: string; reason: string; logStream: string; eventId: string }>({ index: deadLetterIndex(cluster), size: 100 });
    const docs = dead.hits.hits.map((h) => h._source!);
    expect(docs).toHaveLength(bad.length);
    for (const b of bad) {
      const doc = docs.find((d) => d.message === b.message);
      expect(doc, b.message.slice(0, 80)).toBeDefined();
      expect(doc!.reason).toMatch(b.reason);
      expect(doc!.logStream).toBe(stream);
      expect(doc!.eventId).not.toBe('');
    }
    // Each dead letter was logged with its stream and eventId.
    expect((result.stderr.match(/"msg":"event dead-lettered"/g) ?? []).length).toBe(bad.length - 1);
    expect(result.stderr).toMatch(/"stream":"kube-apiserver-audit-0123456789abcdef0123456789abcdef","eventId":"\d+".*document rejected/);
  });
});
