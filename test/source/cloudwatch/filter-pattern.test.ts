import { describe, expect, it } from 'vitest';
import { parseAuditEvent } from '../../../src/transform/audit-event.js';
import { compileFilterPattern, MAX_FILTER_PATTERN_LENGTH } from '../../../src/source/cloudwatch/filter-pattern.js';
import { applyPolicy, compilePolicy, DEFAULT_POLICY, type AuditPolicy } from '../../../src/transform/policy.js';
import { loadCorpus } from '../../support/corpus.js';
import { filterPatternMatches, jsonPatternMatches } from '../../support/filter-pattern-evaluator.js';

const corpus = loadCorpus().concat(loadCorpus('audit-events-variants.jsonl'));

function check(policy: AuditPolicy) {
  const pattern = compileFilterPattern(policy)!;
  const compiled = compilePolicy(policy);
  let kept = 0;
  let excluded = 0;
  for (const { line, event } of corpus) {
    const parsed = parseAuditEvent(line);
    if (!parsed.ok) continue;
    const selected = jsonPatternMatches(pattern, event);
    if (applyPolicy(compiled, parsed.event)) {
      kept += 1;
      expect(selected, `kept by the policy but excluded by ${pattern}: ${line.slice(0, 200)}`).toBe(true);
    } else if (!selected) {
      excluded += 1;
    }
  }
  return { pattern, kept, excluded };
}

describe('compileFilterPattern', () => {
  it('turns the default policy into a pattern that keeps every kept corpus event and excludes most others', () => {
    const { pattern, kept, excluded } = check(DEFAULT_POLICY);
    expect(pattern).toContain('$.verb = "create"');
    expect(pattern).toContain('$.stage != "RequestReceived"');
    expect(kept).toBeGreaterThan(10);
    // Reads, RBAC churn and RequestReceived stages never cross the wire.
    expect(excluded).toBeGreaterThan(corpus.length * 0.8);
  });

  it('stays a superset with users, namespaces, subresources, wildcards, URLs and several rules', () => {
    const policy: AuditPolicy = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitStages: ['RequestReceived'],
      rules: [
        { level: 'None', users: ['system:kube-proxy'] },
        { level: 'Metadata', resources: [{ group: '', resources: ['pods/exec', 'pods/attach'] }] },
        { level: 'RequestResponse', verbs: ['create', 'delete'], namespaces: ['default', 'kube-system'], resources: [{ group: 'rbac.authorization.k8s.io', resources: ['roles', 'rolebindings'] }] },
        { level: 'Request', users: ['system:admin'], nonResourceURLs: ['/api', '/apis*'] },
      ],
    };
    const { kept, excluded } = check(policy);
    expect(kept).toBeGreaterThan(10);
    expect(excluded).toBeGreaterThan(0);
  });

  it('stays a superset for non-resource URLs a client percent-escaped (the API server matches the decoded path)', () => {
    const policy: AuditPolicy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', verbs: ['get'], nonResourceURLs: ['/version', '/healthz*'] }] };
    const pattern = compileFilterPattern(policy)!;
    const compiled = compilePolicy(policy);
    const base = corpus.map((c) => c.event as Record<string, unknown>).find((e) => typeof e.requestURI === 'string' && !e.objectRef)!;
    for (const requestURI of ['/ver%73ion', '/%76ersion?timeout=32s', '/healthz%2Fetcd', '/version']) {
      const event = { ...base, requestURI, verb: 'get', stage: 'ResponseComplete' };
      const parsed = parseAuditEvent(JSON.stringify(event));
      expect(parsed.ok && applyPolicy(compiled, parsed.event), `the policy keeps ${requestURI}`).toBeTruthy();
      expect(jsonPatternMatches(pattern, event), `${pattern} selects ${requestURI}`).toBe(true);
    }
    // A rule of URLs alone compiles to no pattern rather than to prefixes an escape gets past.
    expect(compileFilterPattern({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', nonResourceURLs: ['/version'] }] })).toBeUndefined();
  });

  it('gives no pattern when a rule keeps everything, or when the pattern would be too long', () => {
    expect(compileFilterPattern({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] })).toBeUndefined();
    expect(
      compileFilterPattern({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', resources: [{ group: '', resources: ['*'] }] }] }),
    ).toBeUndefined();
    const many = Array.from({ length: 80 }, (_, i) => `user-number-${i}`);
    expect(compileFilterPattern({ apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata', users: many }] })).toBeUndefined();
    expect(MAX_FILTER_PATTERN_LENGTH).toBe(1024);
  });
});

describe('the filter pattern evaluator the tests and the benchmark rely on', () => {
  it('matches a term pattern as a substring, and a JSON pattern only on JSON messages', () => {
    expect(filterPatternMatches('"[Truncated...]"', '{"kind":"Event","verb":"cre[Truncated...]')).toBe(true);
    expect(filterPatternMatches('"[Truncated...]"', '{"kind":"Event"}')).toBe(false);
    expect(filterPatternMatches('{ $.verb = "create" }', '{"verb":"create"}')).toBe(true);
    expect(filterPatternMatches('{ $.verb = "create" }', '{"verb":"cre')).toBe(false);
    expect(filterPatternMatches('{ ($.verb = "get") || ($.objectRef.resource = "pod*") }', '{"verb":"list","objectRef":{"resource":"pods"}}')).toBe(true);
    expect(filterPatternMatches('{ $.user.username != "x" }', '{"verb":"list"}')).toBe(false);
  });

  it('refuses syntax it does not know rather than guessing', () => {
    expect(() => jsonPatternMatches('{ $.count > 3 }', {})).toThrow(/unsupported/);
  });
});
