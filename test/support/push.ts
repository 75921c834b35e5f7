import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand, PutSubscriptionFilterCommand, type CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CreateStreamCommand, DescribeStreamSummaryCommand, ListShardsCommand, SplitShardCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import type { Client } from '@elastic/elasticsearch';
import type { SourceEvent } from '../../src/event.js';
import type { LeaseStore } from '../../src/source/kinesis/lease-store.js';
import { compilePolicy, DEFAULT_POLICY } from '../../src/transform/policy.js';
import { transformBatch } from '../../src/transform/transform-batch.js';
import { loadCorpus } from './corpus.js';
import { eventually, keyCounts } from './elastic.js';

/** Push mode's test world: CloudWatch Logs subscription filters writing into a Kinesis stream (LocalStack). */
export const PUSH_REGION = 'us-west-2';
export const PUSH_CREDS = { accessKeyId: 'test', secretAccessKey: 'test' };
export const AUDIT_STREAMS = ['kube-apiserver-audit-0a1b2c', 'kube-apiserver-audit-3d4e5f'];
/** A stream of the group that is not an audit stream: its events must go nowhere. */
export const OTHER_STREAM = 'kube-apiserver-6a7b8c';

/** A stream of `shards` shards, active, fed by a subscription filter of each group (its log streams created). */
export async function subscribedStream(clients: { kinesis: KinesisClient; logs: CloudWatchLogsClient }, name: string, shards: number, logGroups: string[], logStreams: string[]): Promise<void> {
  const { kinesis, logs } = clients;
  await kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards }));
  let arn = '';
  await eventually(async () => {
    const d = (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }))).StreamDescriptionSummary!;
    arn = d.StreamARN!;
    return d.StreamStatus === 'ACTIVE';
  }, `stream ${name} to be active`);
  for (const group of logGroups) {
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    for (const s of logStreams) await logs.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s }));
    await logs.send(new PutSubscriptionFilterCommand({ logGroupName: group, filterName: 'eks-log-forwarder', filterPattern: '', destinationArn: arn, roleArn: 'arn:aws:iam::000000000000:role/cloudwatch-logs-to-kinesis' }));
  }
}

/** The stream's open shards (not closed by a reshard). */
export async function openShards(kinesis: KinesisClient, stream: string) {
  const shards = (await kinesis.send(new ListShardsCommand({ StreamName: stream }))).Shards ?? [];
  return shards.filter((s) => s.SequenceNumberRange?.EndingSequenceNumber === undefined);
}

/** Splits an open shard (the first by default) in the middle of its hash range; resolves once the stream is active again. Returns the parent. */
export async function splitShard(kinesis: KinesisClient, stream: string, shardId?: string): Promise<string> {
  const shards = await openShards(kinesis, stream);
  const parent = shardId ? shards.find((s) => s.ShardId === shardId) : shards[0];
  const range = parent!.HashKeyRange!;
  const middle = (BigInt(range.StartingHashKey!) + BigInt(range.EndingHashKey!)) / 2n;
  await kinesis.send(new SplitShardCommand({ StreamName: stream, ShardToSplit: parent!.ShardId!, NewStartingHashKey: middle.toString() }));
  await eventually(async () => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.StreamStatus === 'ACTIVE', 'the stream active after the split');
  return parent!.ShardId!;
}

/**
 * Audit events put into every stream of every cluster's group (corpus events, each a request of
 * its own by a fresh auditID), with the keys each cluster's index must end up holding.
 */
export class AuditFeed {
  readonly expected: Map<string, Set<string>>;
  private readonly corpus = loadCorpus();
  private at = 0;
  private readonly policy = compilePolicy(DEFAULT_POLICY);

  constructor(
    private readonly logs: CloudWatchLogsClient,
    readonly clusters: readonly string[],
  ) {
    this.expected = new Map(clusters.map((c) => [c, new Set<string>()]));
  }

  groupOf(cluster: string): string {
    return `/aws/eks/${cluster}/cluster`;
  }

  get groups(): string[] {
    return this.clusters.map((c) => this.groupOf(c));
  }

