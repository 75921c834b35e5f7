import { z } from 'zod';
import { LEVELS, STAGES, type AuditEvent, type Level, type Stage } from './audit-event.js';

/*
 * Kubernetes audit Policy evaluation with kube-apiserver semantics
 * (k8s.io/apiserver/pkg/audit/policy/checker.go and apis/audit/validation/validation.go).
 * Pure functions: no I/O.
 */

// ---------------------------------------------------------------------------------------------
// Schema

const levelSchema = z.enum(LEVELS);
const stageSchema = z.enum(STAGES);
const stringList = z.array(z.string());

// validation.go checks non-core groups with NameIsDNSSubdomain: catches `rbac.authorization.k8s.io/v1`.
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const groupResourcesSchema = z
  .strictObject({
    group: z
      .string()
      .max(253)
      .refine((g) => g === '' || DNS_SUBDOMAIN.test(g), {
        message: 'must be "" (core) or a lower-case DNS subdomain such as networking.k8s.io, without a version',
      })
      .optional(),
    resources: stringList.optional(),
    resourceNames: stringList.optional(),
  })
  .superRefine((gr, ctx) => {
    if ((gr.resourceNames?.length ?? 0) > 0 && (gr.resources?.length ?? 0) === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['resourceNames'],
        message: 'using resourceNames requires at least one resource',
      });
    }
  });

const nonResourceURLSchema = z.string().superRefine((url, ctx) => {
  if (url === '*') return;
  if (!url.startsWith('/')) {
    ctx.addIssue({ code: 'custom', message: "non-resource URL rules must begin with a '/' character" });
  }
  if (url.slice(0, -1).includes('*')) {
    ctx.addIssue({ code: 'custom', message: "non-resource URL wildcards '*' must be the final character of the rule" });
  }
});

// Strict (unlike the apiserver's lenient decoder): a misspelt key such as `resource:` would
// otherwise silently widen a rule to every request.
const policyRuleSchema = z
  .strictObject({
    level: levelSchema,
    users: stringList.optional(),
    userGroups: stringList.optional(),
    verbs: stringList.optional(),
    resources: z.array(groupResourcesSchema).optional(),
    namespaces: stringList.optional(),
    nonResourceURLs: z.array(nonResourceURLSchema).optional(),
    omitStages: z.array(stageSchema).optional(),
    omitManagedFields: z.boolean().optional(),
  })
  .superRefine((rule, ctx) => {
    if (
      (rule.nonResourceURLs?.length ?? 0) > 0 &&
      ((rule.resources?.length ?? 0) > 0 || (rule.namespaces?.length ?? 0) > 0)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['nonResourceURLs'],
        message: 'rules cannot apply to both regular resources and non-resource URLs',
      });
    }
  });

export const auditPolicySchema = z.strictObject({
  apiVersion: z.enum(['audit.k8s.io/v1', 'audit.k8s.io/v1beta1']),
  kind: z.literal('Policy'),
  metadata: z.record(z.string(), z.unknown()).optional(),
  // reader.go: "loaded illegal policy with 0 rules"
  rules: z.array(policyRuleSchema).min(1, 'a policy needs at least one rule'),
  omitStages: z.array(stageSchema).optional(),
  omitManagedFields: z.boolean().optional(),
});

export type AuditPolicy = z.infer<typeof auditPolicySchema>;
export type AuditPolicyRule = AuditPolicy['rules'][number];

// ---------------------------------------------------------------------------------------------
// Default policy

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The sample policy of the Calico Enterprise / Calico Cloud "Kubernetes audit logs" page, verbatim
 * in content (the page uses v1beta1 and puts omitStages at policy level).
 */
export const DEFAULT_POLICY: AuditPolicy = deepFreeze({
  apiVersion: 'audit.k8s.io/v1beta1',
  kind: 'Policy',
  omitStages: ['RequestReceived'],
  rules: [
    {
      level: 'RequestResponse',
      verbs: ['create', 'patch', 'update', 'delete'],
      resources: [
        { group: 'networking.k8s.io', resources: ['networkpolicies'] },
        { group: 'extensions', resources: ['networkpolicies'] },
        { group: '', resources: ['pods', 'namespaces', 'serviceaccounts', 'endpoints'] },
      ],
    },
  ],
} satisfies AuditPolicy);

// ---------------------------------------------------------------------------------------------
// Compilation

