import { describe, expect, it } from 'vitest';
import { changeLog, timeline, type ChangesRequest } from '../../src/changes/changes.js';
import { toChange } from '../../src/changes/timeline-filter.js';
import { compareVersions, VersionChains, type VersionedChange } from '../../src/changes/versions.js';
import { compare, unifiedDiff } from '../../src/changes/yaml-diff.js';
import type { AuditReader, ChangeQuery } from '../../src/sink/sink.js';
import { deleted, doc, policy, T0, v1, v2, v3 } from './sequences.js';

/** The documents a store would return for a query, in its order (pure: the stores' own reads are tested end to end). */
function memoryReader(docs: Record<string, unknown>[]): AuditReader {
  return {
    store: 'memory',
    cluster: 'test',
    async *changeDocuments(q: ChangeQuery) {
      const t = (d: Record<string, unknown>) => Date.parse(d.requestReceivedTimestamp as string);
      const ref = (d: Record<string, unknown>) => d.objectRef as Record<string, string>;
      const key = (d: Record<string, unknown>) => (q.order === 'object' ? [ref(d).apiGroup, ref(d).resource, ref(d).namespace, ref(d).name].join('|') : '');
      const sorted = docs.filter((d) => t(d) >= q.from && t(d) <= q.to).sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : t(a) - t(b)));
      yield* sorted;
    },
    async close() {},
  };
}

const request = (fromMinutes: number, toMinutes: number, filter: ChangesRequest['filter'] = {}): ChangesRequest => ({
  from: T0 + fromMinutes * 60_000,
  to: T0 + toMinutes * 60_000,
  filter,
  lookBackMs: 30 * 24 * 3_600_000,
});

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

const diffOf = (v: VersionedChange, keepNoise = false) => {
  const c = compare(v, keepNoise);
  return c.kind === 'compare' ? unifiedDiff(c) : c.kind;
};

const CREATE_DIFF = `--- before (nothing)
+++ after (resourceVersion 100)
@@ -0,0 +1,10 @@
+apiVersion: networking.k8s.io/v1
+kind: NetworkPolicy
+metadata:
+  name: deny-all
+  namespace: prod
+  uid: u1
+spec:
+  podSelector: {}
+  policyTypes:
+    - Ingress
`;
const PATCH_DIFF = `--- before (resourceVersion 100)
+++ after (resourceVersion 105)
@@ -8,3 +8,4 @@
   podSelector: {}
   policyTypes:
     - Ingress
+    - Egress
`;
const UPDATE_DIFF = `--- before (resourceVersion 105)
+++ after (resourceVersion 110)
@@ -5,7 +5,9 @@
   namespace: prod
   uid: u1
 spec:
-  podSelector: {}
+  podSelector:
+    matchLabels:
+      app: web
   policyTypes:
     - Ingress
     - Egress
`;
const DELETE_DIFF = `--- before (resourceVersion 110)
+++ after (nothing: deleted)
@@ -1,13 +0,0 @@
-apiVersion: networking.k8s.io/v1
-kind: NetworkPolicy
-metadata:
-  name: deny-all
-  namespace: prod
-  uid: u1
-spec:
-  podSelector:
-    matchLabels:
-      app: web
-  policyTypes:
-    - Ingress
-    - Egress
`;

const lifecycle = () => [doc('create', 1, v1), doc('patch', 2, v2), doc('update', 3, v3), doc('delete', 4, deleted)];

