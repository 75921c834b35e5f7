import { readFileSync } from 'node:fs';
import { parse, type ScalarTag, type Tags } from 'yaml';
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

/*
 * Reading as kube-apiserver reads --audit-policy-file (k8s.io/apiserver audit/policy/reader.go):
 * a file whose first non-space character is `{` is JSON; anything else is YAML, which
 * sigs.k8s.io/yaml turns into JSON with go-yaml v2, a YAML 1.1 reader (`yes`, `no`, `on`, `off`,
 * `y` and `n` are booleans, `<<` merges); the JSON is then decoded into the Policy types, where a
 * null leaves a field unset and makes a list element its zero value.
 */

/** Go's unicode.IsSpace, which apimachinery's IsJSONBuffer skips before looking for `{`. */
const LOOKS_LIKE_JSON = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]*\{/;

const SPECIAL_FLOATS: ReadonlyMap<string, number> = new Map([
  ...['.nan', '.NaN', '.NAN'].map((s): [string, number] => [s, NaN]),
  ...['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'].map((s): [string, number] => [s, Infinity]),
  ...['-.inf', '-.Inf', '-.INF'].map((s): [string, number] => [s, -Infinity]),
]);
const GO_INT = /^([-+]?)(?:0([xX])([0-9a-fA-F]+)|0([bB])([01]+)|0([oO])([0-7]+)|0([0-7]+)|([0-9]+))$/;
const GO_YAML_FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/**
 * go-yaml v2's resolve() for a plain scalar starting with a digit, a sign or a dot: a number when
 * Go's strconv reads it as one (underscores dropped first), else the string itself. Unlike the
 * YAML 1.1 schema of the `yaml` package, timestamps and base-60 numbers stay strings and `0o17` is
 * an integer.
 */
function goYamlNumber(src: string): number | string {
  const special = SPECIAL_FLOATS.get(src);
  if (special !== undefined) return special;
  if (src.startsWith('.')) {
    const f = /^\.[0-9]+([eE][-+]?[0-9]+)?$/.test(src) ? Number(src) : NaN;
    return Number.isFinite(f) ? f : src; // strconv.ParseFloat fails on overflow
  }
  const plain = src.replace(/_/g, '');
  const m = GO_INT.exec(plain);
  if (m) {
    const [, sign, , hex, , bin, , oct, oldOct, dec] = m;
    const digits = hex ? `0x${hex}` : bin ? `0b${bin}` : oct ? `0o${oct}` : oldOct ? `0o${oldOct}` : (dec ?? '0');
    // strconv.ParseInt(plain, 0, 64), then ParseUint for what exceeds int64 (unsigned only).
    if (dec === undefined || !/^0[0-9]/.test(dec)) {
      const v = BigInt(digits);
      if (sign === '-' ? v <= INT64_MAX + 1n : v <= INT64_MAX || (sign === '' && v <= UINT64_MAX)) {
        return Number(sign === '-' ? -v : v);
      }
    }
  }
  if (GO_YAML_FLOAT.test(plain)) {
    const f = Number(plain);
    if (Number.isFinite(f)) return f; // ParseFloat fails on overflow
  }
  return src;
}

const goYamlNumberTag: ScalarTag = {
  tag: 'tag:yaml.org,2002:float',
  default: true,
  test: /^[-+.0-9]/,
  resolve: goYamlNumber,
};

// Replaced by goYamlNumberTag; null, booleans, strings, collections and merge keys are YAML 1.1's.
const GO_RESOLVED = new Set(['tag:yaml.org,2002:int', 'tag:yaml.org,2002:float', 'tag:yaml.org,2002:timestamp']);
const goYamlTags = (tags: Tags): Tags => [
  ...tags.filter((t) => typeof t === 'string' || !GO_RESOLVED.has(t.tag)),
  goYamlNumberTag,
];

/** The policy document as the API server's decoder reads the text (before Go's struct decoding). */
export function parsePolicyText(text: string): unknown {
  if (LOOKS_LIKE_JSON.test(text)) return JSON.parse(text);
  return parse(text, { version: '1.1', customTags: goYamlTags, merge: true });
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** An object's null fields dropped (Go's JSON decoding leaves them unset), `fields` cleaned further. */
function withoutNulls(v: unknown, fields: Record<string, (x: unknown) => unknown> = {}): unknown {
  if (!isRecord(v)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    const clean = fields[k];
    if (x !== null) out[k] = clean ? clean(x) : x;
  }
  return out;
}

/** A list whose null elements become `zero` (Go's zero value: "" or an empty struct). */
const listOf =
  (zero: () => unknown, element: (x: unknown) => unknown = (x) => x) =>
  (v: unknown): unknown =>
    Array.isArray(v) ? v.map((x) => (x === null ? zero() : element(x))) : v;

const strings = listOf(() => '');
const groupResources = (v: unknown): unknown => withoutNulls(v, { resources: strings, resourceNames: strings });
const rule = (v: unknown): unknown =>
  withoutNulls(v, {
    users: strings,
    userGroups: strings,
    verbs: strings,
    namespaces: strings,
    nonResourceURLs: strings,
    omitStages: strings,
    resources: listOf(() => ({}), groupResources),
  });

/** What Go's JSON decoding into the Policy types makes of nulls in the document. */
function nullsAsGoDecodes(doc: unknown): unknown {
  return withoutNulls(doc, { rules: listOf(() => ({}), rule), omitStages: strings });
}

/** Reads an audit Policy from YAML or JSON as kube-apiserver does, and validates it. */
export function loadPolicyFile(path: string): AuditPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(AUDIT_POLICY_SETTING, `cannot read audit policy file ${path}: ${(err as Error).message}`);
  }

  let doc: unknown;
  try {
    doc = nullsAsGoDecodes(parsePolicyText(text));
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