export interface Evaluation {
  readonly level: Level;
  readonly omitStages: ReadonlySet<Stage>;
  readonly omitManagedFields: boolean;
  /** Index of the matching rule, -1 when none matched. */
  readonly ruleIndex: number;
}

interface CompiledGroupResources {
  readonly group: string;
  /** `resources` empty: any resource of the group; checker.go then ignores resourceNames. */
  readonly anyResource: boolean;
  readonly names: ReadonlySet<string> | null;
  /** `*` */
  readonly star: boolean;
  /** exact `pods` */
  readonly plain: ReadonlySet<string>;
  /** exact `pods/log`: resource → subresources */
  readonly withSub: ReadonlyMap<string, ReadonlySet<string>>;
  // `*/status` → status
  readonly anyResourceSub: ReadonlySet<string>;
  /** `pods/*` → pods (also matches pods without a subresource, see checker.go) */
  readonly anySubOf: ReadonlySet<string>;
}

/** Specs as UTF-8 bytes (see requestPathBytes): the API server compares bytes. */
interface CompiledURLs {
  readonly all: boolean;
  readonly exact: ReadonlySet<string>;
  readonly prefixes: readonly string[];
}

// Plain constants rather than a const enum: esbuild/isolated transpilers handle these the same.
const RuleKind = { Any: 0, Resource: 1, NonResource: 2 } as const;
type RuleKind = (typeof RuleKind)[keyof typeof RuleKind];

interface CompiledRule {
  readonly users: ReadonlySet<string> | null;
  readonly userGroups: ReadonlySet<string> | null;
  readonly verbs: ReadonlySet<string> | null;
  readonly kind: RuleKind;
  readonly namespaces: ReadonlySet<string> | null;
  /** null: rule has namespaces but no resources (matches any resource in them) */
  readonly groups: readonly CompiledGroupResources[] | null;
  /** Some group entry restricts resourceNames. */
  readonly needsName: boolean;
  readonly urls: CompiledURLs | null;
  readonly result: Evaluation;
}

export interface CompiledPolicy {
  readonly rules: readonly CompiledRule[];
  readonly noMatch: Evaluation;
}

const setOrNull = (list: readonly string[] | undefined): ReadonlySet<string> | null =>
  list !== undefined && list.length > 0 ? new Set(list) : null;

function compileGroup(gr: NonNullable<AuditPolicyRule['resources']>[number]): CompiledGroupResources {
  const resources = gr.resources ?? [];
  const plain = new Set<string>();
  const withSub = new Map<string, Set<string>>();
  const anyResourceSub = new Set<string>();
  const anySubOf = new Set<string>();
  let star = false;
  for (const res of resources) {
    // One entry may satisfy several of checker.go's tests; register it for each.
    if (res === '*') star = true;
    const slash = res.indexOf('/');
    if (slash < 0) {
      plain.add(res);
    } else {
      const r = res.slice(0, slash);
      let subs = withSub.get(r);
      if (subs === undefined) withSub.set(r, (subs = new Set()));
      subs.add(res.slice(slash + 1));
    }
    if (res.startsWith('*/')) anyResourceSub.add(res.slice(2));
    if (res.endsWith('/*')) anySubOf.add(res.slice(0, -2));
  }
  return {
    group: gr.group ?? '',
    anyResource: resources.length === 0,
    names: setOrNull(gr.resourceNames),
    star,
    plain,
    withSub,
    anyResourceSub,
    anySubOf,
  };
}

function compileURLs(urls: readonly string[]): CompiledURLs {
  const exact = new Set<string>();
  const prefixes: string[] = [];
  let all = false;
  for (const spec of urls) {
    if (spec === '*') all = true;
    exact.add(utf8Bytes(spec));
    // Go: strings.TrimRight(spec, "*") — strips every trailing '*'
    if (spec.endsWith('*')) prefixes.push(utf8Bytes(spec.replace(/\*+$/, '')));
  }
  return { all, exact, prefixes };
}

function unionStages(...lists: (readonly Stage[] | undefined)[]): ReadonlySet<Stage> {
  const s = new Set<Stage>();
  for (const l of lists) if (l) for (const st of l) s.add(st);
  return s;
}

