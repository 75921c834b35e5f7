// Object bodies: ObjectMeta and managedFields, network policies (Kubernetes and Calico), network
// sets, endpoints and pod specs, sized by a number of repeated units; and the names and labels of
// the objects the mutations write.

import { PORTS, TIERS, type Gen } from './cluster.js';
import { isoSec, sortedJson, type J } from './format.js';
import { apiVersionOf, type Res } from './resources.js';
import { K8S_ALNUM } from './rng.js';

/** kubectl's last-applied-configuration annotation of an object. */
export function lastApplied(r: Res, name: string, ns: string | undefined, labels: J | undefined, body: J): string {
  const meta: J = { annotations: {}, labels, name, namespace: r.namespaced ? ns : undefined };
  return `${sortedJson({ apiVersion: apiVersionOf(r), kind: r.kind, metadata: meta, ...body })}\n`;
}

/** ObjectMeta in Go field order. */
export function meta(m: {
  name?: string;
  generateName?: string;
  ns?: string;
  uid?: string;
  rv?: string;
  generation?: number;
  created?: string | null;
  deletion?: string;
  labels?: J;
  annotations?: J;
  owner?: J[];
  finalizers?: string[];
  managed?: J[];
}): J {
  const o: J = {};
  if (m.name) o.name = m.name;
  if (m.generateName) o.generateName = m.generateName;
  if (m.ns) o.namespace = m.ns;
  if (m.uid) o.uid = m.uid;
  if (m.rv) o.resourceVersion = m.rv;
  if (m.generation !== undefined) o.generation = m.generation;
  o.creationTimestamp = m.created ?? null;
  if (m.deletion) {
    o.deletionTimestamp = m.deletion;
    o.deletionGracePeriodSeconds = 30;
  }
  if (m.labels) o.labels = m.labels;
  if (m.annotations) o.annotations = m.annotations;
  if (m.owner) o.ownerReferences = m.owner;
  if (m.finalizers) o.finalizers = m.finalizers;
  if (m.managed) o.managedFields = m.managed;
  return o;
}

/** fieldsV1 for the top-level fields of a body, roughly what the apiserver records. */
function fieldsV1(labels: J | undefined, annotations: J | undefined, body: J): J {
  const meta: J = {};
  if (annotations) meta['f:annotations'] = Object.fromEntries([['.', {}], ...Object.keys(annotations).sort().map((k) => [`f:${k}`, {}])]);
  if (labels) meta['f:labels'] = Object.fromEntries([['.', {}], ...Object.keys(labels).sort().map((k) => [`f:${k}`, {}])]);
  const out: J = {};
  if (Object.keys(meta).length) out['f:metadata'] = meta;
  for (const k of Object.keys(body).sort()) {
    const v = body[k];
    if (k === 'status') continue;
    out[`f:${k}`] =
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v as J).sort().map((kk) => [`f:${kk}`, {}]))
        : {};
  }
  return out;
}

/** A managedFields entry: who last wrote which top-level fields. */
export function managed(r: Res, manager: string, op: string, t: number, labels: J | undefined, annotations: J | undefined, body: J): J {
  return {
    manager,
    operation: op,
    apiVersion: apiVersionOf(r),
    time: isoSec(Math.floor(t / 1000)),
    fieldsType: 'FieldsV1',
    fieldsV1: fieldsV1(labels, annotations, body),
  };
}

function selector(app: string): J {
  return { matchLabels: { app } };
}

function cidr(g: Gen): string {
  return `${g.rng.pick([10, 52, 54, 172, 185, 203])}.${g.rng.int(256)}.${g.rng.int(256)}.0/${g.rng.pick([16, 20, 24, 28])}`;
}

function k8sNetpolBody(g: Gen, ns: string, app: string, n: number): J {
  const ingress: J[] = [];
  const egress: J[] = [];
  for (let i = 0; i < n; i++) {
    if (i % 2 === 0) {
      const peerNs = g.appNs();
      ingress.push({
        ports: [{ protocol: 'TCP', port: g.rng.pick(PORTS) }],
        from: [
          { podSelector: selector(g.app(ns)) },
          { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peerNs } }, podSelector: selector(g.app(peerNs)) },
        ],
      });
    } else {
      egress.push({
        ports: [{ protocol: g.rng.chance(0.3) ? 'UDP' : 'TCP', port: g.rng.pick(PORTS) }],
        to: [{ ipBlock: { cidr: cidr(g), except: [cidr(g)] } }],
      });
    }
  }
  const spec: J = { podSelector: selector(app), ingress };
  if (egress.length) spec.egress = egress;
  spec.policyTypes = egress.length ? ['Ingress', 'Egress'] : ['Ingress'];
  return { spec };
}

