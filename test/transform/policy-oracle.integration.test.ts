/*
 * The policy engine against the API server's own audit policy code (k8s.io/apiserver, the version
 * of the tested kube-apiserver), run as the Go oracle in test/oracle/audit-policy: for every
 * (event, policy) pair the engine must decide what the API server decides — level, omitStages,
 * omitManagedFields, whether the event is logged, at which level, and with which bodies.
 *
 * Events: the real corpus, the project's generator, and variants of both aimed at the places where
 * the engine once differed (patch bodies, Table responses, percent-escaped paths, empty resources,
 * requests without a user, the name and namespace of creates and updates). Policies: a dozen,
 * adversarial. The oracle is built on first use into the project cache (about a minute cold).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse as parseYaml12 } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents, generateScenario } from '../../localstack/scenario.js';
import { parseAuditEvent, type AuditEvent } from '../../src/transform/audit-event.js';
import { applyPolicy, compilePolicy, evaluate, type CompiledPolicy } from '../../src/transform/policy.js';
import { loadPolicyFile, parsePolicyText } from '../../src/transform/policy-file.js';
import { decide, loadPolicy, oracleBinary, yamlToJson, type OracleBody, type OracleDecision } from '../oracle/audit-policy.js';
import { loadCorpus } from '../support/corpus.js';

type J = Record<string, unknown>;

const dir = mkdtempSync(path.join(tmpdir(), 'policy-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const isRecord = (v: unknown): v is J => v !== null && typeof v === 'object' && !Array.isArray(v);
const clone = <T>(v: T): T => structuredClone(v);

// ---------------------------------------------------------------------------------------------
// Events

interface Case {
  /** Where it comes from, for the failure report: `audit-events.jsonl:12`, `generated:40`, `variant/table:3`. */
  label: string;
  event: AuditEvent;
}

function parsed(json: unknown, label: string): Case {
  const res = parseAuditEvent(JSON.stringify(json));
  if (!res.ok) throw new Error(`${label}: ${res.reason}`);
  return { label, event: res.event };
}

function corpusCases(): Case[] {
  const out: Case[] = [];
  for (const file of ['audit-events.jsonl', 'audit-events-variants.jsonl']) {
    loadCorpus(file).forEach(({ event }, i) => out.push(parsed(event, `${file}:${i + 1}`)));
  }
  // AKS diagnostic records carry the API server's line in properties.log.
  loadCorpus('aks-diagnostic-records.jsonl').forEach(({ event }, i) => {
    const log = ((event as J)['properties'] as J)['log'] as string;
    out.push(parsed(JSON.parse(log), `aks-diagnostic-records.jsonl:${i + 1}`));
  });
  return out;
}

function generatedCases(): Case[] {
  const scenario = generateScenario({
    cluster: 'oracle',
    seed: 20_251_010,
    events: 8_000,
    startMs: 1_760_000_000_000,
    spanMs: 3_600_000,
    otherStreams: false,
  });
  return auditEvents(scenario).map((e, i) => parsed(JSON.parse(e.message), `generated:${i}`));
}

const MANAGED_FIELDS = [
  {
    manager: 'kubectl-client-side-apply',
    operation: 'Update',
    apiVersion: 'v1',
    time: '2025-10-10T10:00:00Z',
    fieldsType: 'FieldsV1',
    fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:app': {} } } },
  },
];

/** A copy with managedFields in its metadata (and in each item's, for a list). */
function withManagedFields(obj: unknown): unknown {
  if (!isRecord(obj)) return obj;
  const out = clone(obj);
  if (isRecord(out['metadata']) && !('managedFields' in out['metadata'])) out['metadata']['managedFields'] = MANAGED_FIELDS;
  if (Array.isArray(out['items'])) out['items'] = out['items'].map(withManagedFields);
  return out;
}

const hasMeta = (v: unknown): boolean => isRecord(v) && isRecord(v['metadata']);
const pathOf = (uri: string): string => uri.split('?', 1)[0]!;

