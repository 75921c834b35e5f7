// Linseed's audit document model, emulated. Linseed decodes each bulk line with Go's
// encoding/json into its AuditLog type (the Kubernetes `audit.k8s.io/v1` Event inlined, plus
// `name`), sets `cluster` and `generated_time`, and indexes the struct re-encoded. So:
//   - fields outside the model (e.g. `timestamp`) disappear without a word;
//   - a field of the wrong JSON type fails the whole line (Go's UnmarshalTypeError);
//   - `requestReceivedTimestamp` / `stageTimestamp` are metav1.MicroTime: exactly six
//     fractional digits (`2006-01-02T15:04:05.000000Z07:00`) or the line fails, re-encoded in UTC;
//   - `level`, `auditID`, `stage`, `requestURI`, `verb`, `user`, both timestamps are always
//     written (zero values: "", {}, null), the rest are omitted when empty (`omitempty`);
//   - requestObject/responseObject (runtime.Unknown) pass through as raw JSON.
// This module does that decode-and-re-encode; it knows nothing of HTTP or Elasticsearch.
import { z } from 'zod';

const str = z.string().nullish();
// A null element of a Go []string decodes to "".
const strList = z.array(z.string().nullable()).nullish();
const int32 = z.number().int().min(-2_147_483_648).max(2_147_483_647).nullish();

const UserInfo = z.object({
  username: str,
  uid: str,
  groups: strList,
  extra: z.record(z.string(), strList).nullish(),
});

const ObjectReference = z.object({
  resource: str,
  namespace: str,
  name: str,
  uid: str,
  apiGroup: str,
  apiVersion: str,
  resourceVersion: str,
  subresource: str,
});

const Status = z.object({
  kind: str,
  apiVersion: str,
  metadata: z.object({ selfLink: str, resourceVersion: str, continue: str, remainingItemCount: z.number().int().nullish() }).nullish(),
  status: str,
  message: str,
  reason: str,
  details: z
    .object({
      name: str,
      group: str,
      kind: str,
      uid: str,
      causes: z.array(z.object({ reason: str, message: str, field: str }).nullable()).nullish(),
      retryAfterSeconds: int32,
    })
    .nullish(),
  code: int32,
});

/** metav1.MicroTime's wire format, the only one it parses. */
const MICRO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})(Z|([+-])(\d{2}):(\d{2}))$/;
const MicroTime = z.union([z.null(), z.string().refine((s) => microTimeToUtc(s) !== undefined, 'cannot parse as RFC3339Micro (2006-01-02T15:04:05.000000Z07:00)')]).optional();

/** `s` re-encoded the way MicroTime.MarshalJSON does (UTC, six digits); undefined when Go's time.Parse would refuse it. */
export function microTimeToUtc(s: string): string | undefined {
  const m = MICRO_TIME.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  const base = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  base.setUTCFullYear(y); // Date.UTC maps years 0-99 to 19xx
  // Go checks ranges (no 30 February, no hour 24); a rolled-over date means out of range.
  if (base.getUTCMonth() !== mo - 1 || base.getUTCDate() !== d || base.getUTCHours() !== h || base.getUTCMinutes() !== mi || se > 59) return undefined;
  const offsetMin = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  if (Number(m[10] ?? 0) > 23 || Number(m[11] ?? 0) > 59) return undefined;
  const utc = new Date(base.getTime() - offsetMin * 60_000);
  const iso = utc.toISOString(); // yyyy-mm-ddThh:mm:ss.sssZ for years 0-9999
  if (!/^\d{4}-/.test(iso)) return undefined;
  return `${iso.slice(0, 19)}.${m[7]}Z`;
}

/** What one bulk line must decode as (Go's json.Unmarshal into AuditLog, as a schema). */
export const AuditLogLine = z.object({
  kind: str,
  apiVersion: str,
  level: str,
  auditID: str,
  stage: str,
  requestURI: str,
  verb: str,
  user: UserInfo.nullish(),
  impersonatedUser: UserInfo.nullish(),
  sourceIPs: strList,
  userAgent: str,
  objectRef: ObjectReference.nullish(),
  responseStatus: Status.nullish(),
  // runtime.Unknown keeps any JSON value as raw bytes; JSON null leaves the pointer nil.
  requestObject: z.unknown().optional(),
  responseObject: z.unknown().optional(),
  requestReceivedTimestamp: MicroTime,
  stageTimestamp: MicroTime,
  annotations: z.record(z.string(), z.string().nullable()).nullish(),
  name: str,
});
export type AuditLogLine = z.infer<typeof AuditLogLine>;

