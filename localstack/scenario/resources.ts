// The API resources the scenario touches, their request paths and object references, and the
// EKS-like audit policy that decides each request's level.

import type { J } from './format.js';

export type Level = 'Metadata' | 'Request' | 'RequestResponse';

export interface Res {
  resource: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  generation?: boolean;
}

const res = (resource: string, group: string, version: string, kind: string, namespaced: boolean, generation = false): Res => ({
  resource,
  group,
  version,
  kind,
  namespaced,
  generation,
});

export const R = {
  pods: res('pods', '', 'v1', 'Pod', true),
  namespaces: res('namespaces', '', 'v1', 'Namespace', false),
  serviceaccounts: res('serviceaccounts', '', 'v1', 'ServiceAccount', true),
  endpoints: res('endpoints', '', 'v1', 'Endpoints', true),
  services: res('services', '', 'v1', 'Service', true),
  configmaps: res('configmaps', '', 'v1', 'ConfigMap', true),
  secrets: res('secrets', '', 'v1', 'Secret', true),
  nodes: res('nodes', '', 'v1', 'Node', false),
  netpol: res('networkpolicies', 'networking.k8s.io', 'v1', 'NetworkPolicy', true, true),
  extNetpol: res('networkpolicies', 'extensions', 'v1beta1', 'NetworkPolicy', true, true),
  calicoNp: res('networkpolicies', 'projectcalico.org', 'v3', 'NetworkPolicy', true, true),
  calicoGnp: res('globalnetworkpolicies', 'projectcalico.org', 'v3', 'GlobalNetworkPolicy', false, true),
  calicoTier: res('tiers', 'projectcalico.org', 'v3', 'Tier', false, true),
  calicoGns: res('globalnetworksets', 'projectcalico.org', 'v3', 'GlobalNetworkSet', false, true),
  calicoNs: res('networksets', 'projectcalico.org', 'v3', 'NetworkSet', true, true),
  calicoHep: res('hostendpoints', 'projectcalico.org', 'v3', 'HostEndpoint', false, true),
  deployments: res('deployments', 'apps', 'v1', 'Deployment', true, true),
  replicasets: res('replicasets', 'apps', 'v1', 'ReplicaSet', true, true),
  daemonsets: res('daemonsets', 'apps', 'v1', 'DaemonSet', true, true),
  leases: res('leases', 'coordination.k8s.io', 'v1', 'Lease', true),
  endpointslices: res('endpointslices', 'discovery.k8s.io', 'v1', 'EndpointSlice', true),
  csrs: res('certificatesigningrequests', 'certificates.k8s.io', 'v1', 'CertificateSigningRequest', false),
  sar: res('subjectaccessreviews', 'authorization.k8s.io', 'v1', 'SubjectAccessReview', false),
  tokenreviews: res('tokenreviews', 'authentication.k8s.io', 'v1', 'TokenReview', false),
  crds: res('customresourcedefinitions', 'apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', false, true),
  felixConfigs: res('felixconfigurations', 'crd.projectcalico.org', 'v1', 'FelixConfiguration', false, true),
  ipamBlocks: res('ipamblocks', 'crd.projectcalico.org', 'v1', 'IPAMBlock', false, true),
  eniConfigs: res('eniconfigs', 'crd.k8s.amazonaws.com', 'v1alpha1', 'ENIConfig', false, true),
} as const;

/** Groups the EKS (GCE-derived) policy treats as known APIs; projectcalico.org added on purpose. */
const KNOWN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'extensions',
  'metrics.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'projectcalico.org',
]);
const METADATA_ONLY = new Set(['secrets', 'configmaps', 'tokenreviews', 'serviceaccounts/token']);

/** The audit level of a request under the EKS-like policy. */
export function levelFor(objectRef: J | undefined, verb: string, actor: { user: J }): Level {
  if (!objectRef) return 'Metadata';
  const resource = objectRef.resource as string;
  const sub = objectRef.subresource as string | undefined;
  const full = sub ? `${resource}/${sub}` : resource;
  if (METADATA_ONLY.has(full) || METADATA_ONLY.has(resource)) return 'Metadata';
  const groups = (actor.user.groups as string[] | undefined) ?? [];
  if (groups.includes('system:nodes') && (verb === 'update' || verb === 'patch') && (full === 'nodes/status' || full === 'pods/status'))
    return 'Request';
  if (!KNOWN_GROUPS.has((objectRef.apiGroup as string | undefined) ?? '')) return 'Metadata';
  return verb === 'get' || verb === 'list' || verb === 'watch' ? 'Request' : 'RequestResponse';
}

export const apiVersionOf = (r: Res): string => (r.group ? `${r.group}/${r.version}` : r.version);

export function pathOf(r: Res, ns: string | undefined, name?: string, sub?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : '/api/v1';
  if (r.namespaced && ns) p += `/namespaces/${ns}`;
  p += `/${r.resource}`;
  if (name) p += `/${name}`;
  if (sub) p += `/${sub}`;
  return p;
}

/** ObjectReference in its Go field order. */
export function objectRef(r: Res, ns?: string, name?: string, uid?: string, rv?: string, sub?: string): J {
  const o: J = { resource: r.resource };
  if (r.namespaced && ns) o.namespace = ns;
  if (name) o.name = name;
  if (uid) o.uid = uid;
  if (r.group) o.apiGroup = r.group;
  o.apiVersion = r.version;
  if (rv) o.resourceVersion = rv;
  if (sub) o.subresource = sub;
  return o;
}
