import { describe, expect, it } from 'vitest';
import { parseAuditEvent, type AuditEvent, type Stage } from '../../src/transform/audit-event.js';
import {
  applyPolicy,
  auditPolicySchema,
  compilePolicy,
  DEFAULT_POLICY,
  evaluate,
  type AuditPolicy,
  type AuditPolicyRule,
} from '../../src/transform/policy.js';
import { loadCorpus } from '../support/corpus.js';

// Real events, keyed by `auditID/stage` (the corpus dedup key).
const corpus = new Map<string, { line: string; event: AuditEvent }>();
for (const { line } of loadCorpus()) {
  const parsed = parseAuditEvent(line);
  if (!parsed.ok) throw new Error(`corpus line does not parse: ${parsed.reason}`);
  corpus.set(`${parsed.event.auditID}/${parsed.event.stage}`, { line, event: parsed.event });
}

function real(auditID: string, stage: Stage = 'ResponseComplete'): AuditEvent {
  const hit = corpus.get(`${auditID}/${stage}`);
  if (!hit) throw new Error(`no corpus event ${auditID}/${stage}`);
  return hit.event;
}

/** A real event's pristine JSON, to prove the input was not mutated. */
function pristine(auditID: string, stage: Stage = 'ResponseComplete'): unknown {
  return JSON.parse(corpus.get(`${auditID}/${stage}`)!.line);
}

function policyOf(rules: AuditPolicyRule[], extra: Partial<AuditPolicy> = {}): AuditPolicy {
  return auditPolicySchema.parse({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules, ...extra });
}

/** Does a single rule `{level: Metadata, ...match}` match the event? */
function matches(match: Omit<AuditPolicyRule, 'level'>, event: AuditEvent): boolean {
  return evaluate(compilePolicy(policyOf([{ level: 'Metadata', ...match }])), event).ruleIndex === 0;
}

// Real events used below (corpus: test/fixtures/corpus/audit-events.jsonl).
const E = {
  /** GET /api by system:admin impersonating bob (audit2rbac) */
  discoveryApi: 'eed8aa73-fedf-46b2-88f6-92019cf5e06e',
  /** GET /apis */
  discoveryApis: 'a8114360-9700-4856-8017-91998f503510',
  /** GET /apis/apps/v1beta1 */
  discoveryApps: '6b08c9b1-434a-4acc-97fe-6af1e08d46a4',
  /** GET /api/v1?timeout=32s (AKS) */
  discoveryApiV1Query: 'b71eacd3-1a6b-413e-ad54-83e2d53e4f91',
  /** create pod in default by replicaset-controller, RequestResponse */
  podCreate: '24142dcc-7ad8-4fb8-8d3b-106ea474759d',
  /** create pod in kube-system, RequestResponse */
  podCreateKubeSystem: '5fad6ec1-4e15-4753-b180-ae9fd096f511',
  /** pods/exec, ResponseStarted */
  podExec: 'ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6',
  /** pods/attach, ResponseStarted */
  podAttach: '14933b4e-7b09-4964-af09-b7987367e1ba',
  /** create configmap, core group with apiGroup absent, RequestResponse */
  configmapCreate: '155b887c-c27c-4fdb-9667-999f74512d0a',
  /** create extensions/deployments, Request */
  deploymentCreate: 'c5be68f4-80b8-4159-adc4-76ddb195334e',
  /** create serviceaccount, recorded at Request */
  serviceaccountCreate: 'db4a8c97-3bd2-4ee7-a0d9-b6e367a458e3',
  /** create namespace foo (cluster-scoped, no objectRef.namespace) */
  namespaceCreate: 'b7e177d2-f462-4f7e-8905-9e0f187e4e92',
  /** delete namespace foo: the apiserver records objectRef.namespace = "foo" */
  namespaceDelete: '693f4726-2430-450a-83e1-123c050fde98',
  /** get clusterrole audit2rbac:bob (cluster-scoped), has a RequestReceived twin */
  clusterroleGet: '27d2b938-1bb3-4d5e-a2e4-9e1dfc49d71f',
  /** get storageclass "default" / "managed-premium" */
  storageclassDefault: '4387a586-5de4-49bc-9c49-791f1665b5e8',
  storageclassPremium: 'eb4951df-43e2-49bd-8523-efe0adfd09c8',
  /** watch configmaps: ResponseStarted + ResponseComplete */
  watchConfigmaps: { started: 'a7d1e9a6-eb19-42cd-92b4-719b2dc477db', complete: '3a1ffe7b-88a5-4046-a864-d3f5d912c8c8' },
} as const;

