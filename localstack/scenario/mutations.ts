// Calico-relevant mutations: network policies, Calico resources, pods, endpoints, namespaces and
// service accounts, with the occasional dryRun and 4xx; and the oversized events EKS truncates.

import type { Actor, Gen, Req } from './cluster.js';
import { TEMPLATES } from './corpus-templates.js';
import { isoSec, type J } from './format.js';
import { labelsFor, lastApplied, managed, meta, nameFor, objectBody, podSpec } from './objects.js';
import { apiVersionOf, objectRef, pathOf, R, type Res } from './resources.js';
import { fnv1a, K8S_ALNUM, Table, weighted, type Weighted } from './rng.js';

const CALICO_MUTATIONS = new Table<(g: Gen, t: number) => Req>([
  [9.5, (g, t) => policyMutation(g, t, R.netpol)],
  [0.5, (g, t) => policyMutation(g, t, R.extNetpol)],
  [2.2, (g, t) => policyMutation(g, t, R.calicoNp)],
  [1.2, (g, t) => policyMutation(g, t, R.calicoGnp)],
  [0.3, (g, t) => policyMutation(g, t, R.calicoTier)],
  [0.7, (g, t) => policyMutation(g, t, R.calicoGns)],
  [0.4, (g, t) => policyMutation(g, t, R.calicoNs)],
  [0.4, (g, t) => policyMutation(g, t, R.calicoHep)],
  [4, (g, t) => podCreate(g, t)],
  [3.5, (g, t) => podDelete(g, t)],
  [1, (g, t) => policyMutation(g, t, R.pods)],
  [5, (g, t) => policyMutation(g, t, R.endpoints)],
  [1.6, (g, t) => policyMutation(g, t, R.namespaces)],
  [2.1, (g, t) => policyMutation(g, t, R.serviceaccounts)],
]);

/** One Calico-relevant mutation, its kind drawn by weight. */
export function calicoMutation(g: Gen, t: number): Req {
  return CALICO_MUTATIONS.pick(g.rng)(g, t);
}

/** A successful RequestResponse create of a Kubernetes or Calico network policy. */
export function keptMutation(g: Gen, t: number): Req {
  const r = g.rng.chance(0.7) ? R.netpol : R.calicoNp;
  const ns = g.appNs();
  const app = g.app(ns);
  return mutation(g, t, r, 'create', { ns, app, name: nameFor(g, r, ns, app), actor: g.humans.alice, dryRun: false });
}

function actorFor(g: Gen, r: Res): Actor {
  const { admin, alice, bob } = g.humans;
  const sa = g.sa;
  const table: Weighted<Actor> =
    r.kind === 'Endpoints'
      ? [[1, sa.endpoint!]]
      : r.kind === 'HostEndpoint'
        ? [[1, sa.calicoKc!]]
        : r.kind === 'GlobalNetworkSet'
          ? [
              [2, sa.intrusion!],
              [1, alice],
            ]
          : r.kind === 'Tier'
            ? [
                [1, sa.tigeraOperator!],
                [1, alice],
              ]
            : r.group === 'projectcalico.org'
              ? [
                  [2, alice],
                  [1, admin],
                  [1, sa.tigeraOperator!],
                  [1, sa.argocd!],
                ]
              : [
                  [2, admin],
                  [2, alice],
                  [1, bob],
                  [3, sa.argocd!],
                ];
  return weighted(g.rng, table);
}

