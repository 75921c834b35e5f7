import { describe, expect, it } from 'vitest';
import { parseAuditEvent } from '../../src/transform/audit-event.js';
import { compileFilterPattern, MAX_FILTER_PATTERN_LENGTH } from '../../src/transform/filter-pattern.js';
import { applyPolicy, compilePolicy, DEFAULT_POLICY, type AuditPolicy } from '../../src/transform/policy.js';
import { loadCorpus } from '../support/corpus.js';

/**
 * A small evaluator of the CloudWatch JSON filter syntax the compiler emits (`{ ... }`, `||`,
 * `&&`, parentheses, `$.a.b = "v"` / `!=`, `*` as a wildcard), so the test can check the
 * pattern against real events. A comparison on a missing field is false, as in CloudWatch.
 */
function matches(pattern: string, event: unknown): boolean {
  const tokens = pattern.match(/\{|\}|\(|\)|\|\||&&|!=|=|\$(?:\.[A-Za-z_][A-Za-z0-9_]*)+|"(?:[^"\\]|\\.)*"/g)!;
  expect(tokens.join('')).toBe(pattern.replace(/\s+/g, ''));
  let i = 0;
  const next = () => tokens[i++]!;
  const peek = () => tokens[i];
  const field = (path: string) => path.slice(2).split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], event);
  const equal = (actual: unknown, wanted: string) => {
    if (typeof actual !== 'string') return false;
    const re = new RegExp(`^${wanted.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    return re.test(actual);
  };
  const factor = (): boolean => {
    if (peek() === '(') {
      next();
      const v = expr();
      expect(next()).toBe(')');
      return v;
    }
    const selector = next();
    const op = next();
    const value = JSON.parse(next()) as string;
    const actual = field(selector);
    if (op === '=') return equal(actual, value);
    return actual !== undefined && !equal(actual, value);
  };
  const term = (): boolean => {
    let v = factor();
    while (peek() === '&&') {
      next();
      v = factor() && v;
    }
    return v;
  };
  const expr = (): boolean => {
    let v = term();
    while (peek() === '||') {
      next();
      v = term() || v;
    }
    return v;
  };
  expect(next()).toBe('{');
  const result = expr();
  expect(next()).toBe('}');
  return result;
}

const corpus = loadCorpus().concat(loadCorpus('audit-events-variants.jsonl'));

function check(policy: AuditPolicy) {
  const pattern = compileFilterPattern(policy)!;
  const compiled = compilePolicy(policy);
  let kept = 0;
  let excluded = 0;
  for (const { line, event } of corpus) {
    const parsed = parseAuditEvent(line);
    if (!parsed.ok) continue;
    const selected = matches(pattern, event);
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