describe('rule matching (checker.go ruleMatches)', () => {
  it('users match the authenticated user, not impersonatedUser', () => {
    const ev = real(E.discoveryApi);
    expect(ev.user.username).toBe('system:admin');
    expect((ev as Record<string, unknown>)['impersonatedUser']).toMatchObject({ username: 'bob' });
    expect(matches({ users: ['system:admin'] }, ev)).toBe(true);
    expect(matches({ users: ['bob'] }, ev)).toBe(false);
  });

  it('userGroups match when any of the user groups is listed', () => {
    const ev = real(E.podCreate);
    expect(matches({ userGroups: ['nobody', 'system:serviceaccounts:kube-system'] }, ev)).toBe(true);
    expect(matches({ userGroups: ['system:masters'] }, ev)).toBe(false);
  });

  it('verbs match the request verb exactly', () => {
    expect(matches({ verbs: ['create'] }, real(E.podCreate))).toBe(true);
    expect(matches({ verbs: ['get', 'list'] }, real(E.podCreate))).toBe(false);
    expect(matches({ verbs: ['get'] }, real(E.discoveryApi))).toBe(true);
  });

  it('namespaces match objectRef.namespace', () => {
    expect(matches({ namespaces: ['kube-system'] }, real(E.podCreateKubeSystem))).toBe(true);
    expect(matches({ namespaces: ['kube-system'] }, real(E.podCreate))).toBe(false);
  });

  it('namespaces "" selects cluster-scoped requests', () => {
    expect(matches({ namespaces: [''] }, real(E.clusterroleGet))).toBe(true);
    expect(matches({ namespaces: [''] }, real(E.namespaceCreate))).toBe(true);
    expect(matches({ namespaces: [''] }, real(E.podCreate))).toBe(false);
    // For /api/v1/namespaces/foo the apiserver's RequestInfo sets namespace "foo".
    expect(matches({ namespaces: [''] }, real(E.namespaceDelete))).toBe(false);
    expect(matches({ namespaces: ['foo'] }, real(E.namespaceDelete))).toBe(true);
  });

  it('resources[].group compares exactly with objectRef.apiGroup, absent meaning core', () => {
    const deployment = real(E.deploymentCreate);
    expect(matches({ resources: [{ group: 'extensions', resources: ['deployments'] }] }, deployment)).toBe(true);
    expect(matches({ resources: [{ group: 'apps', resources: ['deployments'] }] }, deployment)).toBe(false);
    expect(matches({ resources: [{ group: '', resources: ['deployments'] }] }, deployment)).toBe(false);
    const configmap = real(E.configmapCreate);
    expect(configmap.objectRef?.apiGroup).toBeUndefined();
    expect(matches({ resources: [{ group: '', resources: ['configmaps'] }] }, configmap)).toBe(true);
    expect(matches({ resources: [{ resources: ['configmaps'] }] }, configmap)).toBe(true);
  });

  it('an empty resources list matches every resource of the group', () => {
    expect(matches({ resources: [{ group: 'extensions' }] }, real(E.deploymentCreate))).toBe(true);
    expect(matches({ resources: [{ group: 'extensions' }] }, real(E.podCreate))).toBe(false);
    expect(matches({ resources: [{ group: '' }] }, real(E.podExec, 'ResponseStarted'))).toBe(true);
  });

  it('"*" matches every resource and subresource of the group', () => {
    const star = { resources: [{ group: '', resources: ['*'] }] };
    expect(matches(star, real(E.podCreate))).toBe(true);
    expect(matches(star, real(E.podExec, 'ResponseStarted'))).toBe(true);
    expect(matches(star, real(E.configmapCreate))).toBe(true);
    expect(matches(star, real(E.deploymentCreate))).toBe(false);
  });

  it('"pods" does not match a pods subresource; "pods/exec" matches only that one', () => {
    expect(matches({ resources: [{ resources: ['pods'] }] }, real(E.podExec, 'ResponseStarted'))).toBe(false);
    expect(matches({ resources: [{ resources: ['pods'] }] }, real(E.podCreate))).toBe(true);
    const exec = { resources: [{ resources: ['pods/exec'] }] };
    expect(matches(exec, real(E.podExec, 'ResponseStarted'))).toBe(true);
    expect(matches(exec, real(E.podAttach, 'ResponseStarted'))).toBe(false);
    expect(matches(exec, real(E.podCreate))).toBe(false);
  });

  it('"pods/*" matches any pods subresource and, as checker.go does, pods itself', () => {
    // checker.go: `strings.HasSuffix(res, "/*") && resource == strings.TrimSuffix(res, "/*")`
    // compares the bare resource, so a request without subresource matches too.
    const podsAny = { resources: [{ resources: ['pods/*'] }] };
    expect(matches(podsAny, real(E.podExec, 'ResponseStarted'))).toBe(true);
    expect(matches(podsAny, real(E.podAttach, 'ResponseStarted'))).toBe(true);
    expect(matches(podsAny, real(E.podCreate))).toBe(true);
    expect(matches(podsAny, real(E.configmapCreate))).toBe(false);
  });

  it('"*/exec" matches that subresource of any resource, and no bare resource', () => {
    const anyExec = { resources: [{ resources: ['*/exec'] }] };
    expect(matches(anyExec, real(E.podExec, 'ResponseStarted'))).toBe(true);
    expect(matches(anyExec, real(E.podAttach, 'ResponseStarted'))).toBe(false);
    expect(matches(anyExec, real(E.podCreate))).toBe(false);
  });

  it('"*/status" matches the status subresource of any resource', () => {
    // Hand-made: the corpus has no status subresource; derived from the real pod create.
    const base = real(E.podCreate);
    const podStatus: AuditEvent = { ...base, objectRef: { ...base.objectRef, subresource: 'status' } };
    const svcStatus: AuditEvent = { ...base, objectRef: { ...base.objectRef, resource: 'services', subresource: 'status' } };
    const anyStatus = { resources: [{ resources: ['*/status'] }] };
    expect(matches(anyStatus, podStatus)).toBe(true);
    expect(matches(anyStatus, svcStatus)).toBe(true);
    expect(matches(anyStatus, base)).toBe(false);
  });

  it('resourceNames restricts by objectRef.name', () => {
    const rule = { resources: [{ group: 'storage.k8s.io', resources: ['storageclasses'], resourceNames: ['default'] }] };
    expect(matches(rule, real(E.storageclassDefault))).toBe(true);
    expect(matches(rule, real(E.storageclassPremium))).toBe(false);
  });

  it('nonResourceURLs match the exact path', () => {
    expect(matches({ nonResourceURLs: ['/api'] }, real(E.discoveryApi))).toBe(true);
    expect(matches({ nonResourceURLs: ['/api'] }, real(E.discoveryApis))).toBe(false);
  });

  it('nonResourceURLs with a trailing * match by prefix', () => {
    const apis = { nonResourceURLs: ['/apis*'] };
    expect(matches(apis, real(E.discoveryApis))).toBe(true);
    expect(matches(apis, real(E.discoveryApps))).toBe(true);
    expect(matches(apis, real(E.discoveryApi))).toBe(false);
    expect(matches({ nonResourceURLs: ['*'] }, real(E.discoveryApi))).toBe(true);
  });

  it('nonResourceURLs ignore the query string of requestURI', () => {
    const ev = real(E.discoveryApiV1Query);
    expect(ev.requestURI).toBe('/api/v1?timeout=32s');
    expect(matches({ nonResourceURLs: ['/api/v1'] }, ev)).toBe(true);
  });

  it('a nonResourceURLs rule never matches a resource request', () => {
    expect(matches({ nonResourceURLs: ['*'] }, real(E.podCreate))).toBe(false);
    expect(matches({ nonResourceURLs: ['/api*'] }, real(E.podCreate))).toBe(false);
  });

  it('a namespaces or resources rule never matches a non-resource request', () => {
    expect(matches({ namespaces: [''] }, real(E.discoveryApi))).toBe(false);
    expect(matches({ resources: [{ group: '' }] }, real(E.discoveryApi))).toBe(false);
  });

  it('a rule without request constraints matches both kinds of request', () => {
    expect(matches({}, real(E.discoveryApi))).toBe(true);
    expect(matches({ verbs: ['create'] }, real(E.podCreate))).toBe(true);
  });
});