/** create/update/patch/delete of one kind, with the occasional dryRun and 4xx. */
function policyMutation(g: Gen, t: number, r: Res): Req {
  const rng = g.rng;
  const actor = actorFor(g, r);
  const bob = actor === g.humans.bob;
  // bob may only write in payments (RoleBinding "developers/payments").
  const ns = r.namespaced ? (bob && rng.chance(0.8) ? 'payments' : g.appNs()) : undefined;
  const app = g.app(ns ?? g.appNs());
  const name = nameFor(g, r, ns ?? '', app);
  const verb: string =
    r.kind === 'Endpoints'
      ? weighted(rng, [
          [18, 'update'],
          [1, 'create'],
          [1, 'delete'],
        ])
      : r.kind === 'Pod'
        ? 'patch'
        : weighted(rng, [
            [3, 'create'],
            [3, 'patch'],
            [2, 'update'],
            [1.5, 'delete'],
          ]);
  const dryRun = actor.human && rng.chance(0.04);
  let failure: number | undefined;
  if (bob && ns !== 'payments') failure = 403;
  else if (rng.chance(0.05)) {
    if (bob) failure = 403;
    else if (verb === 'create') failure = rng.pick([409, 422]);
    else if (verb === 'delete') failure = 404;
    else failure = rng.pick([404, 409, 422]);
  }
  return mutation(g, t, r, verb, { ns, app, name, actor, dryRun, failure });
}

