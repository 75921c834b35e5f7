import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { expectedDocuments } from '../../localstack/expected.js';
import { generateScenario } from '../../localstack/scenario.js';
import { seedScenario } from '../../localstack/seed.js';
import { freePort, REPO_ROOT, startCli, type RunningCli } from '../support/cli.js';
import { elasticClient, eventually, idCounts, idDiff } from '../support/elastic.js';
import { auditIndexPattern, cloudwatchClient, seedCluster, uniqueCluster, type SeededCluster } from '../support/scenario.js';

const NS = 'tigera-operator';

/**
 * The forwarder as it runs in the cluster, against a real kube-apiserver: settings from the
 * LogCollector and Secret (followed live), the checkpoint in a ConfigMap, one leader among
 * replicas. It authenticates with the ServiceAccount's own token, so the RBAC of deploy/ is
 * what it gets.
 */
describe('in the cluster', () => {
  let kube: kubeApiserver.KubeApiServer;
  let es: Client;
  let saKubeconfig: string;
  const suffix = uniqueCluster('kube');
  const running: RunningCli[] = [];

  const kubectl = (args: string[], input?: string) =>
    execFileSync('kubectl', ['--kubeconfig', kube.kubeconfig, ...args], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

  const applyLogCollector = (spec: Record<string, unknown>) =>
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'operator.tigera.io/v1', kind: 'LogCollector', metadata: { name: 'tigera-secure' }, spec: { additionalSources: { eksCloudwatchLog: spec } } }));

  const applySecret = (id: string, key: string) =>
    kubectl(['apply', '-f', '-'], JSON.stringify({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'tigera-eks-log-forwarder-secret', namespace: NS }, stringData: { 'aws-id': id, 'aws-key': key } }));

  const forwarder = (pod: string, extra: Record<string, string> = {}) => {
    const run = startCli(['run'], {
      KUBECONFIG: saKubeconfig,
      EKS_FORWARDER_CONFIG_SOURCE: 'kubernetes',
      EKS_FORWARDER_NAMESPACE: NS,
      POD_NAME: pod,
      EKS_FORWARDER_HTTP_PORT: '0',
      ELASTIC_URL: process.env.ELASTIC_URL,
      ELASTIC_INDEX_SUFFIX: suffix,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS,
      // No AWS keys in the environment: they must come from the Secret.
      AWS_EC2_METADATA_DISABLED: 'true',
      // Events put after a handover are late for the new leader: read again after 20 s, not 2 minutes.
      EKS_FORWARDER_LATENESS_FLOOR: '20s',
      HOME: mkdtempSync(path.join(os.tmpdir(), 'eksfwd-home-')),
      ...extra,
    });
    running.push(run);
    return run;
  };

  const logged = (run: RunningCli, pattern: RegExp) =>
    eventually(async () => pattern.test(run.stderr()), `log ${pattern}`, 90_000).catch((err: Error) => {
      throw new Error(`${err.message}; the forwarder logged:\n${run.stderr().slice(-4_000)}`);
    });

  async function expectExactly(expected: Set<string>): Promise<void> {
    expect(await idDiff(es, auditIndexPattern(suffix), expected)).toEqual({ missing: [], extra: [], duplicated: [] });
  }

  beforeAll(async () => {
    es = elasticClient();
    kube = await kubeApiserver.start();
    kubectl(['apply', '-k', path.join(REPO_ROOT, 'deploy/crds')]);
    kubectl(['wait', '--for', 'condition=established', '--timeout=60s', 'crd/logcollectors.operator.tigera.io']);
    kubectl(['create', 'namespace', NS]);
    kubectl(['apply', '-f', '-'], execFileSync('kubectl', ['kustomize', path.join(REPO_ROOT, 'deploy/base')], { encoding: 'utf8' }));
    const token = kubectl(['-n', NS, 'create', 'token', 'eks-log-forwarder', '--duration=2h']).trim();
    saKubeconfig = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-sa-')), 'kubeconfig');
    writeFileSync(
      saKubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'test', cluster: { server: kube.url, 'certificate-authority': kube.caFile } }],
        users: [{ name: 'eks-log-forwarder', user: { token } }],
        contexts: [{ name: 'test', context: { cluster: 'test', user: 'eks-log-forwarder', namespace: NS } }],
        'current-context': 'test',
      }),
    );
  }, 1_800_000);

  afterAll(async () => {
    for (const r of running) r.child.kill('SIGKILL');
    await Promise.all(running.map((r) => r.exited));
    await es.close();
    await kube?.stop();
  });

  it('follows the LogCollector and Secret live, elects one leader, hands over without loss, and keeps its checkpoint in the API', async () => {
    const a: SeededCluster = await seedCluster({ prefix: 'kubea', events: 1_500, seed: 111, auditStreams: 2 });
    // Group B's events are newer than A's: a new group starts where the cluster's index stands.
    const b: SeededCluster = await seedCluster({ prefix: 'kubeb', events: 1_500, seed: 222, auditStreams: 2, startMs: Date.now() - 60 * 60_000 });
    const startFrom = new Date(a.window.from).toISOString();

    // No LogCollector section yet: idle, and says so.
    const first = forwarder('fwd-1', { EKS_FORWARDER_START_FROM: startFrom });
    await logged(first, /became the leader/);
    await logged(first, /LogCollector tigera-secure not found/);

    // The section, but a Secret with an empty key: the operator's error, and nothing forwarded.
    applySecret('test', '');
    applyLogCollector({ region: 'us-west-2', groupName: a.scenario.logGroupName, fetchInterval: 1 });
    await logged(first, /incomplete Cloudwatch credentials/);
    expect((await idCounts(es, auditIndexPattern(suffix))).size).toBe(0);

    // Rotating the Secret applies without a restart.
    applySecret('test', 'test');
    await eventually(async () => (await idCounts(es, auditIndexPattern(suffix))).size >= a.expected.size, 'group A forwarded', 120_000);
    await expectExactly(a.expected);

    // A second replica stands by.
    const opsPort = String(await freePort());
    const second = forwarder('fwd-2', { EKS_FORWARDER_START_FROM: startFrom, EKS_FORWARDER_HTTP_PORT: opsPort });
    await logged(second, /standing by/);
    // A healthy standby is ready (rolling updates wait for it) and says what it is.
    await eventually(async () => (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).status === 200, 'the standby to be ready', 60_000);
    expect(await (await fetch(`http://127.0.0.1:${opsPort}/readyz`)).json()).toMatchObject({ ready: true, role: 'standby' });

    // A change of group applies without a restart.
    applyLogCollector({ region: 'us-west-2', groupName: b.scenario.logGroupName, fetchInterval: 1 });
    const both = new Set([...a.expected, ...b.expected]);
    await eventually(async () => (await idCounts(es, auditIndexPattern(suffix))).size >= both.size, 'group B forwarded', 120_000);
    expect(second.stderr()).not.toMatch(/became the leader/);

    // The leader dies; the standby takes over within the lease time and goes on from the checkpoint.
    first.child.kill('SIGKILL');
    await first.exited;
    await logged(second, /became the leader/);
    const more = generateScenario({ cluster: b.cluster, seed: 333, events: 600, startMs: Date.now() - 60_000, spanMs: 50_000, auditStreams: 1, otherStreams: false });
    const cw = cloudwatchClient();
    await seedScenario(cw, more);
    cw.destroy();
    const all = new Set([...both, ...expectedDocuments(more).expected]);
    await eventually(async () => (await idCounts(es, auditIndexPattern(suffix))).size >= all.size, 'events after the handover', 120_000);
    await expectExactly(all);

    // The checkpoint lives in the ConfigMap: a new process with no local files resumes from it.
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    const saved = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', 'eks-log-forwarder-checkpoint', '-o', 'json'])) as { data: Record<string, string> };
    const key = Object.keys(saved.data).find((k) => k.startsWith('run-') && saved.data[k]!.includes(b.scenario.logGroupName))!;
    const checkpoint = (JSON.parse(saved.data[key]!) as { position: { windowStart: number } }).position;
    expect(checkpoint.windowStart).toBeGreaterThan(new Date(startFrom).getTime());
    const third = forwarder('fwd-3', { EKS_FORWARDER_START_FROM: startFrom });
    await logged(third, new RegExp(`"windowStart":"${new Date(checkpoint.windowStart).toISOString()}"`));
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    await expectExactly(all);
  }, 900_000);

  it('goes on when someone else touches the checkpoint ConfigMap, stops when another writer moves the checkpoint, and then fails /healthz', async () => {
    // Whatever the first case left running stops first: this one starts its own leader.
    for (const r of running.splice(0)) r.child.kill('SIGKILL');
    // Its own cluster suffix: a first start takes the newest document of its own index, not the first case's.
    const c: SeededCluster = await seedCluster({ prefix: 'kubec', events: 600, seed: 444, auditStreams: 1, startMs: Date.now() - 20 * 60_000, spanMs: 15 * 60_000 });
    const own = uniqueCluster('kubec');
    applySecret('test', 'test');
    applyLogCollector({ region: 'us-west-2', groupName: c.scenario.logGroupName, fetchInterval: 1 });
    const opsPort = String(await freePort());
    const leader = forwarder('fwd-4', { EKS_FORWARDER_START_FROM: new Date(c.window.from).toISOString(), EKS_FORWARDER_HTTP_PORT: opsPort, ELASTIC_INDEX_SUFFIX: own });
    await logged(leader, /became the leader/);
    await eventually(async () => (await idDiff(es, auditIndexPattern(own), c.expected)).missing.length === 0, 'group C forwarded', 120_000);

    // A label and an annotation, as a re-apply or GitOps drift repair would write them.
    kubectl(['-n', NS, 'annotate', 'configmap', 'eks-log-forwarder-checkpoint', 'touched-by=someone', '--overwrite']);
    kubectl(['-n', NS, 'label', 'configmap', 'eks-log-forwarder-checkpoint', 'team=platform', '--overwrite']);
    const more = generateScenario({ cluster: c.cluster, seed: 445, events: 300, startMs: Date.now() - 20_000, spanMs: 15_000, auditStreams: 1, otherStreams: false });
    const cw = cloudwatchClient();
    await seedScenario(cw, more);
    cw.destroy();
    await eventually(async () => (await idDiff(es, auditIndexPattern(own), expectedDocuments(more).expected)).missing.length === 0, 'events after the outside write', 120_000);
    expect(leader.stderr()).not.toMatch(/pipeline stopped/);
    expect((await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status).toBe(200);

    // Another writer moves this group's checkpoint: this one must stop, and say so to the kubelet.
    const cm = JSON.parse(kubectl(['-n', NS, 'get', 'configmap', 'eks-log-forwarder-checkpoint', '-o', 'json'])) as { data: Record<string, string> };
    const key = Object.keys(cm.data).find((k) => cm.data[k]!.includes(c.scenario.logGroupName))!;
    const moved = JSON.parse(cm.data[key]!) as { updatedAt: string };
    moved.updatedAt = '2000-01-01T00:00:00.000Z';
    kubectl(['-n', NS, 'patch', 'configmap', 'eks-log-forwarder-checkpoint', '--type', 'merge', '-p', JSON.stringify({ data: { [key]: JSON.stringify(moved) } })]);
    await logged(leader, /pipeline stopped/);
    await eventually(async () => (await fetch(`http://127.0.0.1:${opsPort}/healthz`)).status === 503, '/healthz to fail', 30_000);
    expect(await (await fetch(`http://127.0.0.1:${opsPort}/healthz`)).json()).toMatchObject({ live: false, reason: expect.stringMatching(/pipeline stopped: .*changed by another writer/) });
  }, 600_000);
});