describe('evaluate', () => {
  it('takes the first matching rule', () => {
    const adminNone: AuditPolicyRule = { level: 'None', users: ['system:admin'] };
    const catchAll: AuditPolicyRule = { level: 'Metadata' };
    const ordered = compilePolicy(policyOf([adminNone, catchAll]));
    expect(evaluate(ordered, real(E.discoveryApi))).toMatchObject({ level: 'None', ruleIndex: 0 });
    expect(evaluate(ordered, real(E.podCreate))).toMatchObject({ level: 'Metadata', ruleIndex: 1 });
    const reversed = compilePolicy(policyOf([catchAll, adminNone]));
    expect(evaluate(reversed, real(E.discoveryApi))).toMatchObject({ level: 'Metadata', ruleIndex: 0 });
  });

  it('gives level None and ruleIndex -1 when no rule matches', () => {
    const compiled = compilePolicy(policyOf([{ level: 'RequestResponse', verbs: ['delete'] }]));
    expect(evaluate(compiled, real(E.podCreate))).toMatchObject({ level: 'None', ruleIndex: -1 });
  });

  it('omitStages is the union of the rule and the policy stages', () => {
    const compiled = compilePolicy(
      policyOf([{ level: 'Metadata', verbs: ['watch'], omitStages: ['ResponseStarted'] }, { level: 'Metadata' }], {
        omitStages: ['RequestReceived'],
      }),
    );
    const watch = evaluate(compiled, real(E.watchConfigmaps.started, 'ResponseStarted'));
    expect([...watch.omitStages].sort()).toEqual(['RequestReceived', 'ResponseStarted']);
    expect([...evaluate(compiled, real(E.podCreate)).omitStages]).toEqual(['RequestReceived']);
  });

  it("omitManagedFields is the rule's value when set, else the policy's", () => {
    const rules: AuditPolicyRule[] = [
      { level: 'Metadata', verbs: ['create'], omitManagedFields: false },
      { level: 'Metadata', verbs: ['get'] },
    ];
    const withDefault = compilePolicy(policyOf(rules, { omitManagedFields: true }));
    expect(evaluate(withDefault, real(E.podCreate)).omitManagedFields).toBe(false);
    expect(evaluate(withDefault, real(E.discoveryApi)).omitManagedFields).toBe(true);
    const without = compilePolicy(policyOf([{ level: 'Metadata', omitManagedFields: true }, ...rules]));
    expect(evaluate(without, real(E.podCreate)).omitManagedFields).toBe(true);
    expect(evaluate(compilePolicy(policyOf(rules)), real(E.discoveryApi)).omitManagedFields).toBe(false);
  });
});

