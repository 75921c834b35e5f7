import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as localstack from '../../../scripts/services/localstack.js';
import type { Service } from '../../../scripts/services/cache.js';
import { kubeApi } from '../../../src/kube/light-client.js';
import { ConfigMapLeaseStore } from '../../../src/source/kinesis/lease-store.js';
import { freePort, REPO_ROOT, startCli, type RunningCli } from '../../support/cli.js';
import { elasticClient, eventually } from '../../support/elastic.js';
import { startLinseedWorld, type LinseedWorld } from '../../support/linseed.js';
import { AUDIT_STREAMS, AuditFeed, OTHER_STREAM, PUSH_CREDS, PUSH_REGION, replicaEnv, shardOwners, splitShard, subscribedStream, tokenKubeconfig } from '../../support/push.js';
import { uniqueCluster } from '../../support/scenario.js';

const NS = 'tigera-operator';

/**
 * Names of `shards` clusters whose log groups land on different shards of a new stream of that
 * many shards (LocalStack's partition key is the log group), so that every replica writes all
 * the time and knows the recent range when it takes a shard over.
 */
function clustersOverShards(shards: number): string[] {
  const byShard = new Map<bigint, string>();
  while (byShard.size < shards) {
    const name = uniqueCluster('lin');
    const hash = BigInt(`0x${createHash('md5').update(`/aws/eks/${name}/cluster`).digest('hex')}`);
    const shard = (hash * BigInt(shards)) >> 128n;
    if (!byShard.has(shard)) byShard.set(shard, name);
  }
  return [...byShard.values()];
}
const LEASE = '6s';

/**
 * Push mode through Linseed, whose bulk API sets no document id: what one replica wrote and did
 * not checkpoint, another replays after taking the shard over, and only the sink's read back
 * keeps it from being stored twice. Two clusters' log groups feed one stream (LocalStack); each
 * cluster's events go to Linseed (the emulator, authenticating against a real kube-apiserver)
 * under its own x-cluster-id. The replicas run under deploy/overlays/kinesis-linseed's
 * ServiceAccount, with what that overlay grants and nothing more.
 */