/** Precomputes lookup sets and per-rule results once, so evaluation allocates nothing. */
export function compilePolicy(policy: AuditPolicy): CompiledPolicy {
  const policyOmitManaged = policy.omitManagedFields ?? false;
  const rules = policy.rules.map((rule, i): CompiledRule => {
    const hasResources = (rule.resources?.length ?? 0) > 0;
    const hasNamespaces = (rule.namespaces?.length ?? 0) > 0;
    const hasURLs = (rule.nonResourceURLs?.length ?? 0) > 0;
    // checker.go ruleMatches: namespaces/resources take precedence over nonResourceURLs.
    const kind = hasResources || hasNamespaces ? RuleKind.Resource : hasURLs ? RuleKind.NonResource : RuleKind.Any;
    const groups = hasResources ? rule.resources!.map(compileGroup) : null;
    return {
      users: setOrNull(rule.users),
      userGroups: setOrNull(rule.userGroups),
      verbs: setOrNull(rule.verbs),
      kind,
      namespaces: setOrNull(rule.namespaces),
      groups,
      needsName: groups?.some((g) => !g.anyResource && g.names !== null) ?? false,
      urls: kind === RuleKind.NonResource ? compileURLs(rule.nonResourceURLs!) : null,
      result: Object.freeze({
        level: rule.level,
        omitStages: unionStages(policy.omitStages, rule.omitStages),
        omitManagedFields: rule.omitManagedFields ?? policyOmitManaged,
        ruleIndex: i,
      }),
    };
  });
  return {
    rules,
    noMatch: Object.freeze({
      level: 'None',
      omitStages: unionStages(policy.omitStages),
      omitManagedFields: policyOmitManaged,
      ruleIndex: -1,
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// Evaluation

type ObjectRef = NonNullable<AuditEvent['objectRef']>;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/*
 * The request as the API server saw it when it evaluated the policy (filters.GetAuthorizerAttributes
 * from its RequestInfo and user), rebuilt from the logged event:
 * - a resource request is one with an objectRef (audit.LogRequestMetadata writes one for those
 *   only), even when its resource is empty (`/api/v1//pods`);
 * - the path is URL.Path: the logged requestURI before `?`, percent-escapes decoded;
 * - `user: {}` is a request without a user (failed authentication): it matches no users or
 *   userGroups rule;
 * - creates and updates log their body with audit.LogRequestObject after the evaluation, and that
 *   fills an empty objectRef namespace and name from the body: at evaluation time they were the
 *   path's (a create of a collection has no name).
 */

/** UTF-8 bytes of a string, one char per byte (a latin1 "binary" string). */
function utf8Bytes(s: string): string {
  return /^[\x00-\x7f]*$/.test(s) ? s : Buffer.from(s, 'utf8').toString('latin1');
}

const utf8Strict = new TextDecoder('utf-8', { fatal: true });

/** The string whose UTF-8 bytes these are; null when they are not UTF-8 (equal to no policy string). */
function fromUtf8Bytes(bytes: string): string | null {
  if (/^[\x00-\x7f]*$/.test(bytes)) return bytes;
  try {
    return utf8Strict.decode(Buffer.from(bytes, 'latin1'));
  } catch {
    return null;
  }
}

const HEX_PAIR = /^[0-9A-Fa-f]{2}$/;

/**
 * URL.Path of the request as net/http parsed the logged requestURI (url.ParseRequestURI): the part
 * before `?`, percent-escapes decoded (`/ver%73ion` is `/version`, `%2F` a slash). As bytes (see
 * utf8Bytes), since an escape such as `%ff` decodes to a byte that is not UTF-8. A requestURI
 * net/http refuses (a bad escape) is never logged; it is taken as it is.
 */
function requestPathBytes(requestURI: string): string {
  const q = requestURI.indexOf('?');
  const raw = utf8Bytes(q < 0 ? requestURI : requestURI.slice(0, q));
  if (!raw.includes('%')) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c !== '%') {
      out += c;
      continue;
    }
    const hex = raw.slice(i + 1, i + 3);
    if (!HEX_PAIR.test(hex)) return raw;
    out += String.fromCharCode(parseInt(hex, 16));
    i += 2;
  }
  return out;
}

const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/**
 * Namespace and name (as bytes) that the API server's RequestInfoFactory (endpoints/request/
 * requestinfo.go, API prefixes `api` and `apis`) parses from the path of a POST or PUT; null when
 * that is not a create or update of a resource.
 */
function pathNamespaceAndName(path: string): [string, string] | null {
  let start = 0;
  let end = path.length;
  while (start < end && path[start] === '/') start++;
  while (end > start && path[end - 1] === '/') end--;
  let parts = path.slice(start, end).split('/');
  if (start === end || parts.length < 3) return null;
  const prefix = parts[0];
  if (prefix !== 'api' && prefix !== 'apis') return null;
  parts = parts.slice(prefix === 'api' ? 1 : 2);
  if (prefix === 'apis' && parts.length < 2) return null; // no group and version
  parts = parts.slice(1); // the version
  if (parts[0] === 'watch' || parts[0] === 'proxy') return null; // the verb would be that
  let namespace = '';
  if (parts[0] === 'namespaces' && parts.length > 1) {
    namespace = parts[1]!;
    if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2]!)) parts = parts.slice(2);
  }
  return [namespace, parts.length >= 2 ? parts[1]! : ''];
}

