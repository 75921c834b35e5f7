// Everything that is not a Calico-relevant mutation: the mix of background requests, and the
// writes among them (leases, node/pod/workload status, bindings, reviews, CSRs, endpoint slices).

import type { Gen, Req } from './cluster.js';
import { fromTemplate } from './corpus-templates.js';
import { isoSec, type J } from './format.js';
import { meta, podSpec } from './objects.js';
import { deniedOrMissing, nonResource, podLog, podStream, read, watch } from './reads.js';
import { objectRef, pathOf, R } from './resources.js';
import { fnv1a, K8S_ALNUM, Table } from './rng.js';

const BACKGROUND = new Table<(g: Gen, t: number) => Req>([
  [30, (g, t) => kubeletLease(g, t)],
  [6, (g, t) => leaderLease(g, t)],
  [14, (g, t) => read(g, t, 'get')],
  [6, (g, t) => read(g, t, 'list')],
  [6, (g, t) => watch(g, t)],
  [7, (g, t) => nonResource(g, t)],
  [4, (g, t) => nodeStatus(g, t)],
  [4, (g, t) => podStatus(g, t)],
  [3, (g, t) => secretOrConfigmap(g, t)],
  [2.5, (g, t) => workloadStatus(g, t)],
  [1.5, (g, t) => podBinding(g, t)],
  [1, (g, t) => accessReview(g, t)],
  [1.5, (g, t) => tokenReview(g, t)],
  [1, (g, t) => csr(g, t)],
  [1, (g, t) => endpointSlice(g, t)],
  [0.6, (g, t) => podStream(g, t)],
  [0.4, (g, t) => podLog(g, t)],
  [1, (g, t) => deniedOrMissing(g, t)],
]);

/** One background request, its kind drawn by weight. */
export function background(g: Gen, t: number): Req {
  return BACKGROUND.pick(g.rng)(g, t);
}

function kubeletLease(g: Gen, t: number): Req {
  const node = g.node();
  return fromTemplate(g, 'kubeletLease', t, node.actor, {
    objName: node.name,
    lat: g.latency(1_500, 25_000),
    ref: { uid: g.stableUid(`lease/${node.name}`), resourceVersion: g.rv(t) },
  });
}

function leaderLease(g: Gen, t: number): Req {
  const rng = g.rng;
  const [name, actor] = rng.pick([
    ['kube-controller-manager', g.sys.kcm!],
    ['kube-scheduler', g.sys.scheduler!],
    ['cloud-controller-manager', g.sys.ccm!],
    ['eks-certificates-controller', g.sys.certs!],
    ['aws-load-balancer-controller-leader', g.sa.lbc!],
    ['calico-kube-controllers', g.sa.calicoKc!],
  ] as const);
  const verb = rng.chance(0.5) ? 'get' : 'update';
  const ns = name === 'calico-kube-controllers' ? 'calico-system' : 'kube-system';
  const rv = g.rv(t);
  return g.req({
    verb,
    uri: `${pathOf(R.leases, ns, name)}?timeout=5s`,
    actor,
    objectRef: verb === 'get' ? objectRef(R.leases, ns, name) : objectRef(R.leases, ns, name, g.stableUid(`lease/${ns}/${name}`), rv),
    status: { metadata: {}, code: 200 },
    level: 'Metadata', // coordination.k8s.io is not a "known API" for the EKS policy
    recvUs: t,
    lat: g.latency(800, 15_000),
    noReceived: true,
  });
}

function nodeStatus(g: Gen, t: number): Req {
  const node = g.node();
  const hb = isoSec(Math.floor(t / 1000));
  const types = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];
  return g.req({
    verb: 'patch',
    uri: `${pathOf(R.nodes, undefined, node.name, 'status')}?timeout=10s`,
    actor: node.actor,
    objectRef: objectRef(R.nodes, undefined, node.name, undefined, undefined, 'status'),
    status: { metadata: {}, code: 200 },
    reqObj: {
      status: {
        '$setElementOrder/conditions': types.map((type) => ({ type })),
        conditions: types.map((type) => ({ lastHeartbeatTime: hb, type })),
      },
    },
    recvUs: t,
    lat: g.latency(1_500, 20_000),
  });
}

