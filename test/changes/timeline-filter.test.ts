import { describe, expect, it } from 'vitest';
import { isDryRun, matchesChange, parseResource, toChange } from '../../src/changes/timeline-filter.js';
import { loadCorpus } from '../support/corpus.js';

type Ev = { stage?: string; level?: string; verb?: string; requestURI?: string; responseStatus?: { code?: number }; objectRef?: { resource?: string } };

describe("Calico's Timeline semantics over the corpus", () => {
  const corpus = loadCorpus().map((c) => c.event as Record<string, unknown>);

  it('lists exactly the ResponseComplete, RequestResponse, change-verb, 2xx, non-dryRun events', () => {
    const expected = corpus.filter((e: Ev) =>
      e.stage === 'ResponseComplete' && e.level === 'RequestResponse' && ['create', 'update', 'patch', 'delete'].includes(e.verb ?? '') &&
      (e.responseStatus?.code ?? 0) >= 200 && (e.responseStatus?.code ?? 0) < 300 && !(e.requestURI ?? '').includes('dryRun'),
    );
    const listed = corpus.filter((e) => toChange(e) !== undefined);
    expect(listed).toEqual(expected);
    expect(listed.length).toBeGreaterThan(10);
    // Reads, watches, and earlier stages of the same requests are not changes.
    expect(corpus.filter((e: Ev) => e.verb === 'get' || e.stage === 'RequestReceived').some((e) => toChange(e))).toBe(false);
  });

  it('filters the corpus changes by resource (kind or plural, with group), namespace and verb', () => {
    const changes = corpus.map(toChange).filter((c) => c !== undefined);
    const byKind = changes.filter((c) => matchesChange(c, { resource: 'ClusterRole.rbac.authorization.k8s.io' }));
    expect(byKind.length).toBe(corpus.filter((e: Ev) => toChange(e) && e.objectRef?.resource === 'clusterroles').length);
    expect(byKind.every((c) => c.resource === 'clusterroles' && c.group === 'rbac.authorization.k8s.io')).toBe(true);
    expect(changes.filter((c) => matchesChange(c, { resource: 'clusterroles.apps' }))).toEqual([]);
    const pods = changes.filter((c) => matchesChange(c, { resource: 'pods.core', verbs: ['create'] }));
    expect(pods.length).toBeGreaterThan(0);
    expect(pods.every((c) => c.resource === 'pods' && c.group === '' && c.verb === 'create')).toBe(true);
    const ns = pods[0]!.namespace!;
    expect(changes.filter((c) => matchesChange(c, { namespace: ns })).every((c) => c.namespace === ns)).toBe(true);
  });

  it('turns kinds into the plurals objectRef names', () => {
    expect(parseResource('NetworkPolicy').names).toContain('networkpolicies');
    expect(parseResource('Ingress.networking.k8s.io')).toEqual({ names: ['ingress', 'ingresses'], group: 'networking.k8s.io' });
    expect(parseResource('pods.core').group).toBe('');
  });

  it('recognises dryRun only in the query', () => {
    expect(isDryRun('/api/v1/namespaces/a/configmaps?dryRun=All')).toBe(true);
    expect(isDryRun('/api/v1/namespaces/a/configmaps?fieldManager=x&dryRun=All')).toBe(true);
    expect(isDryRun('/api/v1/namespaces/a/configmaps/dryRun-notes')).toBe(false);
  });
});