/** The model's top-level fields, for documentation and tests: everything else is dropped. */
export const MODEL_FIELDS = Object.keys(AuditLogLine.shape);

type Json = Record<string, unknown>;

/** Go's `omitempty` on a string, number, list or map: leave out "", 0, null and empty ones. */
function put(out: Json, key: string, value: unknown): void {
  if (value === undefined || value === null || value === '' || value === 0) return;
  if (Array.isArray(value) && value.length === 0) return;
  out[key] = value;
}

const strOut = (v: string | null | undefined): string => v ?? '';
const listOut = (v: (string | null)[] | null | undefined): string[] | undefined => v?.map((s) => s ?? '');

function userOut(u: z.infer<typeof UserInfo> | null | undefined): Json {
  const o: Json = {};
  if (!u) return o;
  put(o, 'username', u.username);
  put(o, 'uid', u.uid);
  put(o, 'groups', listOut(u.groups));
  if (u.extra && Object.keys(u.extra).length) o.extra = Object.fromEntries(Object.entries(u.extra).map(([k, v]) => [k, listOut(v) ?? null]));
  return o;
}

function objectRefOut(r: z.infer<typeof ObjectReference>): Json {
  const o: Json = {};
  for (const k of ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource'] as const) put(o, k, r[k]);
  return o;
}

function statusOut(s: z.infer<typeof Status>): Json {
  const o: Json = {};
  put(o, 'kind', s.kind);
  put(o, 'apiVersion', s.apiVersion);
  const meta: Json = {};
  if (s.metadata) {
    for (const k of ['selfLink', 'resourceVersion', 'continue'] as const) put(meta, k, s.metadata[k]);
    if (s.metadata.remainingItemCount != null) meta.remainingItemCount = s.metadata.remainingItemCount;
  }
  o.metadata = meta; // ListMeta is a struct: omitempty never drops it
  put(o, 'status', s.status);
  put(o, 'message', s.message);
  put(o, 'reason', s.reason);
  if (s.details) {
    const d: Json = {};
    for (const k of ['name', 'group', 'kind', 'uid'] as const) put(d, k, s.details[k]);
    const causes = s.details.causes?.map((c) => {
      const co: Json = {};
      if (c) for (const k of ['reason', 'message', 'field'] as const) put(co, k, c[k]);
      return co;
    });
    put(d, 'causes', causes);
    put(d, 'retryAfterSeconds', s.details.retryAfterSeconds);
    o.details = d;
  }
  put(o, 'code', s.code);
  return o;
}

const timeOut = (v: string | null | undefined): string | null => (v ? microTimeToUtc(v)! : null);

/** The document Linseed would index for a decoded line, before `cluster`/`generated_time` are added. */
export function encodeAuditLog(e: AuditLogLine): Json {
  const o: Json = {};
  put(o, 'kind', e.kind);
  put(o, 'apiVersion', e.apiVersion);
  o.level = strOut(e.level);
  o.auditID = strOut(e.auditID);
  o.stage = strOut(e.stage);
  o.requestURI = strOut(e.requestURI);
  o.verb = strOut(e.verb);
  o.user = userOut(e.user);
  if (e.impersonatedUser) o.impersonatedUser = userOut(e.impersonatedUser);
  put(o, 'sourceIPs', listOut(e.sourceIPs));
  put(o, 'userAgent', e.userAgent);
  if (e.objectRef) o.objectRef = objectRefOut(e.objectRef);
  if (e.responseStatus) o.responseStatus = statusOut(e.responseStatus);
  if (e.requestObject != null) o.requestObject = e.requestObject;
  if (e.responseObject != null) o.responseObject = e.responseObject;
  o.requestReceivedTimestamp = timeOut(e.requestReceivedTimestamp);
  o.stageTimestamp = timeOut(e.stageTimestamp);
  if (e.annotations && Object.keys(e.annotations).length) o.annotations = Object.fromEntries(Object.entries(e.annotations).map(([k, v]) => [k, v ?? '']));
  put(o, 'name', e.name);
  return o;
}

export type DecodedLine = { ok: true; doc: Json } | { ok: false; reason: string };

/** One NDJSON line as Linseed takes it: JSON, an object, of the model's types. */
export function decodeLine(line: string): DecodedLine {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    return { ok: false, reason: `invalid JSON: ${(e as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, reason: 'a line must be a JSON object' };
  const parsed = AuditLogLine.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `cannot decode field ${issue?.path.join('.') || '?'}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, doc: encodeAuditLog(parsed.data) };
}