function podStatus(g: Gen, t: number): Req {
  const ns = g.appNs();
  const app = g.app(ns);
  const name = g.podName(app);
  const node = g.node();
  const ts = isoSec(Math.floor(t / 1000));
  const ready = g.rng.chance(0.8);
  return g.req({
    verb: 'patch',
    uri: `${pathOf(R.pods, ns, name, 'status')}`,
    actor: node.actor,
    objectRef: objectRef(R.pods, ns, name, undefined, undefined, 'status'),
    status: { metadata: {}, code: 200 },
    reqObj: {
      metadata: { uid: g.stableUid(`pod/${ns}/${name}`) },
      status: {
        '$setElementOrder/conditions': ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type })),
        conditions: [
          { lastTransitionTime: ts, status: ready ? 'True' : 'False', type: 'Ready' },
          { lastTransitionTime: ts, status: ready ? 'True' : 'False', type: 'ContainersReady' },
        ],
        containerStatuses: [
          {
            containerID: `containerd://${g.rng.hex(64)}`,
            image: `${g.account}.dkr.ecr.${g.region}.amazonaws.com/${ns}/${app}:1.4.2`,
            imageID: `${g.account}.dkr.ecr.${g.region}.amazonaws.com/${ns}/${app}@sha256:${g.rng.hex(64)}`,
            lastState: {},
            name: app,
            ready,
            restartCount: 0,
            started: true,
            state: { running: { startedAt: ts } },
          },
        ],
        podIP: `10.0.${g.rng.int(64)}.${g.rng.range(2, 254)}`,
      },
    },
    recvUs: t,
    lat: g.latency(2_000, 25_000),
  });
}

function secretOrConfigmap(g: Gen, t: number): Req {
  const rng = g.rng;
  const ns = g.appNs();
  const app = g.app(ns);
  const pick = rng.int(5);
  if (pick === 0) return fromTemplate(g, 'secretCreate', t, g.humans.admin, { ns, objName: `${app}-tls`, lat: g.latency(2_000, 15_000) });
  if (pick === 1) return fromTemplate(g, 'secretDelete', t, g.humans.alice, { ns, objName: `${app}-tls`, lat: g.latency(2_000, 15_000) });
  if (pick === 2) return fromTemplate(g, 'configmapConflict', t, g.sys.addons!, { lat: g.latency(2_000, 9_000) });
  const r = pick === 3 ? R.configmaps : R.secrets;
  const name = pick === 3 ? `${app}-config` : `sh.helm.release.v1.${app}.v${rng.range(1, 40)}`;
  const verb = rng.pick(['update', 'create', 'get']);
  const actor = rng.pick([g.sa.argocd!, g.humans.admin, g.sys.addons!]);
  return g.req({
    verb,
    uri: pathOf(r, ns, verb === 'create' ? undefined : name),
    actor,
    objectRef: objectRef(r, ns, name, verb === 'update' ? g.stableUid(`${r.resource}/${ns}/${name}`) : undefined, verb === 'update' ? g.rv(t) : undefined),
    status: { metadata: {}, code: verb === 'create' ? 201 : 200 },
    reqObj: { kind: r.kind, apiVersion: 'v1', metadata: { name, namespace: ns }, data: { 'values.yaml': 'c2VjcmV0' } },
    respObj: { kind: r.kind, apiVersion: 'v1', metadata: { name, namespace: ns }, data: { 'values.yaml': 'c2VjcmV0' } },
    recvUs: t,
    lat: g.latency(1_500, 20_000),
  });
}

/** deployments/replicasets status updates by controllers: RequestResponse mutations Calico ignores. */
function workloadStatus(g: Gen, t: number): Req {
  const rng = g.rng;
  const ns = g.appNs();
  const app = g.app(ns);
  const rs = rng.chance(0.5);
  const r = rs ? R.replicasets : R.deployments;
  const name = rs ? `${app}-${g.podHash(app)}` : app;
  const actor = rs ? g.sa.replicaset! : g.sa.deployment!;
  const uid = g.stableUid(`${r.resource}/${ns}/${name}`);
  const n = g.units('pod-spec', g.o.payloadBytes * 0.4, (k) => podSpec(g, app, ns, k));
  const replicas = rng.range(1, 6);
  const labels = { app };
  const spec = { replicas, selector: { matchLabels: labels }, template: { metadata: { creationTimestamp: null, labels }, spec: podSpec(g, app, ns, n) } };
  const gen = 1 + (fnv1a(name) % 20);
  const obj = (rv: string, ready: number): J => ({
    kind: r.kind,
    apiVersion: 'apps/v1',
    metadata: meta({ name, ns, uid, rv, generation: gen, created: g.createdBefore(name), labels }),
    spec,
    status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: ready, availableReplicas: ready, observedGeneration: gen },
  });
  const oldRv = g.rv(t - 5_000_000);
  return g.req({
    verb: 'update',
    uri: pathOf(r, ns, name, 'status'),
    actor,
    objectRef: objectRef(r, ns, name, uid, oldRv, 'status'),
    status: { metadata: {}, code: 200 },
    reqObj: obj(oldRv, replicas),
    respObj: obj(g.rv(t), replicas),
    recvUs: t,
    lat: g.latency(2_000, 30_000),
  });
}