describe('the change log pairs each change with the version it replaced', () => {
  it('create -> patch -> update -> delete of one NetworkPolicy: a create diffs from nothing, a delete to nothing, noise left out', async () => {
    const log = await all(changeLog(memoryReader(lifecycle()), request(0, 10), new AbortController().signal));
    expect(log.map((v) => v.change.verb)).toEqual(['create', 'patch', 'update', 'delete']);
    expect(log.map((v) => diffOf(v))).toEqual([CREATE_DIFF, PATCH_DIFF, UPDATE_DIFF, DELETE_DIFF]);
  });

  it('keeps managedFields, resourceVersion, generation and last-applied-configuration with keepNoise', async () => {
    const log = await all(changeLog(memoryReader(lifecycle()), request(0, 10), new AbortController().signal));
    expect(diffOf(log[1]!, true)).toBe(`--- before (resourceVersion 100)
+++ after (resourceVersion 105)
@@ -1,15 +1,16 @@
 apiVersion: networking.k8s.io/v1
 kind: NetworkPolicy
 metadata:
-  generation: 1
+  generation: 2
   managedFields:
     - manager: kubectl
       operation: Update
   name: deny-all
   namespace: prod
-  resourceVersion: "100"
+  resourceVersion: "105"
   uid: u1
 spec:
   podSelector: {}
   policyTypes:
     - Ingress
+    - Egress
`);
  });

  it('orders versions by resourceVersion, not by arrival: an update stored before the patch it followed', async () => {
    const docs = [doc('create', 1, v1), doc('update', 2, v3), doc('patch', 3, v2)];
    const log = await all(changeLog(memoryReader(docs), request(0, 10), new AbortController().signal));
    expect(log.map((v) => v.change.resourceVersion)).toEqual(['100', '105', '110']);
    expect(log.map((v) => diffOf(v))).toEqual([CREATE_DIFF, PATCH_DIFF, UPDATE_DIFF]);
  });

  it('compares resourceVersions as integers ("9" before "10")', () => {
    const a = toChange(doc('update', 2, policy('10', {})))!;
    const b = toChange(doc('update', 1, policy('9', {})))!;
    expect(compareVersions(b, a)).toBeLessThan(0);
  });

  it('keeps interleaved objects apart', async () => {
    const other1 = policy('101', { podSelector: {} }, { name: 'allow-dns' });
    const other2 = policy('107', { podSelector: { matchLabels: { k8s: 'dns' } } }, { name: 'allow-dns' });
    const docs = [doc('create', 1, v1), doc('create', 1.5, other1, { name: 'allow-dns' }), doc('patch', 2, v2), doc('update', 2.5, other2, { name: 'allow-dns' })];
    const log = await all(changeLog(memoryReader(docs), request(0, 10), new AbortController().signal));
    const dns = log.filter((v) => v.change.name === 'allow-dns');
    expect(diffOf(dns[1]!)).toBe(`--- before (resourceVersion 101)
+++ after (resourceVersion 107)
@@ -5,4 +5,6 @@
   namespace: prod
   uid: u1
 spec:
-  podSelector: {}
+  podSelector:
+    matchLabels:
+      k8s: dns
`);
    expect(diffOf(log.find((v) => v.change.verb === 'patch')!)).toBe(PATCH_DIFF);
  });

  it('finds the previous version before the range, and says when there is none', async () => {
    const inRange = await all(changeLog(memoryReader(lifecycle()), request(2.5, 10), new AbortController().signal));
    expect(inRange.map((v) => v.change.verb)).toEqual(['update', 'delete']);
    expect(diffOf(inRange[0]!)).toBe(UPDATE_DIFF);
    // The patch (at 2 min) lies 30 s before the range: a look-back of 20 s does not reach it.
    const shortLookBack = { ...request(2.5, 10), lookBackMs: 20_000 };
    const [first] = await all(changeLog(memoryReader(lifecycle()), shortLookBack, new AbortController().signal));
    expect(first!.before).toEqual({ state: 'unknown' });
    expect(compare(first!, false).kind).toBe('no-earlier-version');
  });

  it('lists neither a dryRun request nor a failed (403) change, and neither counts as a version', async () => {
    const dry = doc('patch', 1.5, policy('999', { podSelector: { dry: 'run' } }), { uri: '/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/deny-all?dryRun=All' });
    const refused = doc('patch', 1.7, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403 }, { code: 403, user: 'mallory' });
    const docs = [doc('create', 1, v1), dry, refused, doc('patch', 2, v2)];
    const listed = await all(timeline(memoryReader(docs), request(0, 10), new AbortController().signal));
    expect(listed.map((c) => c.verb)).toEqual(['create', 'patch']);
    expect(listed.map((c) => c.user)).toEqual(['alice', 'alice']);
    const log = await all(changeLog(memoryReader(docs), request(0, 10), new AbortController().signal));
    expect(log.map((v) => diffOf(v))).toEqual([CREATE_DIFF, PATCH_DIFF]);
  });

  it('lists a change through the status subresource, whose diff is status-only noise by default', async () => {
    const withStatus = policy('106', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }, { generation: 2, status: { conditions: [{ type: 'Ready' }] } });
    const docs = [doc('create', 1, v1), doc('patch', 2, v2), doc('update', 2.2, withStatus, { subresource: 'status', user: 'controller' }), doc('update', 3, v3)];
    const log = await all(changeLog(memoryReader(docs), request(0, 10), new AbortController().signal));
    expect(log.map((v) => `${v.change.verb}${v.change.subresource ? `/${v.change.subresource}` : ''}`)).toEqual(['create', 'patch', 'update/status', 'update']);
    expect(diffOf(log[2]!)).toBe('noise-only');
    expect(diffOf(log[2]!, true)).toBe(`--- before (resourceVersion 105)
+++ after (resourceVersion 106)
@@ -7,10 +7,13 @@
       operation: Update
   name: deny-all
   namespace: prod
-  resourceVersion: "105"
+  resourceVersion: "106"
   uid: u1
 spec:
   podSelector: {}
   policyTypes:
     - Ingress
     - Egress
+status:
+  conditions:
+    - type: Ready
`);
    // The status write is a version of the object: the next update diffs against it.
    expect(log[3]!.before.state === 'version' && log[3]!.before.change.resourceVersion).toBe('106');
  });

  it('gives a scale subresource a chain of its own (its answer is a Scale, not the object)', () => {
    const chains = new VersionChains();
    const scale = (rv: string, replicas: number, minutes: number) =>
      toChange(doc('patch', minutes, { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web', namespace: 'prod', resourceVersion: rv }, spec: { replicas } }, { resource: 'deployments', group: 'apps', subresource: 'scale', name: 'web' }))!;
    const deployment = toChange(doc('update', 1.5, { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { name: 'web', namespace: 'prod', resourceVersion: '201' }, spec: { replicas: 2 } }, { resource: 'deployments', group: 'apps', name: 'web' }))!;
    chains.push(scale('200', 2, 1));
    chains.push(deployment);
    chains.push(scale('202', 3, 2));
    const out = chains.flush();
    const lastScale = out.find((v) => v.change.resourceVersion === '202')!;
    expect(lastScale.before.state === 'version' && lastScale.before.change.resourceVersion).toBe('200');
  });

  it('counts one request stored twice (two writers after a cut-over) once', async () => {
    const create = doc('create', 1, v1, { auditID: 'same' });
    const log = await all(changeLog(memoryReader([create, { ...create }, doc('patch', 2, v2)]), request(0, 10), new AbortController().signal));
    expect(log.map((v) => v.change.verb)).toEqual(['create', 'patch']);
  });
});