function calicoRule(g: Gen, ingress: boolean): J {
  const app = g.app(g.appNs());
  return ingress
    ? {
        action: g.rng.chance(0.9) ? 'Allow' : 'Deny',
        protocol: 'TCP',
        source: { selector: `app == '${app}'`, namespaceSelector: `projectcalico.org/name == '${g.appNs()}'` },
        destination: { ports: [g.rng.pick(PORTS)] },
      }
    : {
        action: 'Allow',
        protocol: g.rng.chance(0.5) ? 'UDP' : 'TCP',
        destination: { nets: [cidr(g)], ports: [g.rng.pick(PORTS)] },
      };
}

function calicoPolicyBody(g: Gen, name: string, n: number, global: boolean): J {
  const tier = name.includes('.') ? name.slice(0, name.indexOf('.')) : 'default';
  const ingress: J[] = [];
  const egress: J[] = [];
  for (let i = 0; i < n; i++) (i % 2 === 0 ? ingress : egress).push(calicoRule(g, i % 2 === 0));
  const spec: J = { tier, order: g.rng.pick([100, 200, 500, 1000]), ingress };
  if (egress.length) spec.egress = egress;
  spec.selector = global ? `has(projectcalico.org/namespace) && env == 'prod'` : `app == '${g.app(g.appNs())}'`;
  spec.types = egress.length ? ['Ingress', 'Egress'] : ['Ingress'];
  if (global) spec.namespaceSelector = `team == '${g.rng.pick(['payments', 'storefront', 'platform'])}'`;
  return { spec };
}

function netsBody(g: Gen, n: number): J {
  const nets: string[] = [];
  for (let i = 0; i < n; i++) nets.push(cidr(g));
  return { spec: { nets } };
}

function endpointsBody(g: Gen, ns: string, app: string, n: number): J {
  const addresses: J[] = [];
  for (let i = 0; i < n; i++) {
    const node = g.node();
    const pod = g.podName(app);
    addresses.push({
      ip: `10.0.${g.rng.int(64)}.${g.rng.range(2, 254)}`,
      nodeName: node.name,
      targetRef: { kind: 'Pod', namespace: ns, name: pod, uid: g.stableUid(`pod/${ns}/${pod}`) },
    });
  }
  return { subsets: [{ addresses, ports: [{ name: 'http', port: g.rng.pick(PORTS), protocol: 'TCP' }] }] };
}

