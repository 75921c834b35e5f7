import { describe, expect, it } from 'vitest';
import { compileFilterPattern } from '../../../src/source/cloudwatch/filter-pattern.js';
import { plannedFilters, TRUNCATED_PATTERN } from '../../../src/source/kinesis/setup-subscription.js';
import { DEFAULT_POLICY, type AuditPolicy } from '../../../src/transform/policy.js';

describe('subscription filters planned for a log group', () => {
  it("uses both of a group's two filters: the policy's pattern and one for cut-off events", () => {
    const filters = plannedFilters(DEFAULT_POLICY, 'eks-log-forwarder', true);
    expect(filters).toEqual([
      { filterName: 'eks-log-forwarder', filterPattern: compileFilterPattern(DEFAULT_POLICY) },
      { filterName: 'eks-log-forwarder-truncated', filterPattern: TRUNCATED_PATTERN },
    ]);
    expect(filters[0]!.filterPattern).not.toBe('');
  });

  it('falls back to one filter taking everything when the policy compiles to no pattern, or when asked', () => {
    const keepsAll: AuditPolicy = { apiVersion: 'audit.k8s.io/v1', kind: 'Policy', rules: [{ level: 'Metadata' }] };
    expect(plannedFilters(keepsAll, 'f', true)).toEqual([{ filterName: 'f', filterPattern: '' }]);
    expect(plannedFilters(DEFAULT_POLICY, 'f', false)).toEqual([{ filterName: 'f', filterPattern: '' }]);
  });
});