function podBinding(g: Gen, t: number): Req {
  const ns = g.appNs();
  const name = g.podName(g.app(ns));
  const uid = g.stableUid(`pod/${ns}/${name}`);
  return g.req({
    verb: 'create',
    uri: pathOf(R.pods, ns, name, 'binding'),
    actor: g.sys.scheduler!,
    objectRef: objectRef(R.pods, ns, name, uid, undefined, 'binding'),
    status: { metadata: {}, code: 201 },
    reqObj: { kind: 'Binding', apiVersion: 'v1', metadata: { name, namespace: ns, uid, creationTimestamp: null }, target: { kind: 'Node', name: g.node().name } },
    respObj: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
    recvUs: t,
    lat: g.latency(2_000, 15_000),
  });
}

function accessReview(g: Gen, t: number): Req {
  const ns = g.appNs();
  const actor = g.sa.metrics!;
  const spec = {
    resourceAttributes: { namespace: ns, verb: 'get', group: 'metrics.k8s.io', resource: 'pods' },
    user: g.humans.bob.user.username,
    groups: ['developers', 'system:authenticated'],
    uid: g.humans.bob.user.uid,
  };
  return g.req({
    verb: 'create',
    uri: `${pathOf(R.sar, undefined)}?timeout=10s`,
    actor,
    objectRef: objectRef(R.sar),
    status: { metadata: {}, code: 201 },
    reqObj: { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed: false } },
    respObj: {
      kind: 'SubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null, managedFields: [] },
      spec,
      status: { allowed: true, reason: 'RBAC: allowed by RoleBinding "developers/payments" of ClusterRole "edit" to Group "developers"' },
    },
    recvUs: t,
    lat: g.latency(300, 4_000),
  });
}

function tokenReview(g: Gen, t: number): Req {
  return g.req({
    verb: 'create',
    uri: pathOf(R.tokenreviews, undefined),
    actor: g.rng.pick([g.sa.metrics!, g.sa.lbc!, g.sa.prometheus!]),
    objectRef: objectRef(R.tokenreviews),
    status: { metadata: {}, code: 201 },
    recvUs: t,
    lat: g.latency(300, 5_000),
  });
}

function csr(g: Gen, t: number): Req {
  const rng = g.rng;
  const name = `csr-${rng.chars(K8S_ALNUM, 5)}`;
  const node = g.node();
  const verb = rng.pick(['list', 'get', 'update']);
  const csrObj = (approved: boolean): J => ({
    kind: 'CertificateSigningRequest',
    apiVersion: 'certificates.k8s.io/v1',
    metadata: meta({ name, uid: g.stableUid(`csr/${name}`), rv: g.rv(t), created: isoSec(Math.floor(t / 1000) - 2000) }),
    spec: {
      request: Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----\n${rng.hex(600)}\n-----END CERTIFICATE REQUEST-----\n`).toString('base64'),
      signerName: 'kubernetes.io/kubelet-serving',
      usages: ['digital signature', 'server auth'],
      username: node.actor.user.username,
      groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
    },
    status: approved
      ? { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving self kubelet server certificate after SubjectAccessReview.', lastUpdateTime: isoSec(Math.floor(t / 1000)), lastTransitionTime: isoSec(Math.floor(t / 1000)) }] }
      : {},
  });
  return g.req({
    verb,
    uri: pathOf(R.csrs, undefined, verb === 'list' ? undefined : name, verb === 'update' ? 'approval' : undefined),
    actor: g.sys.certs!,
    objectRef: objectRef(R.csrs, undefined, verb === 'list' ? undefined : name, undefined, undefined, verb === 'update' ? 'approval' : undefined),
    status: { metadata: {}, code: 200 },
    reqObj: verb === 'update' ? csrObj(true) : undefined,
    respObj: verb === 'update' ? csrObj(true) : undefined,
    recvUs: t,
    lat: g.latency(1_000, 20_000),
  });
}

function endpointSlice(g: Gen, t: number): Req {
  const ns = g.appNs();
  const app = g.app(ns);
  const name = `${app}-${g.rng.chars(K8S_ALNUM, 5)}`;
  return g.req({
    verb: 'update',
    uri: pathOf(R.endpointslices, ns, name),
    actor: g.sa.endpointslice!,
    objectRef: objectRef(R.endpointslices, ns, name, g.stableUid(`eps/${ns}/${name}`), g.rv(t)),
    status: { metadata: {}, code: 200 },
    recvUs: t,
    lat: g.latency(1_500, 20_000),
  });
}