describe('push mode through Linseed', () => {
  let ls: Service;
  let world: LinseedWorld;
  let es: Client;
  let kinesis: KinesisClient;
  let logs: CloudWatchLogsClient;
  let feed: AuditFeed;
  const stream = uniqueCluster('linseed-stream');
  const running = new Map<string, RunningCli>();

  /** The overlay's ServiceAccount: its token reaches both the lease ConfigMap and Linseed. */
  const account = { kubeconfig: '', tokenFile: '' };

  const leaseStore = () => {
    return new ConfigMapLeaseStore(kubeApi({ KUBECONFIG: world.kube.kubeconfig }), NS, stream);
  };

  const replica = async (pod: string) => {
    const { LINSEED_CLUSTER_ID: _none, ...linseedEnv } = world.env;
    const env = {
      ...replicaEnv({ endpoint: ls.url, stream, kubeconfig: account.kubeconfig, namespace: NS, pod, port: await freePort(), lease: LEASE }),
      ...linseedEnv,
      LINSEED_TOKEN: account.tokenFile,
    };
    running.set(pod, startCli(['run'], env));
  };

  const ownerOf = async (shard: string) => (await leaseStore().read()).table.shards[shard]!.owner!;

  /** Every shard owned, and by exactly `pods`. */
  const ownedBy = (pods: string[]) => async () => {
    const owners = await shardOwners(leaseStore());
    return owners.length > 0 && owners.every((o) => o !== undefined && pods.includes(o)) && new Set(owners).size === pods.length;
  };

  beforeAll(async () => {
    [ls, world] = await Promise.all([localstack.start({ flavour: 'kinesis' }), startLinseedWorld()]);
    es = elasticClient();
    kinesis = new KinesisClient({ region: PUSH_REGION, endpoint: ls.url, credentials: PUSH_CREDS });
    logs = new CloudWatchLogsClient({ region: PUSH_REGION, endpoint: ls.url, credentials: PUSH_CREDS });
    // deploy/overlays/kinesis-linseed as it is, run under its ServiceAccount.
    const kubectl = (args: string[], input?: string) => execFileSync('kubectl', ['--kubeconfig', world.kube.kubeconfig, ...args], { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });
    kubectl(['create', 'namespace', NS]);
    kubectl(['apply', '-f', '-'], execFileSync('kubectl', ['kustomize', path.join(REPO_ROOT, 'deploy/overlays/kinesis-linseed')], { encoding: 'utf8' }));
    const token = kubectl(['-n', NS, 'create', 'token', 'eks-log-forwarder', '--duration=2h']).trim();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-sa-'));
    account.tokenFile = path.join(dir, 'token');
    writeFileSync(account.tokenFile, token, { mode: 0o600 });
    account.kubeconfig = tokenKubeconfig(dir, { server: world.kube.url, caFile: world.kube.caFile, token, namespace: NS });
    feed = new AuditFeed(logs, clustersOverShards(4));
    await subscribedStream({ kinesis, logs }, stream, 4, feed.groups, [...AUDIT_STREAMS, OTHER_STREAM]);
  });

  afterAll(async () => {
    for (const r of running.values()) r.child.kill('SIGKILL');
    kinesis?.destroy();
    logs?.destroy();
    await Promise.all([ls?.stop(), world?.close()]);
  });

  it('three replicas over four shards: one killed, one joining, one stalled past its lease, a shard split, all while events of four clusters flow; every event stored once, under its cluster', async () => {
    await replica('replica-a');
    await replica('replica-b');
    await replica('replica-c');
    await feed.put(10);
    await eventually(() => feed.exact(es), 'the first events stored exactly, each cluster under its own name', 120_000);
    await eventually(ownedBy(['replica-a', 'replica-b', 'replica-c']), 'the shards split between the three replicas', 60_000);

    const stopFlow = feed.flow(2, 200);
    try {
      // Killed between writes and its checkpoint's next renewal (every 2 s): its successor replays what it wrote since.
      const shard = 'shardId-000000000000';
      const killed = await ownerOf(shard);
      running.get(killed)!.child.kill('SIGKILL');
      await running.get(killed)!.exited;
      const alive = ['replica-a', 'replica-b', 'replica-c'].filter((r) => r !== killed);
      await eventually(ownedBy(alive), `${alive.join(' and ')} holding every shard`, 60_000);
      await replica('replica-d');
      await eventually(ownedBy([...alive, 'replica-d']), 'replica-d taking its share', 60_000);

      // That shard's owner now stalls (SIGSTOP) past its lease: the others take its shards, and
      // when it wakes it must write nothing it no longer owns.
      const stalled = await ownerOf(shard);
      const others = [...alive, 'replica-d'].filter((r) => r !== stalled);
      running.get(stalled)!.child.kill('SIGSTOP');
      await eventually(ownedBy(others), "the others taking the stalled replica's shards", 60_000);
      running.get(stalled)!.child.kill('SIGCONT');
      await eventually(ownedBy([...alive, 'replica-d']), 'the woken replica renewing and taking a share again', 60_000);

      const parent = await splitShard(kinesis, stream, shard);
      await eventually(async () => {
        const { table } = await leaseStore().read();
        const children = Object.values(table.shards).filter((s) => s.parents.includes(parent));
        return table.shards[parent]?.finished === true && children.length === 2 && children.every((s) => s.owner !== undefined);
      }, 'the split parent finished and both children owned', 180_000);
    } finally {
      await stopFlow();
    }
    await eventually(() => feed.exact(es), 'every event stored exactly once', 180_000);
    expect(await feed.report(es)).toEqual(feed.exactReport());
    expect((await shardOwners(leaseStore())).every((o) => o !== undefined)).toBe(true);
  });
});
