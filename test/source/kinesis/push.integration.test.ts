import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { CloudWatchLogsClient, CreateLogGroupCommand, DescribeSubscriptionFiltersCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeStreamSummaryCommand, KinesisClient, GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand, MergeShardsCommand } from '@aws-sdk/client-kinesis';
import type { Client } from '@elastic/elasticsearch';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kubeApiserver from '../../../scripts/services/kube-apiserver.js';
import * as localstack from '../../../scripts/services/localstack.js';
import type { Service } from '../../../scripts/services/cache.js';
import type { SourceEvent } from '../../../src/event.js';
import { LeaseCoordinator } from '../../../src/source/kinesis/lease-coordinator.js';
import { kubeApi } from '../../../src/kube/light-client.js';
import { ConfigMapLeaseStore } from '../../../src/source/kinesis/lease-store.js';
import { compilePolicy, DEFAULT_POLICY } from '../../../src/transform/policy.js';
import { transformBatch } from '../../../src/transform/transform-batch.js';
import { freePort, REPO_ROOT, runCli, startCli, type RunningCli } from '../../support/cli.js';
import { compileFilterPattern } from '../../../src/source/cloudwatch/filter-pattern.js';
import { loadCorpus } from '../../support/corpus.js';
import { elasticClient, eventually, keyCounts } from '../../support/elastic.js';
import { AUDIT_STREAMS, AuditFeed, OTHER_STREAM, openShards, PUSH_CREDS, PUSH_REGION, replicaEnv, splitShard, subscribedStream, tokenKubeconfig } from '../../support/push.js';
import { uniqueCluster } from '../../support/scenario.js';

const NS = 'tigera-operator';
const REGION = PUSH_REGION;
const creds = PUSH_CREDS;
const LEASE = '6s';

/**
 * Push mode against real services: CloudWatch Logs subscription filters on two clusters' log
 * groups write into one Kinesis stream (LocalStack), forwarder processes share its shards
 * through leases in a ConfigMap (a real kube-apiserver), and Elasticsearch holds the result.
 */
