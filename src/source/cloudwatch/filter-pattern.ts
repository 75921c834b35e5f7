import type { AuditPolicy } from '../../transform/policy.js';

/** CloudWatch Logs refuses longer filter patterns. */
export const MAX_FILTER_PATTERN_LENGTH = 1024;

type Rule = AuditPolicy['rules'][number];

/**
 * Compiles an audit policy into a CloudWatch Logs JSON filter pattern that selects a safe
 * superset of what the policy keeps, so the service sends fewer bytes; exact evaluation still
 * happens in the forwarder. A condition is only emitted when it cannot exclude a kept event:
 * verbs, resource names (subresources widen to their resource), namespaces, user names and
 * omitted stages. Groups and user groups are left to the forwarder. Returns
 * undefined when no useful pattern exists (a rule keeps everything) or it would be too long.
 */
export function compileFilterPattern(policy: AuditPolicy): string | undefined {
  const clauses: string[] = [];
  for (const rule of policy.rules) {
    if (rule.level === 'None') continue;
    const clause = ruleClause(rule, [...(rule.omitStages ?? []), ...(policy.omitStages ?? [])]);
    if (clause === undefined) return undefined;
    clauses.push(clause);
  }
  if (clauses.length === 0) return undefined;
  const pattern = `{ ${clauses.length === 1 ? clauses[0] : clauses.map((c) => `(${c})`).join(' || ')} }`;
  return pattern.length <= MAX_FILTER_PATTERN_LENGTH ? pattern : undefined;
}

function ruleClause(rule: Rule, omitStages: string[]): string | undefined {
  const parts: string[] = [];
  const anyOf = (field: string, values: string[]) =>
    values.length === 1 ? `${field} = ${quote(values[0]!)}` : `(${values.map((v) => `${field} = ${quote(v)}`).join(' || ')})`;

  if (rule.verbs?.length && !rule.verbs.includes('*')) parts.push(anyOf('$.verb', rule.verbs));
  if (rule.users?.length) parts.push(anyOf('$.user.username', rule.users));
  // "" stands for cluster-scoped objects, whose events have no namespace to compare.
  if (rule.namespaces?.length && !rule.namespaces.includes('')) parts.push(anyOf('$.objectRef.namespace', rule.namespaces));
  const resources = resourceNames(rule);
  if (resources) parts.push(anyOf('$.objectRef.resource', resources));
  // No condition on URLs: the API server matches them against the percent-decoded path while
  // requestURI keeps the client's escapes (`/ver%73ion` is `/version`), which no prefix can cover.
  for (const stage of new Set(omitStages)) parts.push(`$.stage != ${quote(stage)}`);
  return parts.length ? parts.join(' && ') : undefined;
}

/** The resource names a rule can match, or undefined when it matches any resource. */
function resourceNames(rule: Rule): string[] | undefined {
  if (!rule.resources?.length) return undefined;
  const names = new Set<string>();
  for (const group of rule.resources) {
    if (!group.resources?.length) return undefined;
    for (const r of group.resources) {
      const name = r.split('/')[0]!;
      if (name === '*' || name === '') return undefined;
      names.add(name);
    }
  }
  return [...names];
}

function quote(value: string): string {
  return JSON.stringify(value);
}