function mutation(
  g: Gen,
  t: number,
  r: Res,
  verb: string,
  m: { ns?: string; app: string; name: string; actor: Actor; dryRun: boolean; failure?: number; n?: number; lat?: number },
): Req {
  const { ns, app, name, actor } = m;
  const key = `${r.group}/${r.resource}/${ns ?? ''}/${name}`;
  const uid = g.stableUid(key);
  const labels = labelsFor(g, r, name, app);
  const kubectlish = actor.human || actor === g.sa.argocd;
  const ssa = actor === g.sa.argocd && verb === 'patch';
  // kubectl's last-applied annotation repeats the body, so such objects get half the units.
  const share = kubectlish && !ssa ? 0.35 : 0.7;
  const n = m.n ?? g.units(`${r.group}/${r.kind}`, g.o.payloadBytes * share, (k) => objectBody(g, r, name, ns ?? 'default', app, k));
  const body = objectBody(g, r, name, ns ?? 'default', app, n);
  const manager = ssa ? 'argocd-controller' : actor.human ? (verb === 'update' ? 'kubectl-edit' : 'kubectl-client-side-apply') : String((actor.ua.split('/')[0] ?? 'controller'));
  const annotations: J | undefined = kubectlish && !ssa ? { 'kubectl.kubernetes.io/last-applied-configuration': lastApplied(r, name, ns, labels, body) } : undefined;
  const created = verb === 'create' ? isoSec(Math.floor(t / 1000)) : g.createdBefore(key);
  const oldRv = g.rv(t - 60_000_000);
  const newRv = m.dryRun ? oldRv : g.rv(t);
  const gen = r.generation ? (verb === 'create' ? 1 : 1 + (fnv1a(key) % 9)) : undefined;
  const newGen = gen === undefined || verb === 'create' || m.dryRun ? gen : gen + 1;
  const mf = [managed(r, manager, ssa ? 'Apply' : 'Update', t, labels, annotations, body)];
  const full = (rv: string, generation: number | undefined, deletion?: string): J => ({
    kind: r.kind,
    apiVersion: apiVersionOf(r),
    metadata: meta({ name, ns, uid, rv, generation, created, deletion, labels, annotations, managed: mf }),
    ...body,
  });

  const q: string[] = [];
  if (m.dryRun) q.push('dryRun=All');
  if (verb !== 'delete' && kubectlish) q.push(`fieldManager=${manager}`);
  if (ssa) q.push('force=true');
  else if (verb !== 'delete' && actor.human) q.push('fieldValidation=Strict');
  const query = q.length ? `?${q.join('&')}` : '';
  const uri = pathOf(r, ns, verb === 'create' ? undefined : name) + query;

  let reqObj: unknown;
  let respObj: unknown;
  let ref: J;
  let status: J;
  switch (verb) {
    case 'create':
      reqObj = { kind: r.kind, apiVersion: apiVersionOf(r), metadata: meta({ name, ns, labels, annotations }), ...body };
      respObj = full(newRv, gen);
      ref = objectRef(r, ns, name);
      status = { metadata: {}, code: 201 };
      break;
    case 'update':
      reqObj = full(oldRv, gen);
      respObj = full(newRv, newGen);
      ref = objectRef(r, ns, name, uid, oldRv);
      status = { metadata: {}, code: 200 };
      break;
    case 'patch':
      reqObj = ssa
        ? { apiVersion: apiVersionOf(r), kind: r.kind, metadata: { labels, name, namespace: ns }, ...body }
        : r.kind === 'Pod'
          ? { metadata: { labels: { 'rollout.argoproj.io/restarted-at': isoSec(Math.floor(t / 1000)) } } }
          : { metadata: { annotations }, ...body };
      respObj = full(newRv, newGen);
      ref = objectRef(r, ns, name);
      status = { metadata: {}, code: 200 };
      break;
    default: {
      // delete
      reqObj = actor.human
        ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }
        : { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } };
      const details: J = { name };
      if (r.group) details.group = r.group;
      details.kind = r.resource;
      details.uid = uid;
      respObj =
        r.kind === 'Namespace'
          ? { ...full(newRv, gen, isoSec(Math.floor(t / 1000))), status: { phase: 'Terminating' } }
          : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
      ref = objectRef(r, ns, name);
      status = r.kind === 'Namespace' ? { metadata: {}, code: 200 } : { metadata: {}, status: 'Success', code: 200 };
    }
  }

  let annotationsOut = actor.allow;
  if (m.failure !== undefined) {
    const gr = r.group ? `${r.resource}.${r.group}` : r.resource;
    const details: J = { name };
    if (r.group) details.group = r.group;
    details.kind = m.failure === 422 ? r.kind : r.resource;
    let message: string;
    let reason: string;
    switch (m.failure) {
      case 403:
        reason = 'Forbidden';
        message = `${gr} "${name}" is forbidden: User "${actor.user.username as string}" cannot ${verb} resource "${r.resource}" in API group "${r.group}"${ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`;
        annotationsOut = { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' };
        reqObj = undefined; // refused before the body is read
        break;
      case 404:
        reason = 'NotFound';
        message = `${gr} "${name}" not found`;
        break;
      case 409:
        reason = verb === 'create' ? 'AlreadyExists' : 'Conflict';
        message =
          verb === 'create'
            ? `${gr} "${name}" already exists`
            : `Operation cannot be fulfilled on ${gr} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
        break;
      default:
        reason = 'Invalid';
        message = `${r.kind}${r.group ? `.${r.group}` : ''} "${name}" is invalid: metadata.labels: Invalid value: "${app}-": a valid label must end with an alphanumeric character`;
        details.causes = [{ reason: 'FieldValueInvalid', message: `Invalid value: "${app}-": a valid label must end with an alphanumeric character`, field: 'metadata.labels' }];
    }
    status = { metadata: {}, status: 'Failure', message, reason, details, code: m.failure };
    respObj = m.failure === 403 ? undefined : { kind: 'Status', apiVersion: 'v1', ...status };
  }
  return g.req({
    verb,
    uri,
    actor,
    objectRef: ref,
    status,
    reqObj,
    respObj,
    annotations: annotationsOut,
    recvUs: t,
    lat: m.lat ?? g.latency(2_000, 60_000),
  });
}

/** Pod creates by controllers; a third re-stamped from corpus pods, the rest synthesized. */
function podCreate(g: Gen, t: number): Req {
  const rng = g.rng;
  const ns = g.appNs();
  const app = g.app(ns);
  const hash = g.podHash(app);
  const rsName = `${app}-${hash}`;
  const name = `${rsName}-${rng.chars(K8S_ALNUM, 5)}`;
  const uid = g.stableUid(`pod/${ns}/${name}`);
  const rsUid = g.stableUid(`rs/${ns}/${rsName}`);
  const owner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid, controller: true, blockOwnerDeletion: true }];
  const labels = { app, 'pod-template-hash': hash };
  const created = isoSec(Math.floor(t / 1000));
  const rv = g.rv(t);
  const actor = g.sa.replicaset!;
  const annotations: J = {
    ...actor.allow,
    'mutation.webhook.admission.k8s.io/round_0_index_0':
      '{"configuration":"pod-identity-webhook","webhook":"iam-for-pods.amazonaws.com","mutated":false}',
    'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
  };
  let reqObj: J;
  let respObj: J;
  if (rng.chance(0.33)) {
    const tpl = TEMPLATES[rng.pick(['podCreateFlex', 'podCreatePorts', 'podCreateRoFs'] as const)];
    const tReq = tpl.requestObject as J;
    const tResp = tpl.responseObject as J;
    reqObj = { ...tReq, metadata: { ...(tReq.metadata as J), generateName: `${rsName}-`, labels, ownerReferences: owner } };
    const { selfLink: _selfLink, ...rest } = tResp.metadata as J;
    respObj = {
      ...tResp,
      metadata: { ...rest, name, generateName: `${rsName}-`, namespace: ns, uid, resourceVersion: rv, creationTimestamp: created, labels, ownerReferences: owner },
    };
  } else {
    const n = g.units('pod-spec', g.o.payloadBytes * 0.6, (k) => podSpec(g, app, ns, k));
    const spec = podSpec(g, app, ns, n);
    const body = { spec, status: { phase: 'Pending', qosClass: 'Burstable' } };
    reqObj = { kind: 'Pod', apiVersion: 'v1', metadata: meta({ generateName: `${rsName}-`, labels, owner }), spec, status: {} };
    respObj = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: meta({
        name,
        generateName: `${rsName}-`,
        ns,
        uid,
        rv,
        created,
        labels,
        owner,
        managed: [managed(R.pods, 'kube-controller-manager', 'Update', t, labels, undefined, { spec })],
      }),
      ...body,
    };
  }
  return g.req({
    verb: 'create',
    uri: pathOf(R.pods, ns),
    actor,
    objectRef: objectRef(R.pods, ns),
    status: { metadata: {}, code: 201 },
    reqObj,
    respObj,
    annotations,
    recvUs: t,
    lat: g.latency(3_000, 40_000),
  });
}

function podDelete(g: Gen, t: number): Req {
  const rng = g.rng;
  const ns = g.appNs();
  const app = g.app(ns);
  const name = g.podName(app);
  const uid = g.stableUid(`pod/${ns}/${name}`);
  const actor = weighted(rng, [
    [5, g.sa.replicaset!],
    [1, g.humans.admin],
    [1, g.humans.alice],
  ] as Weighted<Actor>);
  const labels = { app, 'pod-template-hash': g.podHash(app) };
  const now = isoSec(Math.floor(t / 1000) + 30_000);
  const n = g.units('pod-spec', g.o.payloadBytes * 0.6, (k) => podSpec(g, app, ns, k));
  const respObj = {
    kind: 'Pod',
    apiVersion: 'v1',
    metadata: meta({ name, generateName: name.slice(0, -5), ns, uid, rv: g.rv(t), created: g.createdBefore(name), deletion: now, labels }),
    spec: podSpec(g, app, ns, n, g.node().name),
    status: { phase: 'Running', qosClass: 'Burstable', podIP: `10.0.${rng.int(64)}.${rng.range(2, 254)}` },
  };
  return g.req({
    verb: 'delete',
    uri: pathOf(R.pods, ns, name),
    actor,
    objectRef: objectRef(R.pods, ns, name),
    status: { metadata: {}, code: 200 },
    reqObj: actor.human ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } : { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } },
    respObj,
    recvUs: t,
    lat: g.latency(2_000, 30_000),
  });
}

/** An event far over CloudWatch's limit: a threat-feed GlobalNetworkSet or a huge NetworkPolicy. */
export function oversized(g: Gen, t: number, i: number): Req {
  const feed = i % 2 === 0;
  const r = feed ? R.calicoGns : R.netpol;
  const ns = feed ? undefined : g.appNs();
  const app = g.app(ns ?? 'default');
  const name = feed ? 'threatfeed.feodo-tracker' : `allow-${app}-partners`;
  // Units are sized so request+response objects exceed the cut point by a wide margin.
  const n = g.units(`${r.group}/${r.kind}`, 200_000, (k) => objectBody(g, r, name, ns ?? 'default', app, k));
  return mutation(g, t, r, feed ? 'update' : 'create', {
    ns,
    app,
    name,
    actor: feed ? g.sa.intrusion! : g.humans.alice,
    dryRun: false,
    n,
    lat: g.latency(50_000, 400_000),
  });
}