/** Variants of real and generated events, each as the API server would have logged that request. */
function variantCases(bases: readonly Case[]): Case[] {
  const out: Case[] = [];
  const add = (kind: string, json: unknown): void => void out.push(parsed(json, `variant/${kind}:${out.length}`));
  const events = bases.map((c) => c.event as unknown as J);
  const take = (n: number, pred: (e: J) => boolean): J[] => events.filter(pred).slice(0, n).map(clone);
  const ref = (e: J): J | undefined => e['objectRef'] as J | undefined;

  // Bodies with managedFields (the corpus predates them): objects, lists, Status, DeleteOptions.
  for (const e of take(250, (e) => e['requestObject'] !== undefined || e['responseObject'] !== undefined)) {
    if (e['requestObject'] !== undefined) e['requestObject'] = withManagedFields(e['requestObject']);
    if (e['responseObject'] !== undefined) e['responseObject'] = withManagedFields(e['responseObject']);
    add('managed-fields', e);
  }

  // Patches: the API server logs the patch as sent (kubectl's documented managedFields reset is a
  // merge patch of metadata.managedFields), JSON patches are arrays, apply bodies are objects.
  for (const e of take(120, (e) => e['verb'] === 'patch' && e['requestObject'] !== undefined)) {
    const merge = clone(e);
    merge['requestObject'] = { metadata: { managedFields: [{}] } };
    if (hasMeta(merge['responseObject'])) merge['responseObject'] = withManagedFields(merge['responseObject']);
    add('patch-merge', merge);
    const json = clone(e);
    json['requestObject'] = [{ op: 'replace', path: '/metadata/managedFields', value: [{}] }];
    add('patch-json', json);
    const apply = clone(e);
    apply['requestObject'] = withManagedFields(
      hasMeta(e['responseObject']) ? e['responseObject'] : { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } },
    );
    add('patch-apply', apply);
  }

  // Table responses (kubectl get): rows hold PartialObjectMetadata by default, whole objects with
  // includeObject=Object, nothing with includeObject=None.
  const pods = events
    .map((e) => e['responseObject'])
    .filter((o): o is J => isRecord(o) && o['kind'] === 'Pod')
    .slice(0, 6);
  const partial = (o: J): J => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: (o['metadata'] as J) ?? {} });
  const table = (apiVersion: string, objects: (J | null)[]): J => ({
    kind: 'Table',
    apiVersion,
    metadata: { resourceVersion: '4242' },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp.', priority: 0 },
    ],
    rows: objects.map((o, i) => ({ cells: [`row-${i}`, '5d'], object: o })),
  });
  const lists = take(40, (e) => (e['verb'] === 'list' || e['verb'] === 'get') && ref(e)?.['resource'] === 'pods' && e['stage'] === 'ResponseComplete');
  lists.forEach((e, i) => {
    const objs = pods.map((p) => withManagedFields(p) as J);
    const shapes: [string, (J | null)[]][] = [
      ['meta.k8s.io/v1', objs.map(partial)],
      ['meta.k8s.io/v1', objs],
      ['meta.k8s.io/v1beta1', objs.map(partial)],
      ['meta.k8s.io/v1', objs.map(() => null)],
    ];
    const [apiVersion, rows] = shapes[i % shapes.length]!;
    add('table', { ...e, level: 'RequestResponse', responseObject: table(apiVersion, rows) });
    add('list', {
      ...e,
      level: 'RequestResponse',
      responseObject: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '4242' }, items: objs },
    });
  });

  // Percent escapes: the API server matches URL.Path, decoded; requestURI keeps the escapes.
  const escapeOne = (p: string, i: number): string => {
    const letters = [...p].map((ch, j) => ({ ch, j })).filter(({ ch }) => /[a-z]/.test(ch));
    if (letters.length === 0) return p;
    const { ch, j } = letters[i % letters.length]!;
    const hex = ch.charCodeAt(0).toString(16);
    return p.slice(0, j) + '%' + (i % 2 ? hex.toUpperCase() : hex) + p.slice(j + 1);
  };
  take(200, (e) => ref(e) === undefined).forEach((e, i) => {
    const uri = e['requestURI'] as string;
    const q = uri.slice(pathOf(uri).length);
    add('percent-non-resource', { ...e, requestURI: escapeOne(pathOf(uri), i) + q });
    if (i % 10 === 0) add('percent-non-resource', { ...e, requestURI: pathOf(uri) + '%ff' + q });
    // An escaped slash: RequestURI keeps %2F, URL.Path has "/".
    if (i % 10 === 1 && pathOf(uri).lastIndexOf('/') > 0) add('percent-non-resource', { ...e, requestURI: pathOf(uri).replace(/\/([^/]*)$/, '%2F$1') + q });
  });
  take(120, (e) => ref(e) !== undefined && (e['verb'] === 'create' || e['verb'] === 'update')).forEach((e, i) => {
    const uri = e['requestURI'] as string;
    add('percent-resource', { ...e, requestURI: escapeOne(pathOf(uri), i) + uri.slice(pathOf(uri).length) });
  });

  // An empty resource: `/api/v1//pods` is a resource request for resource "" named "pods".
  const emptyResource: [string, string, J][] = [
    ['get', '/api/v1//pods', { name: 'pods', apiVersion: 'v1' }],
    ['get', '/api/v1/namespaces/default//web', { namespace: 'default', name: 'web', apiVersion: 'v1' }],
    ['delete', '/apis/apps/v1//deployments', { name: 'deployments', apiGroup: 'apps', apiVersion: 'v1' }],
    ['create', '/api/v1//pods/exec', { name: 'pods', apiVersion: 'v1', subresource: 'exec' }],
    ['patch', '/apis/networking.k8s.io/v1/namespaces/kube-system//np', { namespace: 'kube-system', name: 'np', apiGroup: 'networking.k8s.io', apiVersion: 'v1' }],
  ];
  take(60, (e) => ref(e) !== undefined).forEach((e, i) => {
    const [verb, uri, objectRef] = emptyResource[i % emptyResource.length]!;
    const { requestObject: _q, responseObject: _r, ...rest } = e;
    add('empty-resource', { ...rest, verb, requestURI: uri, objectRef, responseStatus: { metadata: {}, status: 'Failure', reason: 'NotFound', code: 404 } });
  });

  // No user: failed authentication logs `user: {}` and a 401, no bodies.
  events.filter((_, i) => i % 37 === 0).slice(0, 150).forEach((e) => {
    const { requestObject: _q, responseObject: _r, impersonatedUser: _i, ...rest } = clone(e);
    add('no-user', { ...rest, user: {}, level: 'Metadata', responseStatus: { metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401 } });
  });

  // Cluster-scoped creates and updates whose body carries a namespace: LogRequestObject fills the
  // empty objectRef namespace from it after the policy was evaluated.
  take(60, (e) => (e['verb'] === 'create' || e['verb'] === 'update') && ref(e) !== undefined && ref(e)!['namespace'] === undefined).forEach((e) => {
    e['objectRef'] = { ...ref(e), namespace: 'default' };
    if (hasMeta(e['requestObject'])) (e['requestObject'] as { metadata: J }).metadata['namespace'] = 'default';
    add('body-namespace', e);
  });

  // POST to an object's path (405 Method Not Allowed): the name came from the path.
  take(40, (e) => e['verb'] === 'create' && ref(e)?.['name'] !== undefined && ref(e)?.['subresource'] === undefined).forEach((e) => {
    const { requestObject: _q, responseObject: _r, ...rest } = e;
    const name = ref(e)!['name'] as string;
    add('create-item-path', { ...rest, requestURI: `${pathOf(e['requestURI'] as string)}/${encodeURIComponent(name)}`, responseStatus: { metadata: {}, status: 'Failure', reason: 'MethodNotAllowed', code: 405 } });
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Policies

function policies(cases: readonly Case[]): Record<string, string> {
  // Names of created objects, so resourceNames rules meet creates.
  const names = new Set<string>(['default', 'kube-system', 'foo', 'pods', 'web']);
  for (const { event } of cases) {
    const n = event.objectRef?.name;
    if (n && (event.verb === 'create' || event.verb === 'update') && names.size < 80) names.add(n);
  }
  const nameList = JSON.stringify([...names]);
  const header = 'apiVersion: audit.k8s.io/v1\nkind: Policy\n';
  return {
    // The Calico docs' sample (the forwarder's default), as published: v1beta1.
    'calico-sample': `apiVersion: audit.k8s.io/v1beta1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: RequestResponse
  verbs: [create, patch, update, delete]
  resources:
  - group: networking.k8s.io
    resources: ['networkpolicies']
  - group: extensions
    resources: ['networkpolicies']
  - group: ''
    resources: ['pods', 'namespaces', 'serviceaccounts', 'endpoints']
`,
    // The GCE/EKS-style policy: users, groups, subresources, non-resource URLs, group-only entries.
    'gce-like': `${header}omitStages: [RequestReceived]
rules:
- level: None
  users: ['system:kube-proxy']
  verbs: [watch]
  resources: [{group: '', resources: [endpoints, services, services/status]}]
- level: None
  userGroups: ['system:nodes']
  verbs: [get]
  resources: [{group: '', resources: [nodes, nodes/status]}]
- level: None
  nonResourceURLs: ['/healthz*', /version, '/swagger*', /readyz, /livez]
- level: None
  resources: [{group: '', resources: [events]}]
- level: Request
  userGroups: ['system:nodes']
  verbs: [update, patch]
  resources: [{group: '', resources: [nodes/status, pods/status]}]
- level: Metadata
  resources: [{group: '', resources: [secrets, configmaps]}, {group: authentication.k8s.io, resources: [tokenreviews]}]
- level: Request
  verbs: [get, list, watch]
  resources: [{group: ''}, {group: apps}, {group: rbac.authorization.k8s.io}, {group: networking.k8s.io}]
- level: RequestResponse
  resources: [{group: ''}, {group: apps}, {group: rbac.authorization.k8s.io}, {group: networking.k8s.io}]
- level: Metadata
`,
    subresources: `${header}rules:
- level: RequestResponse
  resources: [{group: '', resources: ['pods/log', 'pods/exec', '*/status']}]
- level: Request
  resources: [{group: '', resources: ['pods/*']}, {group: apps, resources: ['*']}, {group: 'rbac.authorization.k8s.io', resources: ['*/*']}]
- level: Metadata
  resources: [{group: '', resources: ['*/*', 'nodes/*', '']}]
- level: None
  resources: [{group: ''}]
- level: Request
  resources: [{group: 'networking.k8s.io', resources: ['networkpolicies/status', 'networkpolicies']}]
- level: Metadata
`,
    'resource-names': `${header}rules:
- level: RequestResponse
  resources:
  - group: ''
    resources: [pods, configmaps, namespaces, secrets, serviceaccounts, '*/status', 'pods/*']
    resourceNames: ${nameList}
  - group: rbac.authorization.k8s.io
    resources: ['*']
    resourceNames: ${nameList}
  - group: networking.k8s.io
    resources: [networkpolicies]
    resourceNames: ${nameList}
- level: Request
  resources: [{group: storage.k8s.io, resources: [storageclasses], resourceNames: [default]}]
- level: Metadata
  verbs: [create, update]
- level: None
`,
    'non-resource-urls': `${header}rules:
- level: RequestResponse
  nonResourceURLs: [/version, /api, '/apis/*', '/healthz*', /openapi/v2, '/api/v1*']
- level: Request
  nonResourceURLs: ['/ap*', '/metric*']
- level: Metadata
  nonResourceURLs: ['*']
- level: None
`,
    'users-and-groups': `${header}rules:
- level: None
  users: ['']
- level: RequestResponse
  users: ['system:admin', minikube-user, 'system:anonymous', admin, kubernetes-admin]
- level: Request
  userGroups: ['system:unauthenticated', 'system:serviceaccounts:kube-system', 'system:masters', '']
- level: Metadata
  userGroups: ['system:authenticated']
  omitStages: [ResponseStarted]
- level: Request
`,
    namespaces: `${header}rules:
- level: RequestResponse
  namespaces: ['']
  verbs: [create, update]
- level: Request
  namespaces: [kube-system, default]
  resources: [{group: ''}, {group: apps}]
- level: Metadata
  namespaces: [foo, bar, default, kube-system, '']
  omitStages: [RequestReceived, ResponseStarted]
- level: None
`,
    'omit-stages': `${header}omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [watch]
  omitStages: [ResponseStarted, ResponseComplete]
- level: RequestResponse
  verbs: [create, update, patch, delete, deletecollection]
  omitStages: [Panic]
- level: Request
  omitStages: [ResponseStarted]
`,
    'omit-managed-fields-policy': `${header}omitManagedFields: true
rules:
- level: RequestResponse
  resources: [{group: '', resources: [configmaps, nodes/status]}]
  omitManagedFields: false
- level: RequestResponse
`,
    'omit-managed-fields-rules': `${header}rules:
- level: RequestResponse
  verbs: [patch]
  omitManagedFields: true
- level: Request
  verbs: [create, update]
  omitManagedFields: true
- level: RequestResponse
  verbs: [get, list]
  omitManagedFields: true
- level: RequestResponse
  omitManagedFields: false
`,
    'request-response-all': `${header}omitManagedFields: true
rules:
- level: RequestResponse
`,
    'verbs-and-groups': `${header}rules:
- level: Request
  verbs: [get]
  resources: [{group: ''}, {group: apps}, {group: extensions}]
- level: RequestResponse
  verbs: [get, list]
  nonResourceURLs: ['/api*', /apis]
- level: Metadata
  verbs: [create, patch, update]
  omitManagedFields: true
- level: None
  verbs: [watch]
- level: RequestResponse
  resources: [{group: '', resources: [pods]}, {group: 'projectcalico.org'}]
- level: Request
`,
    'namespaced-names': `${header}omitManagedFields: true
rules:
- level: RequestResponse
  namespaces: [default, kube-system]
  resources: [{group: '', resources: [pods, 'pods/binding', 'pods/eviction', serviceaccounts/token], resourceNames: ${nameList}}]
- level: Metadata
  namespaces: ['']
  resources: [{group: rbac.authorization.k8s.io, resources: [clusterroles, clusterrolebindings], resourceNames: ${nameList}}]
- level: Request
  resources: [{group: '', resources: ['*'], resourceNames: ${nameList}}]
- level: None
  resources: [{group: ''}]
- level: RequestResponse
`,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparison

interface Disagreement {
  policy: string;
  index: number;
  label: string;
  what: string;
  ours: unknown;
  apiserver: unknown;
  cause: string;
}

const BODY_KEYS = new Set(['level', 'requestObject', 'responseObject']);

/** Which known difference a disagreement is, judged from the event (for the counts and report). */
function causeOf(ev: AuditEvent, what: string): string {
  if (what === 'requestObject' && ev.verb === 'patch') return 'patch body';
  if (what === 'responseObject' && isRecord(ev.responseObject) && ev.responseObject['kind'] === 'Table') return 'Table rows';
  if (ev.objectRef !== undefined && !ev.objectRef.resource) return 'empty resource';
  if (Object.keys(ev.user).length === 0) return 'no user';
  if (pathOf(ev.requestURI).includes('%')) return 'percent-escaped path';
  if ((ev.verb === 'create' || ev.verb === 'update') && ev.objectRef !== undefined) return 'create/update name or namespace';
  return 'other';
}

/** Deep equality of JSON values (key order ignored). */
function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => sameJson(v, bb[i]));
  }
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => Object.hasOwn(b, k) && sameJson((a as J)[k], (b as J)[k]));
}

