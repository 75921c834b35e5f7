import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { Client } from '@elastic/elasticsearch';
import { AuthorizationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { BULK_PATH, READ_PATH, startLinseedEmulator, type LinseedEmulator, type ReadResponse } from '../../scripts/services/linseed/index.js';
import { createAuthority, issueLeaf } from '../../scripts/services/linseed/pki.js';
import { loadCorpus } from '../support/corpus.js';
import { eventually } from '../support/elastic.js';

/**
 * The Linseed emulator against the real kube-apiserver (TokenReview, SubjectAccessReview, RBAC)
 * and the real Elasticsearch: what the forwarder's Linseed sink will be tested against, so each
 * point of Linseed's contract it relies on is proven here first.
 */

const NS = 'linseed-it';
const RUN = randomBytes(3).toString('hex');
const cluster = (name: string): string => `lstest-${RUN}-${name}`;

interface Tls {
  caFile: string;
  certFile?: string;
  keyFile?: string;
}

interface CallOptions {
  token?: string;
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
  tls: Tls;
  timeoutMs?: number;
}

interface Answer {
  status: number;
  json: any;
}

/** One request on a fresh connection (no keep-alive, so rotations take effect at once); files re-read each time, as a client should. */
function call(url: string, route: string, o: CallOptions): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.contentType) headers['content-type'] = o.contentType;
    const req = request(
      `${url}${route}`,
      {
        method: 'POST',
        agent: false,
        headers,
        ca: readFileSync(o.tls.caFile),
        cert: o.tls.certFile ? readFileSync(o.tls.certFile) : undefined,
        key: o.tls.keyFile ? readFileSync(o.tls.keyFile) : undefined,
        timeout: o.timeoutMs ?? 30_000,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('client timeout'), { code: 'CLIENT_TIMEOUT' })));
    req.on('error', reject);
    req.end(o.body ?? '');
  });
}

/** Microsecond timestamps, the only form metav1.MicroTime (and so Linseed) parses. */
const micro = (d: Date): string => d.toISOString().replace('Z', '000Z');

