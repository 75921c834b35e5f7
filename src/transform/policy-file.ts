import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../config/errors.js';
import { auditPolicySchema, type AuditPolicy } from './policy.js';

export const AUDIT_POLICY_SETTING = '--audit-policy / AUDIT_POLICY_FILE';

const MAX_REPORTED_ISSUES = 5;

/** `rules[2].resources[0].group`, the way kubectl and the apiserver print field paths. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else out += out === '' ? String(seg) : `.${String(seg)}`;
  }
  return out === '' ? '(root)' : out;
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    // Point at the unknown key itself, not at the object holding it.
    return issue.keys
      .map((k) => `${formatPath([...issue.path, k])}: unknown field (misspelt?)`)
      .join('; ');
  }
  return `${formatPath(issue.path)}: ${issue.message}`;
}

/** Reads an audit Policy from YAML or JSON (YAML is a superset) and validates it. */
export function loadPolicyFile(path: string): AuditPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(AUDIT_POLICY_SETTING, `cannot read audit policy file ${path}: ${(err as Error).message}`);
  }

  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    // yaml's message continues with a multi-line source excerpt; its first line has the position.
    const first = (err as Error).message.split('\n', 1)[0]!.replace(/:$/, '');
    throw new ConfigError(AUDIT_POLICY_SETTING, `audit policy file ${path} is not valid YAML or JSON: ${first}`);
  }

  const parsed = auditPolicySchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const shown = issues.slice(0, MAX_REPORTED_ISSUES).map(describeIssue);
    if (issues.length > MAX_REPORTED_ISSUES) shown.push(`and ${issues.length - MAX_REPORTED_ISSUES} more`);
    throw new ConfigError(AUDIT_POLICY_SETTING, `invalid audit policy in ${path}: ${shown.join('; ')}`);
  }
  return parsed.data;
}