function compareBody(ev: AuditEvent, out: AuditEvent, key: 'requestObject' | 'responseObject', theirs: OracleBody | undefined): [unknown, unknown] | null {
  const recorded = ev[key];
  if (recorded === undefined) return null;
  if (theirs === undefined) return ['(oracle gave no verdict)', undefined];
  const kept = key in out;
  if (kept !== theirs.kept) return [kept ? 'kept' : 'dropped', theirs.kept ? 'kept' : 'dropped'];
  if (!kept) return null;
  const want = 'value' in theirs ? theirs.value : recorded;
  return sameJson(out[key], want) ? null : [out[key], want];
}

function compare(policy: string, compiled: CompiledPolicy, cases: readonly Case[], decisions: readonly OracleDecision[]): Disagreement[] {
  expect(decisions).toHaveLength(cases.length);
  const found: Disagreement[] = [];
  cases.forEach(({ label, event: ev }, index) => {
    const d = decisions[index]!;
    const report = (what: string, ours: unknown, apiserver: unknown): void =>
      void found.push({ policy, index, label, what, ours, apiserver, cause: causeOf(ev, what) });
    if (d.error) return report('oracle error', null, d.error);
    const e = evaluate(compiled, ev);
    const out = applyPolicy(compiled, ev);
    if (e.level !== d.level) return report('level', e.level, d.level);
    const stages = [...e.omitStages].sort();
    if (!sameJson(stages, d.omitStages ?? [])) return report('omitStages', stages, d.omitStages);
    if (e.omitManagedFields !== d.omitManagedFields) return report('omitManagedFields', e.omitManagedFields, d.omitManagedFields);
    if ((out === null) !== (d.logged === null)) return report('logged', out !== null, d.logged !== null);
    if (out === null || d.logged === null) return;
    if (out.level !== d.logged.level) return report('logged level', out.level, d.logged.level);
    for (const key of ['requestObject', 'responseObject'] as const) {
      const diff = compareBody(ev, out, key, d.logged[key]);
      if (diff) return report(key, diff[0], diff[1]);
    }
    // Everything else is passed through untouched (the engine's own contract).
    const rest = (o: AuditEvent): string[] => Object.keys(o).filter((k) => !BODY_KEYS.has(k));
    const keys = rest(out);
    if (!sameJson(keys, rest(ev)) || keys.some((k) => (out as J)[k] !== (ev as J)[k])) return report('other fields', keys, rest(ev));
  });
  return found;
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const t of items) out[key(t)] = (out[key(t)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort((a, b) => b[1] - a[1]));
}

