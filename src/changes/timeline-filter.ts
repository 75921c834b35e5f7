/**
 * Calico's Timeline semantics over stored audit documents, as pure functions: which documents
 * are changes, what a change is made of, and the user's filters.
 */

/** The verbs Calico's Timeline lists as changes. */
export const CHANGE_VERBS = ['create', 'update', 'patch', 'delete'] as const;
export type ChangeVerb = (typeof CHANGE_VERBS)[number];

/** An audit document as the stores hand it back (validated field by field where read). */
export type AuditDocument = Record<string, unknown>;

/** The user's filters: `resource` is a kind or a plural, optionally with its group (`networkpolicies.networking.k8s.io`). */
export interface ChangeFilter {
  resource?: string;
  namespace?: string;
  name?: string;
  user?: string;
  verbs?: readonly ChangeVerb[];
}

/** What `--resource` matches: lower-cased resource names (the plural forms a kind may take) and the group, if given. */
export interface ResourceMatch {
  names: string[];
  /** `''` for the core group (`pods.core` or `pods.`); undefined: any group. */
  group?: string;
}

/**
 * `NetworkPolicy`, `networkpolicy`, `networkpolicies`, each optionally `.group`. The audit
 * objectRef names the plural resource, never the kind; without a discovery client the kind's
 * plural is guessed by English rules (the API server's own default for CRDs), and the
 * responseObject's kind is matched too.
 */
export function parseResource(spec: string): ResourceMatch {
  const dot = spec.indexOf('.');
  const name = (dot < 0 ? spec : spec.slice(0, dot)).toLowerCase();
  const rawGroup = dot < 0 ? undefined : spec.slice(dot + 1).toLowerCase();
  const group = rawGroup === undefined ? undefined : rawGroup === 'core' ? '' : rawGroup;
  const names = new Set([name]);
  if (/(s|x|z|ch|sh)$/.test(name)) names.add(`${name}es`);
  else if (/[^aeiou]y$/.test(name)) names.add(`${name.slice(0, -1)}ies`);
  else names.add(`${name}s`);
  return { names: [...names], group };
}

/** One change, as the views show it. */
export interface Change {
  auditID: string;
  /** requestReceivedTimestamp (epoch ms): what the range and the timeline are by. */
  time: number;
  /** The same, as the store holds it. */
  timeText: string;
  verb: ChangeVerb;
  user: string;
  /** The user impersonated by `user`, when any. */
  impersonatedUser?: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
  code: number;
  requestURI: string;
  /** The object after the change (the responseObject); undefined for a delete, which leaves nothing. */
  after?: Record<string, unknown>;
  /** metadata.resourceVersion of the responseObject, when it has one. */
  resourceVersion?: string;
}

const obj = (v: unknown): Record<string, unknown> | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `dryRun` in the query of the request URI: nothing was changed. */
export function isDryRun(requestURI: string): boolean {
  const q = requestURI.indexOf('?');
  return q >= 0 && /(^|&)dryRun(=|&|$)/i.test(requestURI.slice(q + 1));
}

/**
 * The change a document records, or undefined when the Timeline would not list it: stage
 * ResponseComplete, level RequestResponse, a change verb, a 2xx answer, no dryRun.
 */
export function toChange(doc: AuditDocument): Change | undefined {
  if (doc.stage !== 'ResponseComplete' || doc.level !== 'RequestResponse') return undefined;
  const verb = str(doc.verb) as ChangeVerb | undefined;
  if (!verb || !CHANGE_VERBS.includes(verb)) return undefined;
  const code = Number(obj(doc.responseStatus)?.code);
  if (!(code >= 200 && code <= 299)) return undefined;
  const requestURI = str(doc.requestURI) ?? '';
  if (isDryRun(requestURI)) return undefined;
  const ref = obj(doc.objectRef) ?? {};
  const timeText = str(doc.requestReceivedTimestamp) ?? str(doc.stageTimestamp) ?? '';
  const response = obj(doc.responseObject);
  // A delete answers with a Status or the object being finalized: either way it is gone, or going.
  const after = verb === 'delete' || response?.kind === 'Status' ? undefined : response;
  const resourceVersion = str(obj(response?.metadata)?.resourceVersion);
  return {
    auditID: str(doc.auditID) ?? '',
    time: Date.parse(timeText),
    timeText,
    verb,
    user: str(obj(doc.user)?.username) ?? '',
    impersonatedUser: str(obj(doc.impersonatedUser)?.username),
    group: str(ref.apiGroup) ?? '',
    resource: str(ref.resource) ?? '',
    subresource: str(ref.subresource) || undefined,
    namespace: str(ref.namespace) || undefined,
    name: str(ref.name) || str(obj(response?.metadata)?.name) || undefined,
    code,
    requestURI,
    after,
    resourceVersion,
  };
}

/** Whether the change's object is one the filter names (resource, namespace, name). */
export function matchesObject(c: Change, f: ChangeFilter): boolean {
  if (f.namespace !== undefined && (c.namespace ?? '') !== f.namespace) return false;
  if (f.name !== undefined && c.name !== f.name) return false;
  if (f.resource !== undefined) {
    const r = parseResource(f.resource);
    if (r.group !== undefined && c.group.toLowerCase() !== r.group) return false;
    const kind = typeof c.after?.kind === 'string' ? c.after.kind.toLowerCase() : undefined;
    if (!r.names.includes(c.resource.toLowerCase()) && !(kind && r.names.includes(kind))) return false;
  }
  return true;
}

/** Whether the change is one the filter lists (its object, and who and how). */
export function matchesChange(c: Change, f: ChangeFilter): boolean {
  if (!matchesObject(c, f)) return false;
  if (f.user !== undefined && c.user !== f.user) return false;
  if (f.verbs && f.verbs.length > 0 && !f.verbs.includes(c.verb)) return false;
  return true;
}

/** `resource[/subresource]` with its group: how the views name what was changed. */
export function resourceLabel(c: Pick<Change, 'group' | 'resource' | 'subresource'>): string {
  return `${c.resource}${c.group ? `.${c.group}` : ''}${c.subresource ? `/${c.subresource}` : ''}`;
}

/** `namespace/name` or `name`. */
export function objectLabel(c: Pick<Change, 'namespace' | 'name'>): string {
  return c.namespace ? `${c.namespace}/${c.name ?? ''}` : (c.name ?? '');
}