describe('applyPolicy', () => {
  const all = (level: AuditPolicyRule['level'], extra: Partial<AuditPolicy> = {}) =>
    compilePolicy(policyOf([{ level }], extra));

  it('drops events whose policy level is None, matched or not', () => {
    expect(applyPolicy(all('None'), real(E.podCreate))).toBeNull();
    const onlyDeletes = compilePolicy(policyOf([{ level: 'RequestResponse', verbs: ['delete'] }]));
    expect(applyPolicy(onlyDeletes, real(E.podCreate))).toBeNull();
  });

  it('drops events whose stage is omitted by the rule or the policy', () => {
    const compiled = compilePolicy(
      policyOf([{ level: 'Metadata', verbs: ['watch'], omitStages: ['ResponseStarted'] }, { level: 'Metadata' }], {
        omitStages: ['RequestReceived'],
      }),
    );
    expect(applyPolicy(compiled, real(E.watchConfigmaps.started, 'ResponseStarted'))).toBeNull();
    expect(applyPolicy(compiled, real(E.watchConfigmaps.complete))).not.toBeNull();
    expect(applyPolicy(compiled, real(E.clusterroleGet, 'RequestReceived'))).toBeNull();
    expect(applyPolicy(compiled, real(E.clusterroleGet))).not.toBeNull();
  });

  it('keeps the recorded level when the policy level is higher', () => {
    const ev = real(E.serviceaccountCreate);
    expect(ev.level).toBe('Request');
    const out = applyPolicy(all('RequestResponse'), ev)!;
    expect(out.level).toBe('Request');
    expect(out.requestObject).toEqual(ev.requestObject);
  });

  it('lowers the level to Metadata and removes both bodies', () => {
    const ev = real(E.podCreate);
    expect(ev.level).toBe('RequestResponse');
    expect(ev.requestObject).toBeDefined();
    expect(ev.responseObject).toBeDefined();
    const out = applyPolicy(all('Metadata'), ev)!;
    expect(out.level).toBe('Metadata');
    expect('requestObject' in out).toBe(false);
    expect('responseObject' in out).toBe(false);
    expect(out.objectRef).toEqual(ev.objectRef);
    expect(ev).toEqual(pristine(E.podCreate));
  });

  it('at Request keeps the request body and removes the response body', () => {
    const ev = real(E.podCreate);
    const out = applyPolicy(all('Request'), ev)!;
    expect(out.level).toBe('Request');
    expect(out.requestObject).toEqual(ev.requestObject);
    expect('responseObject' in out).toBe(false);
    expect(Object.keys(out)).toEqual(Object.keys(ev).filter((k) => k !== 'responseObject'));
    expect(ev).toEqual(pristine(E.podCreate));
  });

  it('returns a new object even when nothing changes', () => {
    const ev = real(E.podCreate);
    const out = applyPolicy(all('RequestResponse'), ev)!;
    expect(out).not.toBe(ev);
    expect(out).toEqual(ev);
  });

  describe('omitManagedFields', () => {
    // Hand-made: no corpus event carries managedFields (all predate it), so they are added to a
    // copy of the real pod create.
    const managedFields = [{ manager: 'kube-controller-manager', operation: 'Update', apiVersion: 'v1' }];
    function withManagedFields(): AuditEvent {
      const ev = structuredClone(real(E.podCreate));
      const req = ev.requestObject as { metadata: Record<string, unknown> };
      const resp = ev.responseObject as { metadata: Record<string, unknown> };
      req.metadata['managedFields'] = managedFields;
      resp.metadata['managedFields'] = managedFields;
      return ev;
    }

    it('removes metadata.managedFields from both bodies without touching the input', () => {
      const ev = withManagedFields();
      const before = structuredClone(ev);
      const out = applyPolicy(all('RequestResponse', { omitManagedFields: true }), ev)!;
      const req = out.requestObject as { metadata: Record<string, unknown> };
      const resp = out.responseObject as { metadata: Record<string, unknown> };
      expect('managedFields' in req.metadata).toBe(false);
      expect('managedFields' in resp.metadata).toBe(false);
      expect(resp.metadata['name']).toBe((before.responseObject as { metadata: { name: string } }).metadata.name);
      expect(ev).toEqual(before);
    });

    it('removes managedFields from each item of a list', () => {
      const ev = withManagedFields();
      const pod = ev.responseObject as Record<string, unknown>;
      const list: AuditEvent = {
        ...ev,
        responseObject: { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: '1' }, items: [pod, pod] },
      };
      const before = structuredClone(list);
      const out = applyPolicy(all('RequestResponse', { omitManagedFields: true }), list)!;
      const items = (out.responseObject as { items: { metadata: Record<string, unknown> }[] }).items;
      expect(items).toHaveLength(2);
      for (const item of items) expect('managedFields' in item.metadata).toBe(false);
      expect(list).toEqual(before);
    });

    it('keeps managedFields when the effective setting is false', () => {
      const ev = withManagedFields();
      const out = applyPolicy(all('RequestResponse'), ev)!;
      expect((out.responseObject as { metadata: Record<string, unknown> }).metadata['managedFields']).toEqual(
        managedFields,
      );
    });
  });
});

describe('DEFAULT_POLICY', () => {
  it('is a valid policy', () => {
    expect(auditPolicySchema.parse(DEFAULT_POLICY)).toEqual(DEFAULT_POLICY);
  });
});