const short = (v: unknown): string => {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 600 ? `${s.slice(0, 600)}…` : s;
};

// ---------------------------------------------------------------------------------------------

describe('audit policy decisions agree with the API server (k8s.io/apiserver oracle)', () => {
  let cases: Case[] = [];
  let eventsFile = '';

  beforeAll(async () => {
    await oracleBinary(); // built once into the cache; about a minute on a cold machine
    const base = [...corpusCases(), ...generatedCases()];
    cases = [...base, ...variantCases(base)];
    eventsFile = path.join(dir, 'events.jsonl');
    writeFileSync(eventsFile, cases.map((c) => JSON.stringify(c.event)).join('\n') + '\n');
  }, 15 * 60_000);

  it('on every (event, policy) pair: corpus, generated and targeted events, a dozen policies', async () => {
    const texts = policies(cases);
    expect(Object.keys(texts).length).toBeGreaterThanOrEqual(12);
    const all: Disagreement[] = [];
    const perPolicy: Record<string, number> = {};
    // Two at a time: the machine has two cores.
    const names = Object.keys(texts);
    const results = new Map<string, Disagreement[]>();
    const worker = async (): Promise<void> => {
      for (let name = names.shift(); name !== undefined; name = names.shift()) {
        const file = path.join(dir, `${name}.yaml`);
        writeFileSync(file, texts[name]!);
        expect(await loadPolicy(file), `${name}: the API server accepts it`).toEqual({ ok: true });
        const compiled = compilePolicy(loadPolicyFile(file));
        results.set(name, compare(name, compiled, cases, await decide(file, eventsFile)));
      }
    };
    await Promise.all([worker(), worker()]);
    for (const name of Object.keys(texts)) {
      const found = results.get(name)!;
      perPolicy[name] = found.length;
      all.push(...found);
    }

    const pairs = cases.length * Object.keys(texts).length;
    console.log(
      `policy oracle: ${cases.length} events × ${Object.keys(texts).length} policies = ${pairs} pairs; ` +
        `${all.length} disagreements (${((100 * all.length) / pairs).toFixed(2)}%)` +
        (all.length
          ? `\nby cause: ${JSON.stringify(countBy(all, (d) => d.cause))}` +
            `\nby source: ${JSON.stringify(countBy(all, (d) => d.label.replace(/:\d+$/, '')))}` +
            `\nby policy: ${JSON.stringify(perPolicy)}`
          : ''),
    );
    if (all.length > 0) {
      // Details of the first few, with the attributes the API server evaluated.
      const shown: string[] = [];
      for (const d of all.slice(0, 8)) {
        const one = path.join(dir, `explain-${shown.length}.jsonl`);
        writeFileSync(one, JSON.stringify(cases[d.index]!.event) + '\n');
        const [explained] = await decide(path.join(dir, `${d.policy}.yaml`), one, { explain: true });
        const ev = cases[d.index]!.event;
        shown.push(
          `- ${d.cause}: policy ${d.policy}, event ${d.label} (${ev.verb} ${ev.requestURI}, stage ${ev.stage}, level ${ev.level})\n` +
            `  ${d.what}: ours ${short(d.ours)}\n  ${' '.repeat(d.what.length)}  API server ${short(d.apiserver)}\n` +
            `  API server attributes: ${short(explained?.attributes)}`,
        );
      }
      expect.fail(`${all.length} disagreements with the API server; the first ones:\n${shown.join('\n')}`);
    }
  }, 10 * 60_000);
});