/** A v1 audit event as kube-apiserver writes it to CloudWatch, plus `timestamp`, a field outside Linseed's model. */
function auditEvent(name: string, at: Date, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/default/configmaps/${name}`,
    verb: 'create',
    user: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
    sourceIPs: ['10.0.0.1'],
    userAgent: 'kubectl/v1.32.0',
    objectRef: { resource: 'configmaps', namespace: 'default', name, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 201 },
    requestObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name }, data: { 'a.b': 'c', nested: '{"x":1}' } },
    responseObject: { kind: 'ConfigMap', apiVersion: 'v1', metadata: { name, uid: randomUUID(), resourceVersion: '42' }, data: { 'a.b': 'c' } },
    requestReceivedTimestamp: micro(at),
    stageTimestamp: micro(new Date(at.getTime() + 3)),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': '' },
    timestamp: at.toISOString(),
    ...extra,
  };
}

const ndjson = (events: object[]): string => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

describe('Linseed emulator', () => {
  let kube: kubeApiserver.KubeApiServer;
  let emu: LinseedEmulator;
  let es: Client;
  let tmp: string;
  let client: Tls; // a client key pair signed by the emulator's client CA
  let writer: string; // kube_auditlogs create + auditlogs get
  let reader: string; // auditlogs get only
  let nobody: string; // no Linseed RBAC
  let core: CoreV1Api;
  const extraEmulators: LinseedEmulator[] = [];

  const saToken = async (name: string): Promise<string> => {
    const res = await core.createNamespacedServiceAccountToken({ name, namespace: NS, body: { spec: { audiences: [], expirationSeconds: 3600 } } });
    return res.status!.token;
  };

  const bulk = (o: Omit<CallOptions, 'tls' | 'contentType'> & { cluster?: string; contentType?: string; tls?: Tls; via?: LinseedEmulator }) =>
    call((o.via ?? emu).url, BULK_PATH, {
      contentType: 'application/x-ndjson',
      tls: client,
      ...o,
      headers: { ...(o.cluster ? { 'x-cluster-id': o.cluster } : {}), ...o.headers },
    });

  const read = (body: object, o: { cluster?: string; token?: string; via?: LinseedEmulator; headers?: Record<string, string> } = {}) =>
    call((o.via ?? emu).url, READ_PATH, {
      token: o.token ?? writer,
      contentType: 'application/json',
      body: JSON.stringify(body),
      tls: client,
      headers: { ...(o.cluster ? { 'x-cluster-id': o.cluster } : {}), ...o.headers },
    });

  /** Every document under an index pattern, with its index and id. */
  const stored = async (index: string): Promise<{ _index: string; _id: string; _source: Record<string, any> }[]> => {
    await es.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
    const res = await es.search<Record<string, any>>({ index, ignore_unavailable: true, allow_no_indices: true, size: 10_000, query: { match_all: {} } });
    return res.hits.hits.map((h) => ({ _index: h._index, _id: h._id!, _source: h._source! }));
  };

  /** All pages of a read, following after_key. */
  const readAll = async (body: Record<string, unknown>, o: { cluster?: string; via?: LinseedEmulator } = {}) => {
    const pages: ReadResponse[] = [];
    let afterKey: unknown;
    do {
      const res = await read({ ...body, ...(afterKey ? { after_key: afterKey } : {}) }, o);
      expect(res.status).toBe(200);
      pages.push(res.json as ReadResponse);
      afterKey = res.json.after_key;
    } while (afterKey && pages.length < 100);
    return pages;
  };

  beforeAll(async () => {
    const elasticUrl = process.env.ELASTIC_URL;
    if (!elasticUrl) throw new Error('ELASTIC_URL is not set: the global setup starts Elasticsearch');
    es = new Client({ node: elasticUrl });
    tmp = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-linseed-it-'));
    kube = await kubeApiserver.start();
    const kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
    core = kc.makeApiClient(CoreV1Api);
    const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
    await core.createNamespace({ body: { metadata: { name: NS } } });
    for (const name of ['writer', 'reader', 'nobody']) await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name } } });
    // What deploy/overlays/linseed grants the forwarder, and a read-only role to tell the two checks apart.
    await rbac.createClusterRole({
      body: {
        metadata: { name: 'linseed-it-forwarder' },
        rules: [
          { apiGroups: ['linseed.tigera.io'], resources: ['kube_auditlogs'], verbs: ['create'] },
          { apiGroups: ['linseed.tigera.io'], resources: ['auditlogs'], verbs: ['get'] },
        ],
      },
    });
    await rbac.createClusterRole({ body: { metadata: { name: 'linseed-it-reader' }, rules: [{ apiGroups: ['linseed.tigera.io'], resources: ['auditlogs'], verbs: ['get'] }] } });
    const bind = (name: string, role: string, subjects: { namespace: string; name: string }[]) =>
      rbac.createClusterRoleBinding({
        body: { metadata: { name }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role }, subjects: subjects.map((s) => ({ kind: 'ServiceAccount', ...s })) },
      });
    // `managed-fwd` exists only in a managed cluster: the management cluster's RBAC names it for Linseed tokens.
    await bind('linseed-it-forwarder', 'linseed-it-forwarder', [
      { namespace: NS, name: 'writer' },
      { namespace: 'calico-system', name: 'managed-fwd' },
    ]);
    await bind('linseed-it-reader', 'linseed-it-reader', [{ namespace: NS, name: 'reader' }]);
    [writer, reader, nobody] = await Promise.all([saToken('writer'), saToken('reader'), saToken('nobody')]);
    // RBAC reaches the API server's authorizer through an informer: wait until it sees the
    // bindings, or the emulator could cache a denial for its 20 s.
    const authz = kc.makeApiClient(AuthorizationV1Api);
    const allowed = (user: string, resource: string, verb: string) =>
      authz
        .createSubjectAccessReview({ body: { spec: { user, groups: ['system:serviceaccounts'], resourceAttributes: { group: 'linseed.tigera.io', resource, verb } } } })
        .then((r) => r.status?.allowed === true);
    await eventually(
      async () =>
        (await allowed(`system:serviceaccount:${NS}:writer`, 'kube_auditlogs', 'create')) &&
        (await allowed(`system:serviceaccount:${NS}:reader`, 'auditlogs', 'get')) &&
        (await allowed('system:serviceaccount:calico-system:managed-fwd', 'kube_auditlogs', 'create')),
      'the RBAC bindings to take effect',
      30_000,
    );

    emu = await startLinseedEmulator({ elasticUrl, kube });
    client = { caFile: emu.caFile, ...(await emu.issueClientCertificate(tmp, 'tigera-eks-log-forwarder')) };
  }, 600_000);

  afterEach(() => {
    emu?.faults.reset();
  });

  afterAll(async () => {
    try {
      for (const e of extraEmulators) await e.close();
      await emu?.close();
      if (es) {
        // Concrete names: Elasticsearch 8 refuses wildcard deletes.
        const resolved = await es.indices.resolveIndex({ name: `tigera_secure_ee_audit_kube.lstest-${RUN}-*` });
        if (resolved.indices.length) await es.indices.delete({ index: resolved.indices.map((i) => i.name) });
        // The shared single index: only this run's documents (by id: this Elasticsearch has no delete-by-query).
        const mine = await stored('calico_auditlogs.*');
        const operations = mine.filter((d) => String(d._source.objectRef?.name ?? '').startsWith(`lstest-${RUN}`)).map((d) => ({ delete: { _index: d._index, _id: d._id } }));
        if (operations.length) await es.bulk({ operations, refresh: true });
      }
    } finally {
      await es?.close();
      await kube?.stop();
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('requires a client certificate signed by its client CA', async () => {
    const before = emu.tlsErrors;
    // No client certificate: the handshake is refused, nothing reaches HTTP.
    await expect(bulk({ token: writer, body: ndjson([auditEvent(`lstest-${RUN}-tls`, new Date())]), tls: { caFile: emu.caFile } })).rejects.toThrow();
    // A certificate from another CA: refused too.
    const otherCa = await createAuthority(path.join(tmp, 'other'), 'someone-else');
    const foreign = await issueLeaf(otherCa, path.join(tmp, 'other'), { commonName: 'tigera-eks-log-forwarder', usage: 'client' });
    await expect(bulk({ token: writer, body: '{}\n', tls: { caFile: emu.caFile, certFile: foreign.certFile, keyFile: foreign.keyFile } })).rejects.toThrow();
    expect(emu.tlsErrors).toBeGreaterThanOrEqual(before + 2);
    // The server certificate verifies against caFile for 127.0.0.1 (the good client gets an HTTP answer).
    expect((await bulk({ body: '{}\n' })).status).toBe(401);
  });

  it('answers 401 without a valid token and 403 without the RBAC for the route, with Linseed-like error bodies', async () => {
    const line = ndjson([auditEvent(`lstest-${RUN}-authz`, new Date())]);
    const noToken = await bulk({ body: line, cluster: cluster('authz') });
    expect(noToken).toEqual({ status: 401, json: { status: 401, msg: expect.any(String) } });
    const badToken = await bulk({ token: `${writer.slice(0, -4)}AAAA`, body: line, cluster: cluster('authz') });
    expect(badToken.status).toBe(401);
    expect((await bulk({ token: 'not-a-token', body: line })).status).toBe(401);

    const denied = await bulk({ token: nobody, body: line, cluster: cluster('authz') });
    expect(denied).toEqual({ status: 403, json: { status: 403, msg: expect.stringContaining('system:serviceaccount:linseed-it:nobody') } });
    expect((await read({ type: 'kube' }, { token: nobody, cluster: cluster('authz') })).status).toBe(403);

    // The reader may read (auditlogs get) but not write (kube_auditlogs create).
    expect((await bulk({ token: reader, body: line, cluster: cluster('authz') })).status).toBe(403);
    expect((await read({ type: 'kube' }, { token: reader, cluster: cluster('authz') })).status).toBe(200);
    expect((await bulk({ token: writer, body: line, cluster: cluster('authz') })).status).toBe(200);
    expect(await stored(`tigera_secure_ee_audit_kube.${cluster('authz')}.*`)).toHaveLength(1);
  });

  it('caches SubjectAccessReview answers and checks every token with a TokenReview', async () => {
    emu.clearAuthorizationCache();
    const before = { ...emu.reviews };
    for (let i = 0; i < 3; i++) expect((await read({ type: 'kube' }, { cluster: cluster('cache') })).status).toBe(200);
    expect(emu.reviews.subjectAccessReviews - before.subjectAccessReviews).toBe(1);
    expect(emu.reviews.tokenReviews - before.tokenReviews).toBe(3);
  });

  it("stores a bulk write in Linseed's layout: write alias over a fluentd-<date>-000001 index, ids by Elasticsearch, cluster and generated_time added, unknown fields dropped", async () => {
    const c = cluster('layout');
    const sentAt = Date.now();
    const a = auditEvent(`lstest-${RUN}-a`, new Date(sentAt - 60_000), { name: 'my-forwarder', metadata: { creationTimestamp: 'x' }, extraField: 1 });
    const b = auditEvent(`lstest-${RUN}-b`, new Date(sentAt - 30_000));
    const res = await bulk({ token: writer, body: ndjson([a, b]), cluster: c });
    expect(res).toEqual({ status: 200, json: { total: 2, succeeded: 2, failed: 0, errors: [] } });

    const alias = `tigera_secure_ee_audit_kube.${c}.`;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '');
    const index = `${alias}fluentd-${day}-000001`;
    const aliases = await es.indices.getAlias({ name: alias });
    expect(aliases).toEqual({ [index]: { aliases: { [alias]: { is_write_index: true } } } });
    const mapping = (await es.indices.getMapping({ index }))[index]!.mappings.properties!;
    expect(mapping.auditID).toMatchObject({ type: 'keyword' });
    expect(mapping.stage).toMatchObject({ type: 'text' });
    expect((mapping.objectRef as any).properties.resource).toMatchObject({ type: 'keyword' });
    expect((mapping.user as any).properties.username).toMatchObject({ type: 'keyword' });
    expect(mapping.stageTimestamp).toMatchObject({ type: 'date' });
    expect(mapping.requestObject).toMatchObject({ type: 'object', enabled: false });

    const docs = await stored(`tigera_secure_ee_audit_kube.${c}.*`);
    expect(docs).toHaveLength(2);
    const byAudit = new Map(docs.map((d) => [d._source.auditID, d]));
    const da = byAudit.get(a.auditID)!;
    expect(da._index).toBe(index);
    expect(da._id).not.toBe(a.auditID); // Elasticsearch's own id
    const { timestamp: _t, metadata: _m, extraField: _x, ...kept } = a;
    expect(da._source).toEqual({ ...kept, cluster: c, generated_time: expect.any(String) });
    const generated = Date.parse(da._source.generated_time);
    expect(generated).toBeGreaterThanOrEqual(sentAt - 1_000);
    expect(generated).toBeLessThanOrEqual(Date.now() + 1_000);
    expect(byAudit.get(b.auditID)!._source).not.toHaveProperty('name');

    // Timestamps are re-encoded as Go's MicroTime does: UTC, six digits.
    const offset = auditEvent(`lstest-${RUN}-tz`, new Date(), { requestReceivedTimestamp: '2026-03-01T12:00:00.123456+02:00' });
    expect((await bulk({ token: writer, body: ndjson([offset]), cluster: c })).json).toMatchObject({ succeeded: 1 });
    const tz = (await stored(`tigera_secure_ee_audit_kube.${c}.*`)).find((x) => x._source.auditID === offset.auditID);
    expect(tz?._source.requestReceivedTimestamp).toBe('2026-03-01T10:00:00.123456Z');

  });

  it('stores every real audit event of the corpus, however large or odd its bodies', async () => {
    const c = cluster('corpus');
    const lines = loadCorpus().map((x) => x.line);
    const res = await bulk({ token: writer, body: lines.join('\n'), cluster: c });
    expect(res.json).toEqual({ total: lines.length, succeeded: lines.length, failed: 0, errors: [] });
    expect(await stored(`tigera_secure_ee_audit_kube.${c}.*`)).toHaveLength(lines.length);
  });

  it('stores a line sent twice twice: idempotence is the client’s job', async () => {
    const c = cluster('dup');
    const e = auditEvent(`lstest-${RUN}-dup`, new Date());
    expect((await bulk({ token: writer, body: ndjson([e, e]), cluster: c })).json).toMatchObject({ total: 2, succeeded: 2 });
    expect((await bulk({ token: writer, body: ndjson([e]), cluster: c })).json).toMatchObject({ total: 1, succeeded: 1 });
    const docs = await stored(`tigera_secure_ee_audit_kube.${c}.*`);
    expect(docs.map((d) => d._source.auditID)).toEqual([e.auditID, e.auditID, e.auditID]);
    expect(new Set(docs.map((d) => d._id)).size).toBe(3);
  });

  it('answers a partial failure with 200 and counts, naming no line; 400 when no line decodes; 415 for any other content type', async () => {
    const c = cluster('partial');
    const good = [auditEvent(`lstest-${RUN}-p1`, new Date()), auditEvent(`lstest-${RUN}-p2`, new Date())];
    const refused = auditEvent(`lstest-${RUN}-p3`, new Date(), { requestURI: '/api/v1/namespaces/default/configmaps?marker=REFUSE-ME' });
    // Milliseconds: metav1.MicroTime wants exactly six digits, so Linseed cannot decode this line.
    const badTime = auditEvent(`lstest-${RUN}-p4`, new Date(), { stageTimestamp: new Date().toISOString() });
    emu.faults.refuseLines('REFUSE-ME');
    const body = [JSON.stringify(good[0]), '{not json', JSON.stringify(refused), JSON.stringify(badTime), '"a string"', JSON.stringify(good[1])].join('\n');
    const res = await bulk({ token: writer, body, cluster: c });
    expect(res.status).toBe(200);
    expect(res.json).toMatchObject({ total: 6, succeeded: 2, failed: 4 });
    expect(res.json.errors.length).toBeGreaterThan(0);
    for (const e of res.json.errors) {
      expect(Object.keys(e).sort()).toEqual(['reason', 'resource', 'type']);
      expect(JSON.stringify(e)).not.toMatch(/line/i);
    }
    expect((await stored(`tigera_secure_ee_audit_kube.${c}.*`)).map((d) => d._source.auditID).sort()).toEqual(good.map((g) => g.auditID).sort());

    // A refusal limited to once: the same line is accepted when sent again.
    emu.faults.reset();
    emu.faults.refuseLines(/REFUSE-ME/, { times: 1 });
    expect((await bulk({ token: writer, body: ndjson([refused]), cluster: c })).json).toMatchObject({ total: 1, succeeded: 0, failed: 1 });
    expect((await bulk({ token: writer, body: ndjson([refused]), cluster: c })).json).toMatchObject({ total: 1, succeeded: 1, failed: 0 });

    const none = await bulk({ token: writer, body: '{not json\n[1]\n', cluster: c });
    expect(none).toEqual({ status: 400, json: { status: 400, msg: expect.any(String) } });
    expect((await bulk({ token: writer, body: '', cluster: c })).status).toBe(400);
    for (const contentType of ['application/json', 'application/x-ndjson; charset=utf-8', 'text/plain']) {
      const wrong = await bulk({ token: writer, body: ndjson(good), cluster: c, contentType });
      expect(wrong).toEqual({ status: 415, json: { status: 415, msg: expect.any(String) } });
    }
  });

  describe('read API', () => {
    const c = cluster('read');
    const t0 = Date.parse('2026-03-01T10:00:00.000Z');
    const at = (i: number) => new Date(t0 + i * 1_000);
    // Ten events one second apart, and three more sharing the timestamp of event 5.
    const events = [...Array.from({ length: 10 }, (_, i) => auditEvent(`lstest-${RUN}-r${i}`, at(i))), ...[0, 1, 2].map((k) => auditEvent(`lstest-${RUN}-same${k}`, at(5)))];

    beforeAll(async () => {
      // Sent in an order unlike time order, in two requests.
      expect((await bulk({ token: writer, body: ndjson(events.slice(7)), cluster: c })).json).toMatchObject({ succeeded: 6 });
      expect((await bulk({ token: writer, body: ndjson(events.slice(0, 7)), cluster: c })).json).toMatchObject({ succeeded: 7 });
      // Written documents become searchable at the next refresh: poll the API itself.
      await eventually(async () => (await read({ type: 'kube', max_page_size: 1 }, { cluster: c })).json.total_hits === events.length, 'documents searchable', 30_000);
    });

    const ids = (pages: ReadResponse[]) => pages.flatMap((p) => p.items.map((i) => i.auditID as string));

    it('pages with after_key through every document once, by default in requestReceivedTimestamp order', async () => {
      const pages = await readAll({ type: 'kube', max_page_size: 4 }, { cluster: c });
      expect(pages.map((p) => p.items.length)).toEqual([4, 4, 4, 1]);
      expect(pages.every((p) => p.total_hits === events.length)).toBe(true);
      expect(pages.at(-1)).not.toHaveProperty('after_key');
      const got = ids(pages);
      expect(new Set(got).size).toBe(events.length);
      expect(new Set(got)).toEqual(new Set(events.map((e) => e.auditID)));
      const times = pages.flatMap((p) => p.items.map((i) => Date.parse(i.requestReceivedTimestamp as string)));
      expect(times).toEqual([...times].sort((x, y) => x - y));
    });

    it('filters by time range with from exclusive and to inclusive, on requestReceivedTimestamp or generated_time', async () => {
      const pages = await readAll({ type: 'kube', time_range: { from: at(2).toISOString(), to: at(5).toISOString() } }, { cluster: c });
      // 3, 4, 5 and the three sharing 5's time; not 2.
      expect(new Set(ids(pages))).toEqual(new Set([events[3], events[4], events[5], ...events.slice(10)].map((e) => e!.auditID)));
      expect(pages[0]!.total_hits).toBe(6);

      // generated_time is the write time: all of them are inside the last hour, none inside that March window.
      const recent = await readAll({ type: 'kube', time_range: { from: new Date(Date.now() - 3_600_000).toISOString(), to: new Date().toISOString(), field: 'generated_time' } }, { cluster: c });
      expect(ids(recent)).toHaveLength(events.length);
      const none = await read({ type: 'kube', time_range: { from: at(0).toISOString(), to: at(20).toISOString(), field: 'generated_time' } }, { cluster: c });
      expect(none.json).toEqual({ items: [], total_hits: 0 });
    });

    it('sorts as asked and keeps paging exact across ties', async () => {
      const pages = await readAll({ type: 'kube', max_page_size: 2, sort: [{ field: 'stageTimestamp', descending: true }] }, { cluster: c });
      const times = pages.flatMap((p) => p.items.map((i) => Date.parse(i.stageTimestamp as string)));
      expect(times).toEqual([...times].sort((x, y) => y - x));
      expect(new Set(ids(pages)).size).toBe(events.length);
    });

    it('refuses a malformed read with 400 and a wrong content type with 415; an unknown cluster is empty', async () => {
      expect((await read({ type: 'nope' }, { cluster: c })).status).toBe(400);
      expect((await read({ type: 'kube', time_range: { from: 'yesterday' } }, { cluster: c })).status).toBe(400);
      expect((await read({ type: 'kube', after_key: { forged: 1 } }, { cluster: c })).status).toBe(400);
      const wrong = await call(emu.url, READ_PATH, { token: writer, contentType: 'application/x-ndjson', body: '{"type":"kube"}', tls: client });
      expect(wrong.status).toBe(415);
      expect((await read({ type: 'kube' }, { cluster: cluster('nothing-here') })).json).toEqual({ items: [], total_hits: 0 });
    });

    it('pages by offset too (startFrom), the other after_key form', async () => {
      const offsets = await startLinseedEmulator({ elasticUrl: process.env.ELASTIC_URL!, kube, paging: 'startFrom' });
      extraEmulators.push(offsets);
      const tls = { caFile: offsets.caFile, ...(await offsets.issueClientCertificate(tmp, 'offsets')) };
      const pages: ReadResponse[] = [];
      let afterKey: unknown;
      do {
        const res = await call(offsets.url, READ_PATH, { token: writer, contentType: 'application/json', tls, headers: { 'x-cluster-id': c }, body: JSON.stringify({ type: 'kube', max_page_size: 5, ...(afterKey ? { after_key: afterKey } : {}) }) });
        pages.push(res.json);
        afterKey = res.json.after_key;
      } while (afterKey);
      expect(pages.map((p) => p.after_key)).toEqual([{ startFrom: 5 }, { startFrom: 10 }, undefined]);
      expect(new Set(ids(pages))).toEqual(new Set(events.map((e) => e.auditID)));
    });
  });

  describe('faults', () => {
    const c = cluster('faults');
    const countOf = async (auditID: unknown) => (await stored(`tigera_secure_ee_audit_kube.${c}.*`)).filter((d) => d._source.auditID === auditID).length;

    it('answers 5xx to the next N requests, before or after the write', async () => {
      emu.faults.failNext(2, { status: 503 });
      const e = auditEvent(`lstest-${RUN}-f1`, new Date());
      expect(await bulk({ token: writer, body: ndjson([e]), cluster: c })).toEqual({ status: 503, json: { status: 503, msg: expect.any(String) } });
      expect((await read({ type: 'kube' }, { cluster: c })).status).toBe(503);
      expect((await bulk({ token: writer, body: ndjson([e]), cluster: c })).status).toBe(200);
      expect(await countOf(e.auditID)).toBe(1);

      // Only reads fail; bulk goes through.
      emu.faults.failNext(1, { route: 'read', status: 500 });
      expect((await bulk({ token: writer, body: ndjson([auditEvent(`lstest-${RUN}-f2`, new Date())]), cluster: c })).status).toBe(200);
      expect((await read({ type: 'kube' }, { cluster: c })).status).toBe(500);

      // After the write: an error, yet the document is stored.
      const landed = auditEvent(`lstest-${RUN}-f3`, new Date());
      emu.faults.failNext(1, { status: 502, afterWrite: true });
      expect((await bulk({ token: writer, body: ndjson([landed]), cluster: c })).status).toBe(502);
      expect(await countOf(landed.auditID)).toBe(1);
    });

    it('holds the answer after the write landed until the client gives up, or resets the connection', async () => {
      const held = auditEvent(`lstest-${RUN}-t1`, new Date());
      emu.faults.timeoutAfterWrite(1);
      await expect(bulk({ token: writer, body: ndjson([held]), cluster: c, timeoutMs: 2_000 })).rejects.toMatchObject({ code: 'CLIENT_TIMEOUT' });
      // The client gave up; the write still lands (or has landed) and the answer is never sent.
      await eventually(async () => (await countOf(held.auditID)) === 1, 'the held write to land', 30_000);
      expect(emu.requests.at(-1)).toMatchObject({ route: 'bulk', status: 'held', bulk: { total: 1, succeeded: 1, failed: 0 } });

      const reset = auditEvent(`lstest-${RUN}-t2`, new Date());
      emu.faults.timeoutAfterWrite(1, { mode: 'destroy' });
      await expect(bulk({ token: writer, body: ndjson([reset]), cluster: c })).rejects.toMatchObject({ code: 'ECONNRESET' });
      expect(await countOf(reset.auditID)).toBe(1);
      // The next request is answered normally.
      expect((await bulk({ token: writer, body: ndjson([auditEvent(`lstest-${RUN}-t3`, new Date())]), cluster: c })).status).toBe(200);
    });

    it('lets a token expire at a given time', async () => {
      const token = await saToken('writer');
      const line = ndjson([auditEvent(`lstest-${RUN}-x`, new Date())]);
      expect((await bulk({ token, body: line, cluster: c })).status).toBe(200);
      emu.faults.expireToken(token, Date.now() + 2_000);
      expect((await read({ type: 'kube' }, { token, cluster: c })).status).toBe(200); // not yet
      await eventually(async () => (await bulk({ token, body: line, cluster: c })).status === 401, 'the token to expire', 10_000);
      expect((await bulk({ token, body: line, cluster: c })).json).toEqual({ status: 401, msg: expect.stringMatching(/expired/) });
      // Other tokens of the same ServiceAccount still work: a rotated token file recovers.
      expect((await bulk({ token: writer, body: line, cluster: c })).status).toBe(200);
    });

    it('rotates the serving certificate and its CA without a restart', async () => {
      const line = ndjson([auditEvent(`lstest-${RUN}-rot`, new Date())]);
      const oldCa = path.join(tmp, 'old-linseed-ca.crt');
      copyFileSync(emu.caFile, oldCa);

      // Same CA, new certificate: clients keep working.
      await emu.rotateServerCertificate();
      expect((await bulk({ token: writer, body: line, cluster: c, tls: { ...client, caFile: oldCa } })).status).toBe(200);

      // New CA: a client holding the old bundle fails; one that re-reads caFile works.
      await emu.rotateServerCertificate({ newCa: true });
      await expect(bulk({ token: writer, body: line, cluster: c, tls: { ...client, caFile: oldCa } })).rejects.toMatchObject({ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
      expect((await bulk({ token: writer, body: line, cluster: c })).status).toBe(200);
    });

    it('rotates the accepted client CA without a restart', async () => {
      const line = ndjson([auditEvent(`lstest-${RUN}-crot`, new Date())]);
      const old = client;
      // Keeping the previous CA: both the old and a new client certificate are accepted.
      await emu.rotateClientCa({ keepPrevious: true });
      const fresh = { caFile: emu.caFile, ...(await emu.issueClientCertificate(tmp, 'fresh')) };
      expect((await bulk({ token: writer, body: line, cluster: c, tls: old })).status).toBe(200);
      expect((await bulk({ token: writer, body: line, cluster: c, tls: fresh })).status).toBe(200);
      // Dropping it: the old certificate is refused at the handshake.
      await emu.rotateClientCa();
      const newest = { caFile: emu.caFile, ...(await emu.issueClientCertificate(tmp, 'newest')) };
      await expect(bulk({ token: writer, body: line, cluster: c, tls: old })).rejects.toThrow();
      expect((await bulk({ token: writer, body: line, cluster: c, tls: newest })).status).toBe(200);
      client = newest; // later tests use a certificate the emulator accepts
    });
  });

  describe('managed cluster tokens', () => {
    it('accepts a Linseed-signed token, takes the cluster from it, and authorizes its ServiceAccount with RBAC', async () => {
      const mc = cluster('managed');
      const token = emu.mintManagedClusterToken({ tenant: '', cluster: mc, serviceAccount: { namespace: 'calico-system', name: 'managed-fwd' }, expiresInSeconds: 600 });
      const e = auditEvent(`lstest-${RUN}-m1`, new Date());
      // The header names another cluster: the token's claim wins.
      expect((await bulk({ token, body: ndjson([e]), cluster: cluster('spoofed') })).json).toMatchObject({ succeeded: 1 });
      const docs = await stored(`tigera_secure_ee_audit_kube.${mc}.*`);
      expect(docs.map((d) => [d._source.auditID, d._source.cluster])).toEqual([[e.auditID, mc]]);
      expect(await stored(`tigera_secure_ee_audit_kube.${cluster('spoofed')}.*`)).toHaveLength(0);
      expect((await read({ type: 'kube' }, { token, cluster: cluster('spoofed') })).json.total_hits).toBe(1);

      const expired = emu.mintManagedClusterToken({ tenant: '', cluster: mc, serviceAccount: { namespace: 'calico-system', name: 'managed-fwd' }, expiresInSeconds: -1 });
      expect((await bulk({ token: expired, body: ndjson([e]) })).status).toBe(401);
      const [h, p] = token.split('.');
      const forged = `${h}.${p}.${Buffer.from('not the signature').toString('base64url')}`;
      expect((await bulk({ token: forged, body: ndjson([e]) })).status).toBe(401);
      const unbound = emu.mintManagedClusterToken({ tenant: '', cluster: mc, serviceAccount: { namespace: 'calico-system', name: 'someone-else' }, expiresInSeconds: 600 });
      expect((await bulk({ token: unbound, body: ndjson([e]) })).status).toBe(403);
      // A tenant's token is refused by a Linseed that serves no tenant.
      const tenanted = emu.mintManagedClusterToken({ tenant: 'acme', cluster: mc, serviceAccount: { namespace: 'calico-system', name: 'managed-fwd' }, expiresInSeconds: 600 });
      expect((await bulk({ token: tenanted, body: ndjson([e]) })).status).toBe(401);
    });
  });

  describe('multi-tenant Linseed', () => {
    it('requires x-tenant-id and stores into the single index with tenant, cluster and audit_type', async () => {
      const tenant = `t${RUN}`;
      const mt = await startLinseedEmulator({ elasticUrl: process.env.ELASTIC_URL!, kube, tenant, refresh: 'wait_for' });
      extraEmulators.push(mt);
      const tls = { caFile: mt.caFile, ...(await mt.issueClientCertificate(tmp, 'mt')) };
      const c = cluster('tenant');
      const e = auditEvent(`lstest-${RUN}-mt`, new Date());
      const send = (headers: Record<string, string>, token = writer) => call(mt.url, BULK_PATH, { token, contentType: 'application/x-ndjson', body: ndjson([e]), tls, headers });
      expect((await send({ 'x-cluster-id': c })).status).toBe(401);
      expect((await send({ 'x-cluster-id': c, 'x-tenant-id': 'other' })).status).toBe(401);
      expect((await send({ 'x-cluster-id': c, 'x-tenant-id': tenant })).json).toMatchObject({ succeeded: 1 });
      const jwt = mt.mintManagedClusterToken({ tenant, cluster: c, serviceAccount: { namespace: 'calico-system', name: 'managed-fwd' }, expiresInSeconds: 600 });
      expect((await send({}, jwt)).json).toMatchObject({ succeeded: 1 });

      // Without x-cluster-id the cluster is `cluster` (shown here, where the index is shared anyway,
      // rather than in tigera_secure_ee_audit_kube.cluster.*, which other tests' forwarders may use).
      const d = auditEvent(`lstest-${RUN}-default`, new Date());
      expect((await call(mt.url, BULK_PATH, { token: writer, contentType: 'application/x-ndjson', body: ndjson([d]), tls, headers: { 'x-tenant-id': tenant } })).json).toMatchObject({ succeeded: 1 });

      const docs = (await stored('calico_auditlogs.*')).filter((x) => x._source.tenant === tenant);
      expect(docs).toHaveLength(3);
      for (const x of docs.filter((y) => y._source.auditID === e.auditID)) expect(x._source).toMatchObject({ tenant, cluster: c, audit_type: 'kube' });
      expect(docs.filter((y) => y._source.auditID === e.auditID)).toHaveLength(2);
      expect(docs.find((y) => y._source.auditID === d.auditID)?._source.cluster).toBe('cluster');
      expect(Object.keys(await es.indices.getAlias({ name: 'calico_auditlogs.' })).length).toBeGreaterThan(0);
      const res = await call(mt.url, READ_PATH, { token: writer, contentType: 'application/json', body: '{"type":"kube"}', tls, headers: { 'x-cluster-id': c, 'x-tenant-id': tenant } });
      expect(res.json.total_hits).toBe(2);
    });
  });
});
