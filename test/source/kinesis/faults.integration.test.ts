import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient, CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand, PutSubscriptionFilterCommand } from '@aws-sdk/client-cloudwatch-logs';
import { CreateStreamCommand, DescribeStreamSummaryCommand, KinesisClient } from '@aws-sdk/client-kinesis';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Service } from '../../../scripts/services/cache.js';
import * as kubeApiserver from '../../../scripts/services/kube-apiserver.js';
import * as localstack from '../../../scripts/services/localstack.js';
import type { SourceEvent } from '../../../src/event.js';
import { compilePolicy, DEFAULT_POLICY } from '../../../src/transform/policy.js';
import { transformBatch } from '../../../src/transform/transform-batch.js';
import { freePort, startCli, type RunningCli } from '../../support/cli.js';
import { loadCorpus } from '../../support/corpus.js';
import { elasticClient, eventually, keyCounts } from '../../support/elastic.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../../support/fault-proxy.js';
import { uniqueCluster } from '../../support/scenario.js';

const REGION = 'us-west-2';
const creds = { accessKeyId: 'test', secretAccessKey: 'test' };

/** A Kinesis error as the service answers it (awsJson1_1). */
const kinesisError = (type: string, message: string): Fault => ({
  kind: 'status',
  status: 400,
  body: JSON.stringify({ __type: type, message }),
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': type },
});

/**
 * The shard reader under the stream's own refusals, injected by a proxy in front of real
 * LocalStack: GetRecords throttled (ProvisionedThroughputExceededException) a third of the time
 * and iterators expired (ExpiredIteratorException). Every audit event still arrives once.
 */
describe('push mode under throttling and expired iterators', () => {
  let ls: Service;
  let kube: kubeApiserver.KubeApiServer;
  let proxy: FaultProxy;
  let es: Client;
  let forwarder: RunningCli | undefined;
  const stream = uniqueCluster('faults-stream');
  const cluster = uniqueCluster('faults');
  const group = `/aws/eks/${cluster}/cluster`;
  const expected = new Set<string>();

  beforeAll(async () => {
    [ls, kube] = await Promise.all([localstack.start({ flavour: 'kinesis' }), kubeApiserver.start()]);
    es = elasticClient();
    proxy = await startFaultProxy({ target: ls.url, seed: 7 });
    execFileSync('kubectl', ['--kubeconfig', kube.kubeconfig, 'create', 'namespace', 'tigera-operator'], { stdio: 'pipe' });
    const kinesis = new KinesisClient({ region: REGION, endpoint: ls.url, credentials: creds });
    const logs = new CloudWatchLogsClient({ region: REGION, endpoint: ls.url, credentials: creds });
    try {
      await kinesis.send(new CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
      let arn = '';
      await eventually(async () => {
        const d = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!;
        arn = d.StreamARN!;
        return d.StreamStatus === 'ACTIVE';
      }, 'the stream to be active');
      await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
      await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: 'kube-apiserver-audit-f00d' }));
      await logs.send(new PutSubscriptionFilterCommand({ logGroupName: group, filterName: 'f', filterPattern: '', destinationArn: arn, roleArn: 'arn:aws:iam::000000000000:role/cwl' }));
      const policy = compilePolicy(DEFAULT_POLICY);
      const corpus = loadCorpus().slice(0, 300);
      // Several puts, so the records spread over both shards and many GetRecords.
      for (let part = 0; part < 6; part++) {
        const now = Date.now();
        const messages = corpus.slice(part * 50, part * 50 + 50).map((c) => JSON.stringify({ ...(JSON.parse(c.line) as object), auditID: randomUUID() }));
        await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: 'kube-apiserver-audit-f00d', logEvents: messages.map((message, n) => ({ timestamp: now + n, message })) }));
        const events: SourceEvent[] = messages.map((message, n) => ({ group, stream: 'kube-apiserver-audit-f00d', eventId: `${part}-${n}`, timestamp: now, ingestionTime: now, message }));
        for (const r of transformBatch(events, { policy }).records) if (r.kind === 'audit') expected.add(r.key);
      }
    } finally {
      kinesis.destroy();
      logs.destroy();
    }
  });

  afterAll(async () => {
    forwarder?.child.kill('SIGKILL');
    await proxy?.close();
    await Promise.all([ls?.stop(), kube?.stop()]);
  });

  it('backs off throttled shards, renews expired iterators, and delivers every audit event exactly once', async () => {
    proxy.setRules([
      { match: { target: 'GetRecords' }, times: 3, fault: kinesisError('ExpiredIteratorException', 'Iterator expired. The iterator was created at time X while right now it is Y which is further in the future than the tolerated delay of 300000 milliseconds.') },
      { match: { target: 'GetRecords' }, probability: 0.35, fault: kinesisError('ProvisionedThroughputExceededException', 'Rate exceeded for shard shardId-000000000000 in stream s under account 000000000000.') },
    ]);
    const port = await freePort();
    forwarder = startCli(['run'], {
      EKS_FORWARDER_SOURCE: 'kinesis',
      EKS_FORWARDER_KINESIS_STREAM: stream,
      EKS_FORWARDER_KINESIS_RECORDS_PER_CALL: '2',
      EKS_FORWARDER_KINESIS_LEASE: '6s',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_ENDPOINT_URL: proxy.url,
      KUBECONFIG: kube.kubeconfig,
      EKS_FORWARDER_NAMESPACE: 'tigera-operator',
      POD_NAME: 'only',
      EKS_FORWARDER_HTTP_PORT: String(port),
      ELASTIC_URL: process.env.ELASTIC_URL,
      ELASTIC_INDEX_SUFFIX: uniqueCluster('unused'),
      EKS_FORWARDER_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'eksfwd-state-')),
      HOME: mkdtempSync(path.join(os.tmpdir(), 'eksfwd-home-')),
    });
    const index = `tigera_secure_ee_audit_kube.${cluster}.*`;
    await eventually(
      async () => {
        const counts = await keyCounts(es, index);
        return counts.size === expected.size && [...expected].every((k) => counts.get(k) === 1);
      },
      'every audit event indexed once',
      180_000,
    );
    const counts = await keyCounts(es, index);
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    expect([...counts.keys()].filter((k) => !expected.has(k))).toEqual([]);

    const status = (await (await fetch(`http://127.0.0.1:${port}/status`)).json()) as { counters: Record<string, number> };
    expect(status.counters.throttledAttempts).toBeGreaterThan(0);
    expect(status.counters.iteratorsRenewed).toBe(3);
    const injected = proxy.requests.filter((r) => r.fault !== undefined && r.target?.includes('GetRecords'));
    expect(injected.filter((r) => r.status === 400).length).toBeGreaterThan(3);
    // A figure for the record, not an assertion (the SDK's retries add attempts): two shards, at most 5 GetRecords a second each by the reader.
    console.log(`GetRecords: ${proxy.requests.filter((r) => r.target?.includes('GetRecords')).length} attempts, at most ${proxy.maxPerWindow(1_000, (r) => r.target?.includes('GetRecords') ?? false)} in any second, ${injected.length} refused by the proxy`);
  });
});