describe('push mode through a Kinesis stream', () => {
  let ls: Service;
  let kube: kubeApiserver.KubeApiServer;
  let es: Client;
  let kinesis: KinesisClient;
  let logs: CloudWatchLogsClient;
  /** The forwarder's own ServiceAccount token: what deploy/overlays/kinesis allows it is what it gets. */
  let saKubeconfig: string;
  const stream = uniqueCluster('audit-stream');
  const clusters = [uniqueCluster('east'), uniqueCluster('west')];
  const unmapped = uniqueCluster('unmapped');
  let feed: AuditFeed;
  const running = new Map<string, RunningCli>();
  const ports = new Map<string, number>();
  const corpus = loadCorpus();
  let corpusAt = 0;
  const policy = compilePolicy(DEFAULT_POLICY);

  const kubectl = (args: string[]) => execFileSync('kubectl', ['--kubeconfig', kube.kubeconfig, ...args], { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

  const leaseStore = () => {
    return new ConfigMapLeaseStore(kubeApi({ KUBECONFIG: kube.kubeconfig }), NS, stream);
  };

  const putEvents = (perStream: number) => feed.put(perStream);

  const forwarder = async (pod: string, extra: Record<string, string> = {}) => {
    const port = await freePort();
    ports.set(pod, port);
    const run = startCli(['run'], {
      ...replicaEnv({ endpoint: ls.url, stream, kubeconfig: saKubeconfig, namespace: NS, pod, port, lease: LEASE }),
      ELASTIC_URL: process.env.ELASTIC_URL,
      ELASTIC_INDEX_SUFFIX: unmapped,
      ...extra,
    });
    running.set(pod, run);
    return run;
  };

  const exact = () => feed.exact(es);
  const report = () => feed.report(es);

  /** The push-mode manifests as kustomize renders them, in a file for `kubectl apply -f`. */
  const writeOverlay = () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-overlay-')), 'overlay.yaml');
    writeFileSync(file, execFileSync('kubectl', ['kustomize', path.join(REPO_ROOT, 'deploy/overlays/kinesis')], { encoding: 'utf8' }));
    return file;
  };

  beforeAll(async () => {
    [ls, kube] = await Promise.all([localstack.start({ flavour: 'kinesis' }), kubeApiserver.start()]);
    es = elasticClient();
    kinesis = new KinesisClient({ region: REGION, endpoint: ls.url, credentials: creds });
    logs = new CloudWatchLogsClient({ region: REGION, endpoint: ls.url, credentials: creds });
    kubectl(['create', 'namespace', NS]);
    kubectl(['apply', '-f', writeOverlay()]);
    const token = kubectl(['-n', NS, 'create', 'token', 'eks-log-forwarder', '--duration=2h']).trim();
    saKubeconfig = tokenKubeconfig(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-sa-')), { server: kube.url, caFile: kube.caFile, token, namespace: NS });
    feed = new AuditFeed(logs, clusters);
    await subscribedStream({ kinesis, logs }, stream, 4, feed.groups, [...AUDIT_STREAMS, OTHER_STREAM]);
  });

  afterAll(async () => {
    for (const r of running.values()) r.child.kill('SIGKILL');
    kinesis?.destroy();
    logs?.destroy();
    await Promise.all([ls?.stop(), kube?.stop()]);
  });

  it('delivers exactly the audit events of two clusters, each to its own index, while three replicas share the four shards', async () => {
    await forwarder('replica-a');
    await forwarder('replica-b');
    await forwarder('replica-c');
    await putEvents(40);
    await eventually(exact, 'the first events indexed exactly', 120_000);

    // Every replica holds shards: the four are split between the three, every one owned.
    await eventually(async () => {
      const { table } = await leaseStore().read();
      const owners = Object.values(table.shards).map((s) => s.owner);
      return owners.length === 4 && owners.every((o) => o !== undefined) && new Set(owners).size === 3;
    }, 'the shards split between the three replicas', 60_000);

    // `/status` of a replica shows the lease table and the lag of the shards it reads; `status` and `doctor` read the table.
    type Remote = { replica: string; shards: { shard: string; owner: string; lagMs?: number }[] };
    const remoteStatus = async () => (await (await fetch(`http://127.0.0.1:${ports.get('replica-a')}/status`)).json()) as Remote;
    // A shard just taken has no lag until its first GetRecords answers.
    await eventually(async () => {
      const remote = await remoteStatus();
      const own = remote.shards.filter((sh) => sh.owner === 'replica-a');
      return remote.replica === 'replica-a' && remote.shards.length === 4 && own.length > 0 && own.every((sh) => typeof sh.lagMs === 'number');
    }, "replica-a's /status showing the lag of each shard it reads", 30_000);
    const cliEnv = { EKS_FORWARDER_SOURCE: 'kinesis', EKS_FORWARDER_KINESIS_STREAM: stream, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_ENDPOINT_URL: ls.url, KUBECONFIG: saKubeconfig, EKS_FORWARDER_NAMESPACE: NS, ELASTIC_URL: process.env.ELASTIC_URL, ELASTIC_INDEX_SUFFIX: unmapped };
    const status = await runCli(['status', '--json', '--url', `http://127.0.0.1:${ports.get('replica-b')}`], cliEnv);
    expect(status.code, status.stderr).toBe(0);
    const statusReport = JSON.parse(status.stdout) as { replicas: string[]; shards: { owner: string | null }[]; reachableReplica?: string };
    expect(statusReport.replicas).toEqual(['replica-a', 'replica-b', 'replica-c']);
    expect(statusReport.reachableReplica).toBe('replica-b');
    expect(statusReport.shards.every((sh) => sh.owner !== null)).toBe(true);
    const doctor = await runCli(['doctor', '--json'], cliEnv);
    expect(doctor.code, doctor.stdout + doctor.stderr).toBe(0);
    expect((JSON.parse(doctor.stdout) as { name: string }[]).map((r) => r.name)).toContain('kinesis stream');

    // Nothing of the other streams, nothing in the index of the configured suffix.
    expect(await keyCounts(es, `tigera_secure_ee_audit_kube.${unmapped}.*`)).toEqual(new Map());
    expect(await report()).toEqual(feed.exactReport());
  });

  it('takes over the shards of a killed replica within the lease time, and a new one joins: nothing lost, nothing twice', async () => {
    running.get('replica-a')!.child.kill('SIGKILL');
    await running.get('replica-a')!.exited;
    const killedAt = Date.now();
    await putEvents(30);
    await eventually(async () => {
      const { table } = await leaseStore().read();
      const owners = Object.values(table.shards).map((s) => s.owner);
      return owners.every((o) => o === 'replica-b' || o === 'replica-c') && new Set(owners).size === 2;
    }, 'replica-b and replica-c holding every shard', 60_000);
    // A figure for the record, not an assertion: the lease time is 6 s, renewed every 2 s.
    console.log(`shards of the killed replica taken over ${((Date.now() - killedAt) / 1000).toFixed(1)} s after the kill`);
    await eventually(exact, 'the events put after the kill indexed exactly', 120_000);

    await forwarder('replica-d');
    await putEvents(30);
    await eventually(async () => {
      const { table } = await leaseStore().read();
      const owners = Object.values(table.shards).map((s) => s.owner);
      return owners.every((o) => o === 'replica-b' || o === 'replica-c' || o === 'replica-d') && new Set(owners).size === 3;
    }, 'replica-d taking its share', 60_000);
    await eventually(exact, 'the events put after the join indexed exactly', 120_000);
    expect(await report()).toEqual(feed.exactReport());
  });

  it('reads a split shard to its end before its children, while events flow', async () => {
    await putEvents(20);
    const parent = await splitShard(kinesis, stream);
    await putEvents(20);
    await eventually(async () => {
      const { table } = await leaseStore().read();
      const lease = table.shards[parent];
      const children = Object.entries(table.shards).filter(([, s]) => s.parents.includes(parent));
      return lease?.finished === true && children.length === 2 && children.every(([, s]) => s.owner !== undefined);
    }, 'the parent finished and both children owned', 90_000);
    await eventually(exact, 'the events put around the split indexed exactly', 120_000);
    expect(await report()).toEqual(feed.exactReport());
  });

  it('reads two merged shards to their ends before the shard they became, while events flow', async () => {
    const open = (await openShards(kinesis, stream)).sort((a, b) => (BigInt(a.HashKeyRange!.StartingHashKey!) < BigInt(b.HashKeyRange!.StartingHashKey!) ? -1 : 1));
    const pair = open.findIndex((s, i) => i + 1 < open.length && BigInt(s.HashKeyRange!.EndingHashKey!) + 1n === BigInt(open[i + 1]!.HashKeyRange!.StartingHashKey!));
    expect(pair).toBeGreaterThanOrEqual(0);
    const [left, right] = [open[pair]!, open[pair + 1]!];
    await putEvents(20);
    await kinesis.send(new MergeShardsCommand({ StreamName: stream, ShardToMerge: left.ShardId!, AdjacentShardToMerge: right.ShardId! }));
    await eventually(async () => (await kinesis.send(new DescribeStreamSummaryCommand({ StreamName: stream }))).StreamDescriptionSummary!.StreamStatus === 'ACTIVE', 'the stream active after the merge');
    await putEvents(20);
    await eventually(async () => {
      const { table } = await leaseStore().read();
      const merged = Object.entries(table.shards).filter(([, s]) => s.parents.includes(left.ShardId!) && s.parents.includes(right.ShardId!));
      return table.shards[left.ShardId!]?.finished === true && table.shards[right.ShardId!]?.finished === true && merged.length === 1 && merged[0]![1].owner !== undefined;
    }, 'both parents finished and the merged shard owned', 90_000);
    await eventually(exact, 'the events put around the merge indexed exactly', 120_000);
    expect(await report()).toEqual(feed.exactReport());
  });

  it('starts a shard without a checkpoint AT_TIMESTAMP: what arrived before the time is skipped, what came after is delivered once', async () => {
    const atStream = `${stream}-at`;
    const cluster = uniqueCluster('attime');
    const group = `/aws/eks/${cluster}/cluster`;
    const logStream = 'kube-apiserver-audit-a7a7';
    await subscribedStream({ kinesis, logs }, atStream, 1, [group], [logStream]);
    const put = async (n: number) => {
      const now = Date.now();
      // Events the policy keeps, so each side of the start time has documents to count.
      const messages: string[] = [];
      while (messages.length < n) {
        const message = JSON.stringify({ ...(JSON.parse(corpus[corpusAt++ % corpus.length]!.line) as object), auditID: randomUUID() });
        if (transformBatch([{ group, stream: logStream, eventId: '0', timestamp: now, ingestionTime: now, message }], { policy }).records.some((r) => r.kind === 'audit')) messages.push(message);
      }
      await logs.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: logStream, logEvents: messages.map((message, i) => ({ timestamp: now + i, message })) }));
      const events: SourceEvent[] = messages.map((message, i) => ({ group, stream: logStream, eventId: `${i}`, timestamp: now + i, ingestionTime: now + i, message }));
      return new Set(transformBatch(events, { policy }).records.filter((r) => r.kind === 'audit').map((r) => r.key));
    };
    const before = await put(20);
    // Every event put so far is in the stream before the start time is taken.
    const shardId = (await kinesis.send(new ListShardsCommand({ StreamName: atStream }))).Shards![0]!.ShardId!;
    await eventually(async () => {
      const it = (await kinesis.send(new GetShardIteratorCommand({ StreamName: atStream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }))).ShardIterator!;
      const records = (await kinesis.send(new GetRecordsCommand({ ShardIterator: it, Limit: 1_000 }))).Records ?? [];
      const delivered = records.map((r) => JSON.parse(gunzipSync(r.Data!).toString('utf8')) as { messageType: string; logEvents?: unknown[] });
      return delivered.reduce((n, m) => n + (m.messageType === 'DATA_MESSAGE' ? (m.logEvents?.length ?? 0) : 0), 0) === 20;
    }, 'the first events in the stream', 60_000);
    // LocalStack's Kinesis resolves AT_TIMESTAMP to the second: start on the next whole second, and put the rest within it or later.
    const boundary = Math.ceil((Date.now() + 1) / 1000) * 1000;
    await eventually(async () => Date.now() >= boundary, 'the next whole second', 5_000);
    const startAt = new Date(boundary).toISOString();
    const after = await put(20);
    expect(before.size).toBe(20);
    expect(after.size).toBe(20);
    await forwarder('replica-at', { EKS_FORWARDER_KINESIS_STREAM: atStream, EKS_FORWARDER_KINESIS_START: startAt });
    const index = `tigera_secure_ee_audit_kube.${cluster}.*`;
    await eventually(async () => {
      const counts = await keyCounts(es, index);
      return [...after].every((k) => counts.has(k));
    }, 'the events after the start time indexed', 120_000);
    // Those before it would have come first (lower sequence numbers): none did.
    const counts = await keyCounts(es, index);
    expect([...counts.keys()].sort()).toEqual([...after].sort());
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
  });

  it('gives up the leases of a replica stopped with SIGTERM at once, so the others take them without waiting out the lease', async () => {
    const c = running.get('replica-c')!;
    const { table } = await leaseStore().read();
    const heldByC = Object.entries(table.shards).filter(([, s]) => s.owner === 'replica-c').map(([id]) => id);
    expect(heldByC.length).toBeGreaterThan(0);
    c.child.kill('SIGTERM');
    expect(await c.exited).toBe(0);
    // Released on the way out: free, or already taken by another, and replica-c gone from the table.
    const after = (await leaseStore().read()).table;
    expect('replica-c' in after.replicas).toBe(false);
    for (const id of heldByC) expect([undefined, 'replica-b', 'replica-d']).toContain(after.shards[id]!.owner);
    await putEvents(10);
    await eventually(exact, 'the events put after the stop indexed exactly', 120_000);
  });

  it('setup-subscription subscribes a log group with the policy pattern and the cut-off pattern, and refuses a third filter', async () => {
    const group = `/aws/eks/${uniqueCluster('setup')}/cluster`;
    await logs.send(new CreateLogGroupCommand({ logGroupName: group }));
    const env = { EKS_FORWARDER_KINESIS_STREAM: stream, AWS_REGION: REGION, AWS_ACCESS_KEY_ID: creds.accessKeyId, AWS_SECRET_ACCESS_KEY: creds.secretAccessKey, AWS_ENDPOINT_URL: ls.url };
    const role = 'arn:aws:iam::000000000000:role/cloudwatch-logs-to-kinesis';
    const created = await runCli(['setup-subscription', '--log-group', group, '--role-arn', role, '--json'], env);
    expect(created.code, created.stderr).toBe(0);
    const filters = (await logs.send(new DescribeSubscriptionFiltersCommand({ logGroupName: group }))).subscriptionFilters ?? [];
    expect(filters.map((f) => [f.filterName, f.filterPattern]).sort()).toEqual([
      ['eks-log-forwarder', compileFilterPattern(DEFAULT_POLICY)],
      ['eks-log-forwarder-truncated', '"[Truncated...]"'],
    ]);
    // Run again: the same two filters are updated, not added.
    const again = await runCli(['setup-subscription', '--log-group', group, '--role-arn', role], env);
    expect(again.code, again.stderr).toBe(0);
    const other = await runCli(['setup-subscription', '--log-group', group, '--role-arn', role, '--filter-name', 'another'], env);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/exceed the 2 CloudWatch allows/);
    const missing = await runCli(['setup-subscription', '--log-group', group], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--role-arn or --destination-arn/);
  });

  it("refuses the checkpoint write of a replica that stalled past its lease, keeping the new owner's", async () => {
    const log = pino({ level: 'silent' });
    const shardStream = `${stream}-fencing`;
    const kc = kubeApi({ KUBECONFIG: kube.kubeconfig });
    const listShards = async () => [{ shardId: 'shardId-000000000000', parents: [] }];
    const stale = new LeaseCoordinator({ store: new ConfigMapLeaseStore(kc, NS, shardStream), identity: 'stalls', leaseMs: 3_000, listShards, log });
    const next = new LeaseCoordinator({ store: new ConfigMapLeaseStore(kc, NS, shardStream), identity: 'takes-over', leaseMs: 3_000, listShards, log });
    await stale.renew();
    const held = stale.holding().get('shardId-000000000000')!;
    expect(held).toBeDefined();
    await stale.checkpoint([{ shardId: 'shardId-000000000000', counter: held.counter, sequence: '100' }]);
    await stale.renew();
    // `stalls` renews no more; `takes-over` sees its heartbeat stand still for the lease time.
    await eventually(
      async () => {
        await next.renew();
        return next.holding().has('shardId-000000000000');
      },
      'the other replica taking the lease',
      30_000,
    );
    const taken = next.holding().get('shardId-000000000000')!;
    expect(taken.sequence).toBe('100');
    await next.checkpoint([{ shardId: 'shardId-000000000000', counter: taken.counter, sequence: '300' }]);
    await next.renew();

    // The stalled replica wakes with an acknowledged batch it read under its old lease.
    await stale.checkpoint([{ shardId: 'shardId-000000000000', counter: held.counter, sequence: '200' }]);
    await stale.renew();
    expect(stale.refusedCheckpoints).toBe(1);
    expect(stale.holding().has('shardId-000000000000')).toBe(false);
    const { table } = await new ConfigMapLeaseStore(kc, NS, shardStream).read();
    expect(table.shards['shardId-000000000000']).toMatchObject({ owner: 'takes-over', sequence: '300', counter: taken.counter });
  });
});
