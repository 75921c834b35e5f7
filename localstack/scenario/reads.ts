// Background reads: get/list/watch, discovery and health checks, logs and exec/attach sessions,
// and the denied or missing reads of the corpus.

import { TIERS, type Actor, type Gen, type Node, type Req } from './cluster.js';
import { fromTemplate, TEMPLATES } from './corpus-templates.js';
import { objectRef, pathOf, R, type Res } from './resources.js';
import { Table } from './rng.js';

interface ReadTarget {
  r: Res;
  ns?: string;
  name: string;
  actor: Actor;
}

const READ_TARGETS = new Table<(g: Gen, c: { ns: string; app: string; node: Node }) => ReadTarget>([
  [4, (g, c) => ({ r: R.pods, ns: c.ns, name: g.podName(c.app), actor: c.node.actor })],
  [3, (g, c) => ({ r: R.configmaps, ns: c.ns, name: `${c.app}-config`, actor: c.node.actor })],
  [2, (g, c) => ({ r: R.secrets, ns: c.ns, name: `${c.app}-secrets`, actor: c.node.actor })],
  [2, (g, c) => ({ r: R.nodes, name: c.node.name, actor: g.rng.pick([g.sa.awsNode!, g.sa.calicoNode!, g.sys.ccm!]) })],
  [2, (g, c) => ({ r: R.services, ns: c.ns, name: c.app, actor: g.rng.pick([g.sa.lbc!, g.sa.argocd!, g.humans.admin]) })],
  [2, (g, c) => ({ r: R.deployments, ns: c.ns, name: c.app, actor: g.rng.pick([g.sa.argocd!, g.sa.deployment!, g.humans.alice, g.humans.bob]) })],
  [1, (g, c) => ({ r: R.replicasets, ns: c.ns, name: `${c.app}-${g.podHash(c.app)}`, actor: g.sa.replicaset! })],
  [2, (g, c) => ({ r: R.netpol, ns: c.ns, name: `allow-${c.app}-ingress`, actor: g.rng.pick([g.sa.calicoKc!, g.sa.argocd!, g.humans.alice]) })],
  [1.5, (g, c) => ({ r: R.calicoNp, ns: c.ns, name: `${g.rng.pick(TIERS)}.allow-${c.app}`, actor: g.rng.pick([g.humans.alice, g.sa.tigeraOperator!]) })],
  [1, (g, c) => ({ r: R.calicoGnp, name: `${g.rng.pick(TIERS)}.allow-kube-dns`, actor: g.sa.tigeraOperator! })],
  [1, (g, c) => ({ r: R.felixConfigs, name: 'default', actor: g.sa.calicoNode! })],
  [1, (g, c) => ({ r: R.ipamBlocks, name: `10-0-${g.rng.int(64)}-0-26`, actor: g.sa.calicoNode! })],
  [1, (g, c) => ({ r: R.eniConfigs, name: `${g.region}a`, actor: g.sa.awsNode! })],
  [1, (g, c) => ({ r: R.namespaces, name: c.ns, actor: g.rng.pick([g.sys.apiserver!, g.sa.namespace!, g.sa.calicoKc!]) })],
  [1, (g, c) => ({ r: R.serviceaccounts, ns: c.ns, name: c.app, actor: g.rng.pick([g.sa.tokens!, g.humans.admin]) })],
  [1, (g, c) => ({ r: R.endpoints, ns: c.ns, name: c.app, actor: g.sa.coredns! })],
  [0.5, (g, c) => ({ r: R.crds, name: 'networkpolicies.crd.projectcalico.org', actor: g.sa.tigeraOperator! })],
]);

function readTarget(g: Gen): ReadTarget {
  const ns = g.appNs();
  return READ_TARGETS.pick(g.rng)(g, { ns, app: g.app(ns), node: g.node() });
}

export function read(g: Gen, t: number, verb: 'get' | 'list'): Req {
  const rng = g.rng;
  const { r, ns, name, actor } = readTarget(g);
  if (verb === 'get' && actor.human && rng.chance(0.3)) {
    // corpus shape: kubectl get of a kube-system object (service account / configmap)
    return rng.chance(0.5)
      ? fromTemplate(g, 'getServiceAccount', t, actor, { lat: g.latency(800, 8_000) })
      : fromTemplate(g, 'getConfigmap', t, actor, { lat: g.latency(800, 8_000) });
  }
  const query = verb === 'list' ? (actor.human ? '?limit=500' : '?limit=500&resourceVersion=0') : '';
  return g.req({
    verb,
    uri: pathOf(r, ns, verb === 'get' ? name : undefined) + query,
    actor,
    objectRef: objectRef(r, ns, verb === 'get' ? name : undefined),
    status: { metadata: {}, code: 200 },
    recvUs: t,
    lat: verb === 'list' ? g.latency(2_000, 300_000) : g.latency(500, 12_000),
  });
}