/** Whether the request had a user: LogRequestMetadata writes these, all omitempty, only if so. */
function hasUser(user: AuditEvent['user']): boolean {
  const extra = (user as Record<string, unknown>)['extra'];
  return (
    (user.username ?? '') !== '' ||
    (user.groups?.length ?? 0) > 0 ||
    (user.uid ?? '') !== '' ||
    (isRecord(extra) && Object.keys(extra).length > 0)
  );
}

/** `namespace` and `name`: null when not UTF-8, matching no policy string. */
function matchesResource(rule: CompiledRule, ref: ObjectRef, namespace: string | null, name: string | null): boolean {
  if (rule.namespaces !== null && (namespace === null || !rule.namespaces.has(namespace))) return false;
  const groups = rule.groups;
  if (groups === null) return true;
  const apiGroup = ref.apiGroup ?? '';
  const resource = ref.resource ?? '';
  const sub = ref.subresource ?? '';
  for (let i = 0; i < groups.length; i++) {
    const g = groups[i]!;
    if (g.group !== apiGroup) continue;
    if (g.anyResource) return true;
    if (g.names !== null && (name === null || !g.names.has(name))) continue;
    if (g.star) return true;
    if (sub === '') {
      if (g.plain.has(resource)) return true;
    } else {
      if (g.withSub.get(resource)?.has(sub) === true) return true;
      if (g.anyResourceSub.has(sub)) return true;
    }
    if (g.anySubOf.has(resource)) return true;
  }
  return false;
}

function matchesPath(urls: CompiledURLs, path: string): boolean {
  if (urls.all || urls.exact.has(path)) return true;
  const prefixes = urls.prefixes;
  for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i]!)) return true;
  return false;
}

function hasAny(set: ReadonlySet<string>, values: readonly string[] | undefined): boolean {
  if (values === undefined) return false;
  for (let i = 0; i < values.length; i++) if (set.has(values[i]!)) return true;
  return false;
}

/**
 * First matching rule wins; no match gives level None. Matches on `event.user` (the authenticated
 * user): the apiserver evaluates its policy before impersonation is applied.
 * The returned object is shared and must not be modified.
 */
export function evaluate(compiled: CompiledPolicy, event: AuditEvent): Evaluation {
  const user = event.user;
  const ref = event.objectRef;
  // Computed when a rule first needs them.
  let userPresent: boolean | undefined;
  let path: string | undefined;
  let located = false;
  let namespace: string | null = null;
  let name: string | null = null;
  const rules = compiled.rules;
  for (let i = 0; i < rules.length; i++) {
    const r = rules[i]!;
    if (r.users !== null || r.userGroups !== null) {
      userPresent ??= hasUser(user);
      if (!userPresent) continue;
      if (r.users !== null && !r.users.has(user.username ?? '')) continue;
      if (r.userGroups !== null && !hasAny(r.userGroups, user.groups)) continue;
    }
    if (r.verbs !== null && !r.verbs.has(event.verb)) continue;
    if (r.kind === RuleKind.Resource) {
      if (ref === undefined) continue;
      if (!located && (r.namespaces !== null || r.needsName)) {
        located = true;
        namespace = ref.namespace ?? '';
        name = ref.name ?? '';
        if (event.verb === 'create' || event.verb === 'update') {
          const fromPath = pathNamespaceAndName((path ??= requestPathBytes(event.requestURI)));
          if (fromPath !== null) {
            namespace = fromUtf8Bytes(fromPath[0]);
            name = fromUtf8Bytes(fromPath[1]);
          }
        }
      }
      if (!matchesResource(r, ref, namespace, name)) continue;
    } else if (r.kind === RuleKind.NonResource) {
      if (ref !== undefined) continue;
      if (!matchesPath(r.urls!, (path ??= requestPathBytes(event.requestURI)))) continue;
    }
    return r.result;
  }
  return compiled.noMatch;
}