  /** Puts `perStream` events into each audit stream and the other stream of every group. */
  async put(perStream: number): Promise<void> {
    for (const cluster of this.clusters) {
      const group = this.groupOf(cluster);
      for (const logStream of [...AUDIT_STREAMS, OTHER_STREAM]) {
        const now = Date.now();
        const messages = Array.from({ length: perStream }, () => {
          const event = JSON.parse(this.corpus[this.at++ % this.corpus.length]!.line) as Record<string, unknown>;
          return JSON.stringify({ ...event, auditID: randomUUID() });
        });
        await this.logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: logStream, logEvents: messages.map((message, n) => ({ timestamp: now + n, message })) }));
        if (logStream === OTHER_STREAM) continue;
        const events: SourceEvent[] = messages.map((message, n) => ({ group, stream: logStream, eventId: `${n}`, timestamp: now + n, ingestionTime: now + n, message }));
        for (const r of transformBatch(events, { policy: this.policy }).records) if (r.kind === 'audit') this.expected.get(cluster)!.add(r.key);
      }
    }
  }

  /** Puts `perStream` events every `everyMs` until the returned stop is called (events flowing while replicas come and go). */
  flow(perStream: number, everyMs: number): () => Promise<void> {
    let stopped = false;
    const done = (async () => {
      while (!stopped) {
        await this.put(perStream);
        await new Promise((r) => setTimeout(r, everyMs));
      }
    })();
    return async () => {
      stopped = true;
      await done;
    };
  }

  /** Per cluster: expected, indexed, missing, unexpected, duplicated. */
  async report(es: Client): Promise<Record<string, { expected: number; indexed: number; missing: number; unexpected: number; duplicated: number }>> {
    const out: Record<string, { expected: number; indexed: number; missing: number; unexpected: number; duplicated: number }> = {};
    for (const c of this.clusters) {
      const counts = await keyCounts(es, `tigera_secure_ee_audit_kube.${c}.*`);
      const want = this.expected.get(c)!;
      out[c] = {
        expected: want.size,
        indexed: counts.size,
        missing: [...want].filter((k) => !counts.has(k)).length,
        unexpected: [...counts.keys()].filter((k) => !want.has(k)).length,
        duplicated: [...counts.values()].filter((n) => n > 1).length,
      };
    }
    return out;
  }

  /** The report of a run that delivered every expected document once and nothing else. */
  exactReport(): Record<string, { expected: number; indexed: number; missing: number; unexpected: number; duplicated: number }> {
    return Object.fromEntries(this.clusters.map((c) => [c, { expected: this.expected.get(c)!.size, indexed: this.expected.get(c)!.size, missing: 0, unexpected: 0, duplicated: 0 }]));
  }

  /** Every cluster's index holds exactly its expected documents, each once. */
  async exact(es: Client): Promise<boolean> {
    return JSON.stringify(await this.report(es)) === JSON.stringify(this.exactReport());
  }
}

/** The environment of one push-mode replica, minus the sink's. */
export function replicaEnv(o: { endpoint: string; stream: string; kubeconfig: string; namespace: string; pod: string; port: number; lease: string }): Record<string, string> {
  return {
    EKS_FORWARDER_SOURCE: 'kinesis',
    EKS_FORWARDER_KINESIS_STREAM: o.stream,
    EKS_FORWARDER_KINESIS_LEASE: o.lease,
    EKS_FORWARDER_KINESIS_IDLE_POLL: '300ms',
    AWS_REGION: PUSH_REGION,
    AWS_ACCESS_KEY_ID: PUSH_CREDS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: PUSH_CREDS.secretAccessKey,
    AWS_ENDPOINT_URL: o.endpoint,
    AWS_EC2_METADATA_DISABLED: 'true',
    KUBECONFIG: o.kubeconfig,
    EKS_FORWARDER_NAMESPACE: o.namespace,
    POD_NAME: o.pod,
    EKS_FORWARDER_HTTP_PORT: String(o.port),
    EKS_FORWARDER_STATE_DIR: mkdtempSync(path.join(os.tmpdir(), 'eksfwd-state-')),
    HOME: mkdtempSync(path.join(os.tmpdir(), 'eksfwd-home-')),
  };
}

/** The owners of the shards in the lease table (undefined: free; finished shards left out). */
export async function shardOwners(store: LeaseStore): Promise<(string | undefined)[]> {
  const { table } = await store.read();
  return Object.values(table.shards)
    .filter((s) => !s.finished)
    .map((s) => s.owner);
}

/** A kubeconfig file for `token` (a ServiceAccount's) against the API server at `server`, in `namespace`. */
export function tokenKubeconfig(dir: string, o: { server: string; caFile: string; token: string; namespace: string }): string {
  const file = path.join(dir, 'kubeconfig');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'test', cluster: { server: o.server, 'certificate-authority': o.caFile } }],
      users: [{ name: 'eks-log-forwarder', user: { token: o.token } }],
      contexts: [{ name: 'test', context: { cluster: 'test', user: 'eks-log-forwarder', namespace: o.namespace } }],
      'current-context': 'test',
    }),
  );
  return file;
}
