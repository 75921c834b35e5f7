/** Generated audit documents of one NetworkPolicy's life, as the API server writes them at RequestResponse. */
export const T0 = Date.parse('2026-03-01T10:00:00Z');

export function policy(rv: string, spec: Record<string, unknown>, extra: { generation?: number; annotations?: Record<string, string>; status?: unknown; name?: string } = {}): Record<string, unknown> {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: extra.name ?? 'deny-all',
      namespace: 'prod',
      uid: 'u1',
      resourceVersion: rv,
      generation: extra.generation ?? 1,
      managedFields: [{ manager: 'kubectl', operation: 'Update' }],
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    },
    spec,
    ...(extra.status ? { status: extra.status } : {}),
  };
}

let n = 0;
export function doc(
  verb: string,
  minutes: number,
  response: Record<string, unknown> | undefined,
  o: { code?: number; uri?: string; subresource?: string; name?: string; user?: string; auditID?: string; resource?: string; group?: string } = {},
): Record<string, unknown> {
  const name = o.name ?? 'deny-all';
  const at = new Date(T0 + minutes * 60_000).toISOString();
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: o.auditID ?? `a-${++n}`,
    stage: 'ResponseComplete',
    requestURI: o.uri ?? `/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/${name}`,
    verb,
    user: { username: o.user ?? 'alice' },
    objectRef: { resource: o.resource ?? 'networkpolicies', namespace: 'prod', name, apiGroup: o.group ?? 'networking.k8s.io', apiVersion: 'v1', ...(o.subresource ? { subresource: o.subresource } : {}) },
    responseStatus: { metadata: {}, code: o.code ?? (verb === 'create' ? 201 : 200) },
    ...(response ? { responseObject: response } : {}),
    requestReceivedTimestamp: at,
    stageTimestamp: at,
  };
}

export const v1 = policy('100', { podSelector: {}, policyTypes: ['Ingress'] });
export const v2 = policy('105', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, { generation: 2 });
export const v3 = policy('110', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress', 'Egress'] }, { generation: 3, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"spec":{}}' } });
export const deleted = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name: 'deny-all', group: 'networking.k8s.io', kind: 'networkpolicies', uid: 'u1' } };