export function podSpec(g: Gen, app: string, ns: string, n: number, nodeName?: string): J {
  const token = `kube-api-access-${g.rng.chars(K8S_ALNUM, 5)}`;
  const env: J[] = [];
  for (let i = 0; i < n; i++) {
    env.push(
      i % 3 === 2
        ? { name: `SECRET_${i}`, valueFrom: { secretKeyRef: { name: `${app}-secrets`, key: `key-${i}` } } }
        : { name: `${app.toUpperCase().replaceAll('-', '_')}_SETTING_${i}`, value: g.rng.hex(12) },
    );
  }
  const spec: J = {
    volumes: [
      {
        name: token,
        projected: {
          sources: [
            { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
            { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
            { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
          ],
          defaultMode: 420,
        },
      },
    ],
    containers: [
      {
        name: app,
        image: `${g.account}.dkr.ecr.${g.region}.amazonaws.com/${ns}/${app}:1.${g.rng.int(30)}.${g.rng.int(10)}`,
        ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
        env,
        resources: { limits: { memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
        volumeMounts: [{ name: token, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
        readinessProbe: {
          httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
          timeoutSeconds: 1,
          periodSeconds: 10,
          successThreshold: 1,
          failureThreshold: 3,
        },
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        imagePullPolicy: 'IfNotPresent',
      },
    ],
    restartPolicy: 'Always',
    terminationGracePeriodSeconds: 30,
    dnsPolicy: 'ClusterFirst',
    serviceAccountName: app,
    serviceAccount: app,
  };
  if (nodeName) spec.nodeName = nodeName;
  Object.assign(spec, {
    securityContext: {},
    schedulerName: 'default-scheduler',
    tolerations: [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ],
    priority: 0,
    enableServiceLinks: true,
    preemptionPolicy: 'PreemptLowerPriority',
  });
  return spec;
}

/** Name of the object a mutation of kind `r` writes. */
export function nameFor(g: Gen, r: Res, ns: string, app: string): string {
  const rng = g.rng;
  switch (r.kind) {
    case 'NetworkPolicy':
      if (r.group === 'projectcalico.org') return `${rng.pick(TIERS)}.${rng.pick(['allow-', 'deny-', ''])}${app}`;
      return rng.pick(['default-deny-all', 'allow-dns-egress', `allow-${app}-ingress`, `${app}-egress`, 'allow-prometheus-scrape']);
    case 'GlobalNetworkPolicy':
      return `${rng.pick(TIERS)}.${rng.pick(['block-threatfeeds', 'allow-kube-dns', 'deny-metadata-api', 'pci-isolation', 'allow-ingress-nginx'])}`;
    case 'Tier':
      return rng.pick(TIERS);
    case 'GlobalNetworkSet':
      return rng.pick(['threatfeed.feodo-tracker', 'threatfeed.spamhaus-drop', 'allowed-saas-ranges', 'corp-vpn-egress']);
    case 'NetworkSet':
      return rng.pick(['external-apis', 'partner-cidrs', 'payment-gateways']);
    case 'HostEndpoint':
      return `${g.node().name}-auto-hep`;
    case 'Namespace':
      return rng.chance(0.5) ? `preview-pr-${rng.range(100, 999)}` : `dev-${rng.chars(K8S_ALNUM, 5)}`;
    case 'ServiceAccount':
      return rng.pick([app, `${app}-irsa`, 'ci-deployer', 'default']);
    case 'Pod':
      return g.podName(app);
    default:
      return app;
  }
}

/** Labels of the object a mutation of kind `r` writes. */
export function labelsFor(g: Gen, r: Res, name: string, app: string): J | undefined {
  switch (r.kind) {
    case 'Namespace':
      return { 'kubernetes.io/metadata.name': name, team: g.rng.pick(['payments', 'storefront', 'platform']) };
    case 'GlobalNetworkSet':
      return name.startsWith('threatfeed.') ? { 'threatfeed.projectcalico.org/name': name.slice(11) } : { 'egress-allowed': 'true' };
    case 'Endpoints':
      return { app, 'app.kubernetes.io/managed-by': 'Helm' };
    case 'Pod':
      return { app, 'pod-template-hash': g.podHash(app) };
    default:
      return g.rng.chance(0.5) ? { 'app.kubernetes.io/part-of': app } : undefined;
  }
}

/** Body (the fields after metadata) of a kind, with `n` repeated units. */
export function objectBody(g: Gen, r: Res, name: string, ns: string, app: string, n: number): J {
  switch (`${r.group}/${r.kind}`) {
    case 'networking.k8s.io/NetworkPolicy':
    case 'extensions/NetworkPolicy':
      return k8sNetpolBody(g, ns, app, n);
    case 'projectcalico.org/NetworkPolicy':
      return calicoPolicyBody(g, name, n, false);
    case 'projectcalico.org/GlobalNetworkPolicy':
      return calicoPolicyBody(g, name, n, true);
    case 'projectcalico.org/Tier':
      return { spec: { order: name === 'security' ? 100 : name === 'platform' ? 200 : 300, defaultAction: 'Deny' } };
    case 'projectcalico.org/GlobalNetworkSet':
    case 'projectcalico.org/NetworkSet':
      return netsBody(g, n * 4);
    case 'projectcalico.org/HostEndpoint': {
      const node = name.slice(0, -'-auto-hep'.length);
      const ip = g.nodes.find((x) => x.name === node)?.ip ?? '10.0.0.10';
      return { spec: { node, interfaceName: '*', expectedIPs: [ip], profiles: ['projectcalico-default-allow'] } };
    }
    case '/Pod':
      return { spec: podSpec(g, app, ns, n, g.node().name), status: { phase: 'Pending', qosClass: 'Burstable' } };
    case '/Namespace':
      return { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
    case '/Endpoints':
      return endpointsBody(g, ns, app, n);
    default:
      return {};
  }
}
