import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/errors.js';
import { DEFAULT_POLICY } from '../../src/transform/policy.js';
import { AUDIT_POLICY_SETTING, loadPolicyFile } from '../../src/transform/policy-file.js';

const dir = mkdtempSync(path.join(tmpdir(), 'audit-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function write(text: string, ext = 'yaml'): string {
  const file = path.join(dir, `policy-${n++}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** The ConfigError thrown by loading `text`. */
function failure(text: string, ext = 'yaml'): { file: string; error: ConfigError } {
  const file = write(text, ext);
  try {
    loadPolicyFile(file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return { file, error: err as ConfigError };
  }
  throw new Error('expected loadPolicyFile to throw');
}

// The sample policy from the Calico docs, as published (YAML, quoted with '').
const CALICO_SAMPLE = `apiVersion: audit.k8s.io/v1beta1
kind: Policy
omitStages:
- RequestReceived
rules:
- level: RequestResponse
  verbs:
  - create
  - patch
  - update
  - delete
  resources:
  - group: networking.k8s.io
    resources: ['networkpolicies']
  - group: extensions
    resources: ['networkpolicies']
  - group: ''
    resources: ['pods', 'namespaces', 'serviceaccounts', 'endpoints']
`;

describe('loadPolicyFile', () => {
  it('loads the Calico sample policy YAML, equal to DEFAULT_POLICY', () => {
    expect(loadPolicyFile(write(CALICO_SAMPLE))).toEqual(DEFAULT_POLICY);
  });

  it('loads a JSON policy with every rule field', () => {
    const policy = {
      apiVersion: 'audit.k8s.io/v1',
      kind: 'Policy',
      omitManagedFields: true,
      rules: [
        {
          level: 'Request',
          users: ['admin'],
          userGroups: ['system:masters'],
          verbs: ['create'],
          namespaces: ['kube-system', ''],
          resources: [{ group: 'apps', resources: ['deployments', 'deployments/scale'], resourceNames: ['coredns'] }],
          omitStages: ['RequestReceived'],
          omitManagedFields: false,
        },
        { level: 'Metadata', nonResourceURLs: ['/healthz*', '/version'] },
      ],
    };
    expect(loadPolicyFile(write(JSON.stringify(policy), 'json'))).toEqual(policy);
  });

  it('rejects an unknown level, naming the file and rules[i].level', () => {
    const { file, error } = failure(
      CALICO_SAMPLE + '- level: Everything\n',
    );
    expect(error.setting).toBe(AUDIT_POLICY_SETTING);
    expect(error.message).toContain(file);
    expect(error.message).toContain('rules[1].level');
    expect(error.message).toMatch(/^--audit-policy \/ AUDIT_POLICY_FILE: /);
  });

  it('rejects a misspelt field, naming its path', () => {
    const { error } = failure(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  resources:
  - group: ''
    resource: ['pods']
`);
    expect(error.message).toContain('rules[0].resources[0].resource');
    expect(error.message).toContain('unknown field');
  });

  it('rejects a group with a version, as the apiserver does', () => {
    const { error } = failure(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  resources:
  - group: rbac.authorization.k8s.io/v1
`);
    expect(error.message).toContain('rules[0].resources[0].group');
  });

  it('rejects a rule mixing resources and nonResourceURLs', () => {
    const { error } = failure(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  namespaces: [default]
  nonResourceURLs: [/healthz]
`);
    expect(error.message).toContain('rules[0].nonResourceURLs');
  });

  it('rejects a non-resource URL with a wildcard before the end', () => {
    const { error } = failure(`apiVersion: audit.k8s.io/v1
kind: Policy
rules:
- level: Metadata
  nonResourceURLs: ['/api*/v1']
`);
    expect(error.message).toContain('rules[0].nonResourceURLs[0]');
  });

  it('rejects a policy without rules, another kind, or an unknown apiVersion', () => {
    expect(failure('apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n').error.message).toContain('rules:');
    expect(failure('apiVersion: audit.k8s.io/v1\nkind: Event\nrules: [{level: None}]\n').error.message).toContain(
      'kind:',
    );
    expect(
      failure('apiVersion: audit.k8s.io/v2\nkind: Policy\nrules: [{level: None}]\n').error.message,
    ).toContain('apiVersion:');
  });

  it('rejects a file that is not YAML or JSON, or not an object', () => {
    const { file, error } = failure('rules: [\n', 'yaml');
    expect(error.message).toContain(file);
    expect(error.message).toContain('not valid YAML or JSON');
    expect(failure('just a string\n').error.message).toContain('(root)');
  });

  it('rejects a missing file, naming it', () => {
    const missing = path.join(dir, 'does-not-exist.yaml');
    expect(() => loadPolicyFile(missing)).toThrow(ConfigError);
    expect(() => loadPolicyFile(missing)).toThrow(missing);
  });
});