// ---------------------------------------------------------------------------------------------
// YAML: the API server reads policy files as YAML 1.1 (sigs.k8s.io/yaml, go-yaml v2).

describe('policy files are read as the API server reads them', () => {
  const write = (name: string, text: string): string => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  /** Accepted by both with the same decisions on the corpus, or rejected by both. */
  async function sameReading(name: string, text: string): Promise<'accepted' | 'rejected'> {
    const file = write(`${name}.yaml`, text);
    const theirs = await loadPolicy(file);
    let compiled: CompiledPolicy | null = null;
    let ourError = '';
    try {
      compiled = compilePolicy(loadPolicyFile(file));
    } catch (e) {
      ourError = (e as Error).message;
    }
    expect(compiled !== null, `${name}: ours ${ourError || 'accepts'}, API server ${JSON.stringify(theirs)}`).toBe('ok' in theirs);
    if (compiled === null) return 'rejected';
    const cases = corpusCases();
    const events = path.join(dir, `${name}.events.jsonl`);
    writeFileSync(events, cases.map((c) => JSON.stringify(c.event)).join('\n') + '\n');
    const found = compare(name, compiled, cases, await decide(file, events));
    expect(found.slice(0, 3), `${name}: disagreements`).toEqual([]);
    return 'accepted';
  }

  beforeAll(async () => void (await oracleBinary()), 15 * 60_000);

  it('yes/no/on/off are booleans, as in YAML 1.1 (YAML 1.2 reads them as strings)', async () => {
    const text = `apiVersion: audit.k8s.io/v1
kind: Policy
omitManagedFields: yes
rules:
- level: RequestResponse
  verbs: [create]
  omitManagedFields: off
- level: RequestResponse
  omitManagedFields: on
`;
    // Under YAML 1.2 this is another document: the flags are the strings "yes", "off", "on".
    expect(parseYaml12(text)).toMatchObject({ omitManagedFields: 'yes' });
    expect(await sameReading('yaml11-booleans', text)).toBe('accepted');
    const policy = loadPolicyFile(path.join(dir, 'yaml11-booleans.yaml'));
    expect(policy.omitManagedFields).toBe(true);
    expect(policy.rules.map((r) => r.omitManagedFields)).toEqual([false, true]);
  });

  it('an unquoted no in a list of names is a boolean, so the API server rejects the policy', async () => {
    const text = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  namespaces: [no, default]
`;
    // YAML 1.2 would read a namespace named "no".
    expect(parseYaml12(text)).toMatchObject({ rules: [{ namespaces: ['no', 'default'] }] });
    expect(await sameReading('yaml11-no', text)).toBe('rejected');
    expect(await sameReading('yaml11-no-quoted', text.replace('[no,', "['no',"))).toBe('accepted');
  });

  it('~ and empty values are null, which the API server reads as "not set" (or "" in a list)', async () => {
    const text = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ~
omitManagedFields:
rules:
- level: Metadata
  users: [~]
- level: Request
  resources: [{group: ~, resources: [pods]}, ~]
  omitManagedFields: ~
- level: RequestResponse
  verbs:
`;
    expect(await sameReading('yaml11-null', text)).toBe('accepted');
    const policy = loadPolicyFile(path.join(dir, 'yaml11-null.yaml'));
    expect(policy.rules[0]!.users).toEqual(['']);
    expect(policy.rules[1]!.resources).toEqual([{ resources: ['pods'] }, {}]);
  });

  it('merge keys (<<) merge, as go-yaml v2 does', async () => {
    const text = `apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- &secrets
  level: Metadata
  resources: [{group: '', resources: [secrets, configmaps]}]
- <<: *secrets
  level: None
  verbs: [watch]
- level: Request
`;
    expect(await sameReading('yaml11-merge', text)).toBe('accepted');
  });

  it('scalars resolve as go-yaml v2 resolves them (sigs.k8s.io/yaml.YAMLToJSON)', async () => {
    const scalars = [
      ...['y', 'Y', 'yes', 'Yes', 'YES', 'n', 'N', 'no', 'No', 'NO', 'on', 'On', 'ON', 'off', 'Off', 'OFF'],
      ...['true', 'True', 'TRUE', 'false', 'False', 'FALSE', 'tRUE', 'oN', 'yES', 'nO'],
      ...['~', 'null', 'Null', 'NULL', 'nULL', "''", '""', "'no'", '"yes"', '!!str yes', '!!str 12'],
      ...['0', '-0', '+0', '00', '07', '08', '09', '010', '0o17', '0O17', '0x1F', '0X1f', '+0x1f', '-0x1F', '0b101', '-0b101'],
      ...['1_000', '0x_1F', '1__0', '_1', '1_', '12e03', '1e3', '1E+3', '1e', '0x', '0b', '0o', '0o8', '1.5', '.5', '5.', '-.5e-2'],
      ...['685_230.15', '1:20', '190:20:30.15', '-1:20', '2024-01-01', '2001-12-14t21:59:43.10-05:00', '2001-12-14 21:59:43.10 -5'],
      ...['9223372036854775807', '9223372036854775808', '18446744073709551615', '18446744073709551616', '-9223372036854775808', '-9223372036854775809'],
      ...['+9223372036854775808', '0xFFFFFFFFFFFFFFFF', '0x1FFFFFFFFFFFFFFFF', '1e400', '-1e400', '1e-400', '.5e400', '+.nan', '-.nan', '.Nan'],
      ...['+', '-1a', '.git', '..5', '1.2.3', '+-1', '0.1e1', '1/2', '12:30:00', '/healthz*', 'system:nodes'],
    ];
    const text = `list:\n${scalars.map((s) => `- ${s}\n`).join('')}on: 1\nn: 2\n`;
    const file = write('scalars.yaml', text);
    const theirs = await yamlToJson(file);
    expect(theirs).toHaveProperty('json');
    const ours = parsePolicyText(text) as { list: unknown[] };
    const go = (theirs as { json: { list: unknown[] } }).json;
    const rows = scalars.map((s, i) => [s, ours.list[i], go.list[i]]);
    expect(rows.filter(([, a, b]) => !Object.is(a, b))).toEqual([]);
    expect(ours).toEqual(go);
  });

  it('JSON is JSON: a file starting with { is not read as YAML', async () => {
    // Not JSON (unquoted keys), though valid YAML: the API server's decoder takes it for JSON.
    const text = '{apiVersion: audit.k8s.io/v1, kind: Policy, rules: [{level: Metadata}]}\n';
    const theirs = await loadPolicy(write('flow.yaml', text));
    expect(theirs).toHaveProperty('error');
    expect(() => loadPolicyFile(path.join(dir, 'flow.yaml'))).toThrow(/not valid YAML or JSON/);
    expect(await sameReading('json-dup', '{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"None"}],"rules":[{"level":"Metadata"}]}')).toBe('accepted');
  });

  it('timestamps, sexagesimals and 0o octals read as the API server reads them', async () => {
    // go-yaml v2 leaves timestamps and base-60 numbers strings, and reads 0o17 as an integer.
    expect(await sameReading('yaml11-date', `apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  namespaces: [2024-01-01, 1:20]\n`)).toBe('accepted');
    expect(await sameReading('yaml11-octal', `apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  users: [0o17]\n`)).toBe('rejected');
  });
});