export function watch(g: Gen, t: number): Req {
  const rng = g.rng;
  const timeout = rng.range(300, 600);
  const lat = timeout * 1_000_000 + rng.int(900_000);
  const startedUs = g.done(t, 300 + rng.int(2_000));
  if (rng.chance(0.3)) {
    // corpus shapes: kubelet watching one configmap / its own node
    const node = g.node();
    const tpl = rng.chance(0.5) ? 'watchConfigmap' : 'watchNode';
    const objName = tpl === 'watchNode' ? node.name : rng.pick(['amazon-vpc-cni', 'kube-proxy-config', 'coredns']);
    return fromTemplate(g, tpl, t, node.actor, {
      ns: 'kube-system',
      objName,
      lat,
      startedUs,
      uri:
        pathOf(tpl === 'watchNode' ? R.nodes : R.configmaps, 'kube-system') +
        `?allowWatchBookmarks=true&fieldSelector=metadata.name%3D${objName}&resourceVersion=${g.rv(t - 600_000_000)}&timeout=${Math.floor(timeout / 60)}m${timeout % 60}s&timeoutSeconds=${timeout}&watch=true`,
    });
  }
  const { r, ns, actor } = readTarget(g);
  const allNs = rng.chance(0.5);
  return g.req({
    verb: 'watch',
    uri:
      pathOf(r, allNs ? undefined : ns) +
      `?allowWatchBookmarks=true&resourceVersion=${g.rv(t - 600_000_000)}&timeout=${Math.floor(timeout / 60)}m${timeout % 60}s&timeoutSeconds=${timeout}&watch=true`,
    actor,
    objectRef: objectRef(r, allNs ? undefined : ns),
    status: { metadata: {}, code: 200 },
    recvUs: t,
    lat,
    startedUs,
  });
}

export function nonResource(g: Gen, t: number): Req {
  const rng = g.rng;
  const kind = rng.int(10);
  if (kind < 3) {
    // corpus shape: controller discovery
    const tpl = rng.chance(0.5) ? 'discoveryGroup' : 'discoveryCore';
    const group = rng.pick([
      '/apis/networking.k8s.io/v1',
      '/apis/projectcalico.org/v3',
      '/apis/coordination.k8s.io/v1',
      '/apis/apps/v1',
      '/apis/policy/v1',
      '/api/v1',
    ]);
    return fromTemplate(g, tpl, t, rng.pick([g.sa.gc!, g.sa.quota!]), { uri: `${group}?timeout=32s`, lat: g.latency(60, 900) });
  }
  const [uri, actor] = rng.pick([
    ['/healthz', g.sys.anonymous!],
    ['/livez', g.sys.anonymous!],
    ['/readyz', g.sys.anonymous!],
    ['/readyz?verbose', g.sys.k8sMetrics!],
    ['/version', g.humans.admin],
    ['/version?timeout=32s', g.sa.argocd!],
    ['/api?timeout=32s', g.humans.alice],
    ['/apis?timeout=32s', g.humans.alice],
    ['/apis', g.sa.argocd!],
    ['/openapi/v2?timeout=32s', g.humans.admin],
    ['/openapi/v3', g.sa.argocd!],
    ['/metrics', g.sa.prometheus!],
  ] as const);
  return g.req({
    verb: 'get',
    uri,
    actor,
    status: { metadata: {}, code: 200 },
    recvUs: t,
    lat: g.latency(50, 3_000),
  });
}

/** kubectl exec / attach: upgraded connections, ResponseStarted (101) then ResponseComplete. */
export function podStream(g: Gen, t: number): Req {
  const rng = g.rng;
  const ns = g.appNs();
  const app = g.app(ns);
  const name = g.podName(app);
  const exec = rng.chance(0.8);
  const actor = rng.pick([g.humans.admin, g.humans.alice]);
  const tpl = TEMPLATES[exec ? 'podExec' : 'podAttach'];
  const query = (tpl.requestURI as string).split('?')[1]!.replaceAll('nginx1', app);
  return fromTemplate(g, exec ? 'podExec' : 'podAttach', t, actor, {
    ns,
    objName: name,
    uri: `${pathOf(R.pods, ns, name, exec ? 'exec' : 'attach')}?${query}`,
    lat: rng.range(5, 900) * 1_000_000,
    startedUs: g.done(t, 20_000 + rng.int(40_000)),
    status: { metadata: {}, code: 101 },
  });
}

export function podLog(g: Gen, t: number): Req {
  const ns = g.appNs();
  const app = g.app(ns);
  const name = g.podName(app);
  return g.req({
    verb: 'get',
    uri: `${pathOf(R.pods, ns, name, 'log')}?container=${app}&follow=true&tailLines=100`,
    actor: g.rng.pick([g.humans.admin, g.humans.alice, g.humans.bob]),
    objectRef: objectRef(R.pods, ns, name, undefined, undefined, 'log'),
    status: { metadata: {}, code: 200 },
    recvUs: t,
    lat: g.rng.range(1, 600) * 1_000_000,
  });
}

/** Corpus shapes: impersonated list answered 403, get answered 404 (often with RequestReceived). */
export function deniedOrMissing(g: Gen, t: number): Req {
  const rng = g.rng;
  if (rng.chance(0.4)) {
    const ns = g.appNs();
    const bob = g.humans.bob.user;
    return fromTemplate(g, 'listForbiddenImpersonated', t, g.humans.admin, {
      ns,
      imp: { username: bob.username, groups: bob.groups },
      lat: g.latency(300, 3_000),
      status: {
        metadata: {},
        status: 'Failure',
        message: `pods is forbidden: User "${bob.username as string}" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
        reason: 'Forbidden',
        details: { kind: 'pods' },
        code: 403,
      },
    });
  }
  const ns = g.appNs();
  const name = `${g.app(ns)}-reader`;
  return fromTemplate(g, 'getNotFound', t, g.sa.argocd!, {
    ns,
    objName: name,
    lat: g.latency(300, 3_000),
    status: {
      metadata: {},
      status: 'Failure',
      message: `roles.rbac.authorization.k8s.io "${name}" not found`,
      reason: 'NotFound',
      details: { name, group: 'rbac.authorization.k8s.io', kind: 'roles' },
      code: 404,
    },
  });
}