// ---------------------------------------------------------------------------------------------
// Application

const RANK: Readonly<Record<Level, number>> = { None: 0, Metadata: 1, Request: 2, RequestResponse: 3 };

/** Copy-on-write removal of metadata.managedFields; returns the input when there is none. */
function stripOwnManagedFields(obj: Record<string, unknown>): Record<string, unknown> {
  const meta = obj['metadata'];
  if (!isRecord(meta) || !('managedFields' in meta)) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

const TABLE_VERSIONS: ReadonlySet<unknown> = new Set(['meta.k8s.io/v1', 'meta.k8s.io/v1beta1']);

/**
 * audit.copyWithoutManagedFields: the object's own managedFields and each list item's, or, for a
 * meta.k8s.io Table, each row object's. Patches never come here (logged as sent).
 */
function withoutManagedFields(value: unknown): unknown {
  if (!isRecord(value)) return value;
  if (value['kind'] === 'Table' && TABLE_VERSIONS.has(value['apiVersion'])) return tableWithoutManagedFields(value);
  const items = value['items'];
  let copy: unknown[] | null = null;
  if (Array.isArray(items)) {
    // meta.EachListItem fails on an item that is not an object, and then the body is logged as
    // it came (a typed list's items always are objects).
    if (!items.every(isRecord)) return value;
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as Record<string, unknown>;
      const stripped = stripOwnManagedFields(item);
      if (stripped !== item) (copy ??= items.slice())[i] = stripped;
    }
  }
  const out = stripOwnManagedFields(value);
  return copy === null ? out : { ...out, items: copy };
}

/** A Table is no object with metadata of its own; its rows' objects are (handlers/response.go). */
function tableWithoutManagedFields(table: Record<string, unknown>): Record<string, unknown> {
  const rows = table['rows'];
  if (!Array.isArray(rows)) return table;
  let copy: unknown[] | null = null;
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    if (!isRecord(row) || !isRecord(row['object'])) continue;
    const stripped = stripOwnManagedFields(row['object']);
    if (stripped !== row['object']) (copy ??= rows.slice())[i] = { ...row, object: stripped };
  }
  return copy === null ? table : { ...table, rows: copy };
}

/**
 * What the event would be had the apiserver run with this policy: null when the policy drops it
 * (level None, or its stage omitted). The level is the lower of the policy's and the recorded one,
 * since a body EKS did not record cannot be restored. Never mutates the input.
 */
export function applyPolicy(compiled: CompiledPolicy, event: AuditEvent): AuditEvent | null {
  const ev = evaluate(compiled, event);
  if (ev.level === 'None' || ev.omitStages.has(event.stage)) return null;
  const level: Level = RANK[ev.level] < RANK[event.level] ? ev.level : event.level;
  if (level === 'None') return null;

  const rank = RANK[level];
  const dropRequest = rank < RANK.Request && 'requestObject' in event;
  const dropResponse = rank < RANK.RequestResponse && 'responseObject' in event;

  let out: AuditEvent;
  if (dropRequest || dropResponse) {
    // Rebuilt key by key rather than with `delete`, keeping key order and a fast object shape.
    const copy: Record<string, unknown> = {};
    for (const key in event) {
      if ((dropRequest && key === 'requestObject') || (dropResponse && key === 'responseObject')) continue;
      copy[key] = key === 'level' ? level : (event as Record<string, unknown>)[key];
    }
    out = copy as AuditEvent;
  } else {
    out = { ...event, level };
  }

  if (ev.omitManagedFields) {
    // A patch is logged as sent (handlers/patch.go, audit.LogRequestPatch); only objects are stripped.
    if (out.requestObject !== undefined && out.verb !== 'patch') out.requestObject = withoutManagedFields(out.requestObject);
    if (out.responseObject !== undefined) out.responseObject = withoutManagedFields(out.responseObject);
  }
  return out;
}
