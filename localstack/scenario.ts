/**
 * Deterministic generator of EKS control-plane log traffic, as it lands in CloudWatch Logs.
 *
 * Pure: no I/O, no clock, no Math.random. The same options give a byte-identical scenario, so the
 * demo, the integration tests and the benchmark can all regenerate the exact data they seeded.
 *
 * Audit events are kube-apiserver `audit.k8s.io/v1` Events serialized in the apiserver's field
 * order. Shapes the corpus has (pod creates, secret/configmap metadata events, discovery, watches,
 * exec/attach, impersonation, 404/403/409) are re-stamped from corpus events (templates below);
 * shapes it lacks (network policies, Calico resources, endpoints, namespaces, service accounts,
 * EKS users, kubelet status patches, non-resource URLs, dryRun, ...) are synthesized.
 * Levels follow an EKS-like policy (GCE-derived): mutations on known APIs at RequestResponse,
 * reads at Request, secrets/configmaps/tokenreviews and unknown groups at Metadata.
 */
import { TRUNCATION_MARKER } from '../src/transform/audit-event.js';

export interface ScenarioOptions {
  cluster: string;
  seed: number;
  /** Exact number of events in the audit streams (truncated ones included). */
  events: number;
  startMs: number;
  spanMs: number;
  /** Number of `kube-apiserver-audit-*` streams (one per API server). Default 2. */
  auditStreams?: number;
  /** Emit the other EKS component streams (about 8% extra lines). Default true. */
  otherStreams?: boolean;
  /** Share of audit requests that are mutations on Calico-relevant resources. Default 0.15. */
  mutationShare?: number;
  /** Number of oversized audit events emitted cut off with `[Truncated...]`. Default 0. */
  truncated?: number;
  /** Typical JSON size of requestObject/responseObject of synthesized mutations. Default 2048. */
  payloadBytes?: number;
}

export interface ScenarioEvent {
  timestamp: number;
  message: string;
}

export interface ScenarioStream {
  name: string;
  audit: boolean;
  /** Sorted by timestamp (PutLogEvents requires it). */
  events: ScenarioEvent[];
}

export interface Scenario {
  logGroupName: string;
  streams: ScenarioStream[];
}

export interface ScenarioAuditEvent {
  stream: string;
  timestamp: number;
  message: string;
}

export const AUDIT_STREAM_PREFIX = 'kube-apiserver-audit-';
/** CloudWatch Logs: max event size, counting the message's UTF-8 bytes plus a fixed overhead. */
export const CW_MAX_EVENT_BYTES = 262_144;
export const CW_EVENT_OVERHEAD_BYTES = 26;
/** Top-level field order of audit.k8s.io/v1 Event as kube-apiserver serializes it. */
export const AUDIT_EVENT_KEY_ORDER = [
  'kind',
  'apiVersion',
  'level',
  'auditID',
  'stage',
  'requestURI',
  'verb',
  'user',
  'impersonatedUser',
  'sourceIPs',
  'userAgent',
  'objectRef',
  'responseStatus',
  'requestObject',
  'responseObject',
  'requestReceivedTimestamp',
  'stageTimestamp',
  'annotations',
] as const;

/** The audit events of a scenario (audit streams only), in timestamp order. */
export function auditEvents(scenario: Scenario): ScenarioAuditEvent[] {
  const out: ScenarioAuditEvent[] = [];
  for (const s of scenario.streams) {
    if (!s.audit) continue;
    for (const e of s.events) out.push({ stream: s.name, timestamp: e.timestamp, message: e.message });
  }
  // Array.prototype.sort is stable: per-stream order survives for equal timestamps.
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

export function generateScenario(opts: ScenarioOptions): Scenario {
  const o = normalize(opts);
  const gen = new Gen(o, 2);
  const auditNames = Array.from({ length: o.auditStreams }, () => AUDIT_STREAM_PREFIX + gen.id.hex(32));
  const pending: Pending[][] = auditNames.map(() => []);

  let seq = 0;
  const push = (stream: number, us: number, message: string): void => {
    pending[stream]!.push({ us, seq: seq++, message });
  };

  let remaining = o.events - o.truncated;
  while (remaining > 0) {
    const t = gen.timeUs();
    const req = gen.rng.next() < o.mutationShare ? gen.calicoMutation(t) : gen.background(t);
    const stream = gen.rng.int(o.auditStreams);
    for (const [us, ev] of gen.stages(req, remaining)) {
      push(stream, us, ev);
      remaining--;
    }
  }

  const trunc = new Gen(o, 3);
  for (let i = 0; i < o.truncated; i++) {
    const req = trunc.oversized(trunc.timeUs(), i);
    const [us, ev] = trunc.stages(req, 1)[0]!;
    push(trunc.rng.int(o.auditStreams), us, truncateLikeEks(ev));
  }

  const streams: ScenarioStream[] = auditNames.map((name, i) => ({
    name,
    audit: true,
    events: finish(pending[i]!),
  }));
  if (o.otherStreams) streams.push(...otherStreams(o, auditNames.length));
  return { logGroupName: `/aws/eks/${o.cluster}/cluster`, streams };
}

/** What EKS does with an event over CloudWatch's limit: keep the head, append the marker. */
export function truncateLikeEks(json: string): string {
  const limit = CW_MAX_EVENT_BYTES - CW_EVENT_OVERHEAD_BYTES - Buffer.byteLength(TRUNCATION_MARKER);
  const buf = Buffer.from(json, 'utf8');
  if (buf.length <= limit) throw new Error(`event of ${buf.length} bytes does not need truncation`);
  let end = limit;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // never split a UTF-8 sequence
  return buf.subarray(0, end).toString('utf8') + TRUNCATION_MARKER;
}

// ---------------------------------------------------------------------------------------------
// Options, randomness, time

type Opts = Required<ScenarioOptions>;

function normalize(opts: ScenarioOptions): Opts {
  const o: Opts = {
    auditStreams: 2,
    otherStreams: true,
    mutationShare: 0.15,
    truncated: 0,
    payloadBytes: 2048,
    ...opts,
  };
  const int = (v: number, min: number, what: string): void => {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${what} must be an integer >= ${min}, got ${v}`);
  };
  if (!/^[0-9A-Za-z][0-9A-Za-z_-]*$/.test(o.cluster)) throw new RangeError(`bad cluster name: ${o.cluster}`);
  int(o.events, 0, 'events');
  int(o.startMs, 0, 'startMs');
  int(o.spanMs, 1, 'spanMs');
  int(o.auditStreams, 1, 'auditStreams');
  int(o.truncated, 0, 'truncated');
  int(o.payloadBytes, 64, 'payloadBytes');
  if (o.truncated > o.events) throw new RangeError('truncated cannot exceed events');
  if (!(o.mutationShare >= 0 && o.mutationShare <= 1)) throw new RangeError('mutationShare must be in [0, 1]');
  if (!Number.isFinite(o.seed)) throw new RangeError('seed must be a finite number');
  return o;
}

function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

const HEX2 = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const K8S_ALNUM = 'bcdfghjklmnpqrstvwxz2456789'; // apimachinery's generateName alphabet
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** sfc32: small, fast, good enough for test data, and identical on every platform. */
class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, salt: number) {
    const whole = Math.trunc(seed);
    const lo = whole >>> 0;
    const hi = Math.floor(whole / 4294967296) >>> 0;
    const sm = splitmix32(lo ^ Math.imul(hi, 0x27d4eb2d) ^ Math.imul(salt + 1, 0x165667b1));
    this.a = sm();
    this.b = sm();
    this.c = sm();
    this.d = sm();
    for (let i = 0; i < 12; i++) this.u32();
  }

  u32(): number {
    const t = (((this.a + this.b) >>> 0) + this.d) >>> 0;
    this.d = (this.d + 1) >>> 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) >>> 0;
    this.c = (((this.c << 21) | (this.c >>> 11)) + t) >>> 0;
    return t;
  }

  next(): number {
    return this.u32() / 4294967296;
  }

  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(arr: readonly T[]): T {
    return arr[this.int(arr.length)]!;
  }

  hex(n: number): string {
    let s = '';
    while (s.length < n) {
      const x = this.u32();
      s += HEX2[x & 255]! + HEX2[(x >>> 8) & 255]! + HEX2[(x >>> 16) & 255]! + HEX2[x >>> 24]!;
    }
    return s.length === n ? s : s.slice(0, n);
  }

  chars(alphabet: string, n: number): string {
    let s = '';
    for (let i = 0; i < n; i++) s += alphabet[this.int(alphabet.length)];
    return s;
  }

  uuid(): string {
    const h = this.hex(32);
    const v = '89ab'[this.u32() & 3];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${v}${h.slice(17, 20)}-${h.slice(20)}`;
  }
}

type Weighted<T> = readonly (readonly [number, T])[];

/** A weighted choice, with the cumulative weights computed once. */
class Table<T> {
  private readonly cum: number[] = [];
  private readonly values: T[] = [];
  constructor(entries: Weighted<T>) {
    let total = 0;
    for (const [w, v] of entries) {
      total += w;
      this.cum.push(total);
      this.values.push(v);
    }
  }
  pick(rng: Rng): T {
    const x = rng.next() * this.cum[this.cum.length - 1]!;
    let i = 0;
    while (i < this.cum.length - 1 && x >= this.cum[i]!) i++;
    return this.values[i]!;
  }
}

function weighted<T>(rng: Rng, entries: Weighted<T>): T {
  return new Table(entries).pick(rng);
}

function fnv1a(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

// Formatting dates dominated generation time; seconds repeat a lot, so memoize them.
const secondCache = new Map<number, string>();
function secondPrefix(sec: number): string {
  let s = secondCache.get(sec);
  if (s === undefined) {
    if (secondCache.size > 100_000) secondCache.clear();
    s = new Date(sec * 1000).toISOString().slice(0, 19);
    secondCache.set(sec, s);
  }
  return s;
}

/** RFC3339 with microseconds, like metav1.MicroTime. */
function isoMicro(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  return `${secondPrefix(sec)}.${String(us - sec * 1_000_000).padStart(6, '0')}Z`;
}

function isoSec(ms: number): string {
  return `${secondPrefix(Math.floor(ms / 1000))}Z`;
}

/** Go's encoding/json escapes these (kube-apiserver writes `\u0026` in request URIs). */
function goJsonString(s: string): string {
  const j = JSON.stringify(s);
  return s.includes('&') || s.includes('<') || s.includes('>')
    ? j.replace(/[&<>]/g, (c) => (c === '&' ? '\\u0026' : c === '<' ? '\\u003c' : '\\u003e'))
    : j;
}

const jsonCache = new WeakMap<object, string>();
/** JSON of an object shared by many events (users, authorization annotations). */
function sharedJson(o: object): string {
  let s = jsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    jsonCache.set(o, s);
  }
  return s;
}

interface Pending {
  us: number;
  seq: number;
  message: string;
}

function finish(p: Pending[]): ScenarioEvent[] {
  p.sort((a, b) => a.us - b.us || a.seq - b.seq);
  return p.map((e) => ({ timestamp: Math.floor(e.us / 1000), message: e.message }));
}

// ---------------------------------------------------------------------------------------------
// Corpus templates: exact lines of /work/shared/corpus/audit-events.jsonl (line numbers noted),
// from falcosecurity/falco, sysdiglabs/aks-audit-log, liggitt/audit2rbac and
// afcollins/kube-audit-log-tool, all Apache-2.0 (see the corpus SOURCES.md). They are normalized
// to v1 (v1beta1-only fields dropped, keys in apiserver order) and re-stamped on use.

const CORPUS = {
  podCreateFlex: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"68be6685-eca7-462a-ab53-ae65960ba638","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"system:serviceaccount:kube-system:replicaset-controller","uid":"bf8cf9ba-944c-11e9-a1a5-080027cac2d9","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"sourceIPs":["127.0.0.1"],"userAgent":"kube-controller-manager/v1.13.2 (linux/amd64) kubernetes/cff46ab/system:serviceaccount:kube-system:replicaset-controller","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"nginx-deployment-5575fc4cfd-","creationTimestamp":null,"labels":{"app":"nginx","pod-template-hash":"5575fc4cfd"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"nginx-deployment-5575fc4cfd","uid":"bbdbd8fe-9459-11e9-9dc6-080027cac2d9","controller":true,"blockOwnerDeletion":true}]},"spec":{"volumes":[{"name":"dummy-tmp","flexVolume":{"driver":"dummy/dummy"}}],"containers":[{"name":"nginx1","image":"nginx","resources":{},"volumeMounts":[{"name":"dummy-tmp","mountPath":"/dummy/tmp"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true},"status":{}},"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"nginx-deployment-5575fc4cfd-95vmv","generateName":"nginx-deployment-5575fc4cfd-","namespace":"default","selfLink":"/api/v1/namespaces/default/pods/nginx-deployment-5575fc4cfd-95vmv","uid":"bbde0eec-9459-11e9-9dc6-080027cac2d9","resourceVersion":"7185","creationTimestamp":"2019-06-21T19:21:13Z","labels":{"app":"nginx","pod-template-hash":"5575fc4cfd"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"nginx-deployment-5575fc4cfd","uid":"bbdbd8fe-9459-11e9-9dc6-080027cac2d9","controller":true,"blockOwnerDeletion":true}]},"spec":{"volumes":[{"name":"dummy-tmp","flexVolume":{"driver":"dummy/dummy"}},{"name":"default-token-fxt67","secret":{"secretName":"default-token-fxt67","defaultMode":420}}],"containers":[{"name":"nginx1","image":"nginx","resources":{},"volumeMounts":[{"name":"dummy-tmp","mountPath":"/dummy/tmp"},{"name":"default-token-fxt67","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true},"status":{"phase":"Pending","qosClass":"BestEffort"}},"requestReceivedTimestamp":"2019-06-21T19:21:13.637829Z","stageTimestamp":"2019-06-21T19:21:13.648070Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:controller:replicaset-controller\" of ClusterRole \"system:controller:replicaset-controller\" to ServiceAccount \"replicaset-controller/kube-system\""}}`, // L46
  podCreatePorts: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"ff8f799f-6d31-43e8-a55c-95497daca0f2","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"system:serviceaccount:kube-system:replicaset-controller","uid":"bf8cf9ba-944c-11e9-a1a5-080027cac2d9","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"sourceIPs":["127.0.0.1"],"userAgent":"kube-controller-manager/v1.13.2 (linux/amd64) kubernetes/cff46ab/system:serviceaccount:kube-system:replicaset-controller","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"nginx-deployment-84ffbbb976-","creationTimestamp":null,"labels":{"app":"nginx","pod-template-hash":"84ffbbb976"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"nginx-deployment-84ffbbb976","uid":"8742e6a8-944f-11e9-993f-080027cac2d9","controller":true,"blockOwnerDeletion":true}]},"spec":{"containers":[{"name":"nginx1","image":"nginx","ports":[{"hostPort":1234,"containerPort":1234,"protocol":"TCP"}],"resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","hostNetwork":true,"securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true},"status":{}},"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"nginx-deployment-84ffbbb976-5tnlg","generateName":"nginx-deployment-84ffbbb976-","namespace":"default","selfLink":"/api/v1/namespaces/default/pods/nginx-deployment-84ffbbb976-5tnlg","uid":"87447a8c-944f-11e9-993f-080027cac2d9","resourceVersion":"1841","creationTimestamp":"2019-06-21T18:08:10Z","labels":{"app":"nginx","pod-template-hash":"84ffbbb976"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"nginx-deployment-84ffbbb976","uid":"8742e6a8-944f-11e9-993f-080027cac2d9","controller":true,"blockOwnerDeletion":true}]},"spec":{"volumes":[{"name":"default-token-fxt67","secret":{"secretName":"default-token-fxt67","defaultMode":420}}],"containers":[{"name":"nginx1","image":"nginx","ports":[{"hostPort":1234,"containerPort":1234,"protocol":"TCP"}],"resources":{},"volumeMounts":[{"name":"default-token-fxt67","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always"}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","hostNetwork":true,"securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true},"status":{"phase":"Pending","qosClass":"BestEffort"}},"requestReceivedTimestamp":"2019-06-21T18:08:10.423301Z","stageTimestamp":"2019-06-21T18:08:10.432566Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:controller:replicaset-controller\" of ClusterRole \"system:controller:replicaset-controller\" to ServiceAccount \"replicaset-controller/kube-system\""}}`, // L50
  podCreateRoFs: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"RequestResponse","auditID":"cbcb4206-450e-492c-a44c-26ba811965ca","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"create","user":{"username":"system:serviceaccount:kube-system:replicaset-controller","uid":"bf8cf9ba-944c-11e9-a1a5-080027cac2d9","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"sourceIPs":["127.0.0.1"],"userAgent":"kube-controller-manager/v1.13.2 (linux/amd64) kubernetes/cff46ab/system:serviceaccount:kube-system:replicaset-controller","objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestObject":{"kind":"Pod","apiVersion":"v1","metadata":{"generateName":"nginx-deployment-8f966b568-","creationTimestamp":null,"labels":{"app":"nginx","pod-template-hash":"8f966b568"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"nginx-deployment-8f966b568","uid":"30325696-9477-11e9-9dc6-080027cac2d9","controller":true,"blockOwnerDeletion":true}]},"spec":{"containers":[{"name":"nginx1","image":"nginx","resources":{},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always","securityContext":{"readOnlyRootFilesystem":true,"procMount":"Default"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","securityContext":{},"schedulerName":"default-scheduler","enableServiceLinks":true},"status":{}},"responseObject":{"kind":"Pod","apiVersion":"v1","metadata":{"name":"nginx-deployment-8f966b568-ph7gk","generateName":"nginx-deployment-8f966b568-","namespace":"default","selfLink":"/api/v1/namespaces/default/pods/nginx-deployment-8f966b568-ph7gk","uid":"30371f6c-9477-11e9-9dc6-080027cac2d9","resourceVersion":"18855","creationTimestamp":"2019-06-21T22:52:04Z","labels":{"app":"nginx","pod-template-hash":"8f966b568"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"nginx-deployment-8f966b568","uid":"30325696-9477-11e9-9dc6-080027cac2d9","controller":true,"blockOwnerDeletion":true}]},"spec":{"volumes":[{"name":"default-token-fxt67","secret":{"secretName":"default-token-fxt67","defaultMode":420}}],"containers":[{"name":"nginx1","image":"nginx","resources":{},"volumeMounts":[{"name":"default-token-fxt67","readOnly":true,"mountPath":"/var/run/secrets/kubernetes.io/serviceaccount"}],"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"Always","securityContext":{"readOnlyRootFilesystem":true,"procMount":"Default"}}],"restartPolicy":"Always","terminationGracePeriodSeconds":30,"dnsPolicy":"ClusterFirst","serviceAccountName":"default","serviceAccount":"default","securityContext":{},"schedulerName":"default-scheduler","tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300},{"key":"node.kubernetes.io/unreachable","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}],"priority":0,"enableServiceLinks":true},"status":{"phase":"Pending","qosClass":"BestEffort"}},"requestReceivedTimestamp":"2019-06-21T22:52:04.226660Z","stageTimestamp":"2019-06-21T22:52:04.248318Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:controller:replicaset-controller\" of ClusterRole \"system:controller:replicaset-controller\" to ServiceAccount \"replicaset-controller/kube-system\""}}`, // L57
  secretCreate: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"55a81824-ab56-46c5-8b02-96336f5e78d7","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets","verb":"create","user":{"username":"minikube-user","groups":["system:masters","system:authenticated"]},"sourceIPs":["192.168.64.1"],"userAgent":"kubectl/v1.17.3 (darwin/amd64) kubernetes/06ad960","objectRef":{"resource":"secrets","namespace":"default","name":"example-secret","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":201},"requestReceivedTimestamp":"2020-04-21T17:57:05.541358Z","stageTimestamp":"2020-04-21T17:57:05.548299Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`, // L65
  secretDelete: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"d1df3fa9-497f-49cf-bd48-60a651df8075","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/secrets/example-secret","verb":"delete","user":{"username":"minikube-user","groups":["system:masters","system:authenticated"]},"sourceIPs":["192.168.64.1"],"userAgent":"kubectl/v1.17.3 (darwin/amd64) kubernetes/06ad960","objectRef":{"resource":"secrets","namespace":"default","name":"example-secret","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Success","code":200},"requestReceivedTimestamp":"2020-04-21T17:58:49.691845Z","stageTimestamp":"2020-04-21T17:58:49.696309Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`, // L67
  discoveryGroup: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"4e2a4193-cb3d-4ff7-bf37-32c392fbc23b","stage":"ResponseComplete","requestURI":"/apis/autoscaling/v2beta1?timeout=32s","verb":"get","user":{"username":"system:serviceaccount:kube-system:generic-garbage-collector","uid":"30a24f15-2281-4f36-9ecf-83ee9bed45c7","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"sourceIPs":["172.31.9.19"],"userAgent":"hyperkube/v1.15.10 (linux/amd64) kubernetes/059c666/system:serviceaccount:kube-system:generic-garbage-collector","responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2020-05-08T22:44:17.862201Z","stageTimestamp":"2020-05-08T22:44:17.862312Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to Group \"system:authenticated\""}}`, // L825
  discoveryCore: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"b71eacd3-1a6b-413e-ad54-83e2d53e4f91","stage":"ResponseComplete","requestURI":"/api/v1?timeout=32s","verb":"get","user":{"username":"system:serviceaccount:kube-system:resourcequota-controller","uid":"00165e56-1707-4469-a781-498909beaf39","groups":["system:serviceaccounts","system:serviceaccounts:kube-system","system:authenticated"]},"sourceIPs":["172.31.9.19"],"userAgent":"hyperkube/v1.15.10 (linux/amd64) kubernetes/059c666/system:serviceaccount:kube-system:resourcequota-controller","responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2020-05-07T07:39:03.050399Z","stageTimestamp":"2020-05-07T07:39:03.050848Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system: discovery\" of ClusterRole \"system: discovery\" to Group \"system: authenticated\""}}`, // L849
  configmapConflict: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"c8a9b881-23a1-464b-8c82-dae1981b34c1","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/configmaps","verb":"create","user":{"username":"aksService","groups":["system:masters","system:authenticated"]},"sourceIPs":["172.31.9.219"],"userAgent":"kubectl/v1.13.2 (linux/amd64) kubernetes/cff46ab","objectRef":{"resource":"configmaps","namespace":"kube-system","name":"coredns-custom","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","reason":"AlreadyExists","code":409},"requestReceivedTimestamp":"2020-05-05T16:16:37.699072Z","stageTimestamp":"2020-05-05T16:16:37.705304Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`, // L829
  watchConfigmap: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"3a1ffe7b-88a5-4046-a864-d3f5d912c8c8","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/configmaps?fieldSelector=metadata.name%3Dcontainer-azm-ms-agentconfig\u0026resourceVersion=750\u0026timeout=5m9s\u0026timeoutSeconds=309\u0026watch=true","verb":"watch","user":{"username":"nodeclient","groups":["system:nodes","system:authenticated"]},"sourceIPs":["52.141.212.165"],"userAgent":"kubelet/v1.15.10 (linux/amd64) kubernetes/059c666","objectRef":{"resource":"configmaps","namespace":"kube-system","name":"container-azm-ms-agentconfig","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2020-05-05T16:11:29.102666Z","stageTimestamp":"2020-05-05T16:16:38.103267Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:aks-client-nodes\" of ClusterRole \"system:node\" to Group \"system:nodes\""}}`, // L837
  watchNode: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"a3910698-fb1b-460d-a021-a6f28ac6e8ea","stage":"ResponseComplete","requestURI":"/api/v1/nodes?fieldSelector=metadata.name%3Daks-agentpool-35488936-vmss000001\u0026resourceVersion=43936\u0026watch=true","verb":"watch","user":{"username":"nodeclient","groups":["system:nodes","system:authenticated"]},"sourceIPs":["52.141.212.165"],"userAgent":"kubelet/v1.15.10 (linux/amd64) kubernetes/059c666","objectRef":{"resource":"nodes","name":"aks-agentpool-35488936-vmss000001","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2020-05-05T15:45:26.352397Z","stageTimestamp":"2020-05-05T16:16:38.201916Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":"RBAC: allowed by ClusterRoleBinding \"system:aks-client-nodes\" of ClusterRole \"system:node\" to Group \"system:nodes\""}}`, // L839
  getServiceAccount: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Request","auditID":"e29112e7-a170-450a-bc7a-349836a4eb11","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/serviceaccounts/coredns","verb":"get","user":{"username":"aksService","groups":["system:masters","system:authenticated"]},"sourceIPs":["172.31.9.219"],"userAgent":"kubectl/v1.13.2 (linux/amd64) kubernetes/cff46ab","objectRef":{"resource":"serviceaccounts","namespace":"kube-system","name":"coredns","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2020-05-05T16:16:38.359471Z","stageTimestamp":"2020-05-05T16:16:38.364530Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`, // L847
  getConfigmap: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"7a40bd92-240e-4cbc-aa74-36226844ab9d","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/kube-system/configmaps/coredns","verb":"get","user":{"username":"aksService","groups":["system:masters","system:authenticated"]},"sourceIPs":["172.31.9.219"],"userAgent":"kubectl/v1.13.2 (linux/amd64) kubernetes/cff46ab","objectRef":{"resource":"configmaps","namespace":"kube-system","name":"coredns","apiVersion":"v1"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2020-05-05T16:16:38.370618Z","stageTimestamp":"2020-05-05T16:16:38.373077Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`, // L848
  kubeletLease: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"532b1164-8b26-4b49-95f2-907424a80cac","stage":"ResponseComplete","requestURI":"/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/ip-10-0-31-19.us-west-2.compute.internal?timeout=10s","verb":"update","user":{"username":"system:node:ip-10-0-31-19.us-west-2.compute.internal","groups":["system:nodes","system:authenticated"]},"sourceIPs":["10.0.6.159"],"userAgent":"kubelet/v1.27.4+2c83a9f (linux/amd64) kubernetes/bbf96b6","objectRef":{"resource":"leases","namespace":"kube-node-lease","name":"ip-10-0-31-19.us-west-2.compute.internal","uid":"f0b5005d-aee8-4738-9b95-3e3bb91dd156","apiGroup":"coordination.k8s.io","apiVersion":"v1","resourceVersion":"19706"},"responseStatus":{"metadata":{},"code":200},"requestReceivedTimestamp":"2023-09-01T15:37:02.744516Z","stageTimestamp":"2023-09-01T15:37:02.757366Z","annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""}}`, // L853
  podAttach: String.raw`{"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""},"auditID":"14933b4e-7b09-4964-af09-b7987367e1ba","kind":"Event","level":"Request","metadata":{"creationTimestamp":"2018-10-26T13:42:46Z"},"objectRef":{"apiVersion":"v1","name":"nginx-deployment-7998647bdf-phvq7","namespace":"default","resource":"pods","subresource":"attach"},"requestReceivedTimestamp":"2018-10-26T13:42:46.764713Z","requestURI":"/api/v1/namespaces/default/pods/nginx-deployment-7998647bdf-phvq7/attach?container=nginx1&stderr=true&stdin=true&stdout=true","responseStatus":{"code":101,"metadata":{}},"sourceIPs":["192.168.99.1"],"stage":"ResponseStarted","stageTimestamp":"2018-10-26T13:42:46.808261Z","timestamp":"2018-10-26T13:42:46Z","user":{"groups":["system:masters","system:authenticated"],"username":"minikube-user"},"verb":"create"}`, // L3
  podExec: String.raw`{"annotations":{"authorization.k8s.io/decision":"allow","authorization.k8s.io/reason":""},"auditID":"ca1ed9f4-7bf4-4c85-81a8-1b11253d1ba6","kind":"Event","level":"Request","metadata":{"creationTimestamp":"2018-10-26T13:38:34Z"},"objectRef":{"apiVersion":"v1","name":"nginx-deployment-7998647bdf-phvq7","namespace":"default","resource":"pods","subresource":"exec"},"requestReceivedTimestamp":"2018-10-26T13:38:34.867116Z","requestURI":"/api/v1/namespaces/default/pods/nginx-deployment-7998647bdf-phvq7/exec?command=bash&container=nginx1&container=nginx1&stdin=true&stdout=true&tty=true","responseStatus":{"code":101,"metadata":{}},"sourceIPs":["192.168.99.1"],"stage":"ResponseStarted","stageTimestamp":"2018-10-26T13:38:34.902914Z","timestamp":"2018-10-26T13:38:34Z","user":{"groups":["system:masters","system:authenticated"],"username":"minikube-user"},"verb":"create"}`, // L43
  listForbiddenImpersonated: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2017-09-11T19:55:05Z"},"level":"Metadata","timestamp":"2017-09-11T19:55:05Z","auditID":"033d17af-082d-4b24-aa22-627752e83d71","stage":"ResponseComplete","requestURI":"/api/v1/namespaces/default/pods","verb":"list","user":{"username":"system:admin","groups":["system:masters","system:authenticated"]},"impersonatedUser":{"username":"bob","groups":["system:authenticated"]},"sourceIPs":["::1"],"objectRef":{"resource":"pods","namespace":"default","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"pods is forbidden: User \"bob\" cannot list pods in the namespace \"default\"","reason":"Forbidden","details":{"kind":"pods"},"code":403}}`, // L68
  getNotFound: String.raw`{"kind":"Event","apiVersion":"audit.k8s.io/v1beta1","metadata":{"creationTimestamp":"2017-09-11T19:57:33Z"},"level":"Metadata","timestamp":"2017-09-11T19:57:33Z","auditID":"c1d5037c-eec5-42a0-a888-dfd81d87d5bb","stage":"ResponseComplete","requestURI":"/apis/rbac.authorization.k8s.io/v1/namespaces/default/roles/audit2rbac:bob","verb":"get","user":{"username":"system:admin","groups":["system:masters","system:authenticated"]},"sourceIPs":["::1"],"objectRef":{"resource":"roles","namespace":"default","name":"audit2rbac:bob","apiGroup":"rbac.authorization.k8s.io","apiVersion":"v1"},"responseStatus":{"metadata":{},"status":"Failure","message":"roles.rbac.authorization.k8s.io \"audit2rbac:bob\" not found","reason":"NotFound","details":{"name":"audit2rbac:bob","group":"rbac.authorization.k8s.io","kind":"roles"},"code":404}}`, // L75
} as const;

type TplName = keyof typeof CORPUS;
type J = Record<string, unknown>;

const OBJECT_REF_KEY_ORDER = ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource'];
const STATUS_KEY_ORDER = ['metadata', 'status', 'message', 'reason', 'details', 'code'];

function reorder(o: J, order: readonly string[]): J {
  const out: J = {};
  for (const k of order) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

const TEMPLATES: Record<TplName, J> = Object.fromEntries(
  Object.entries(CORPUS).map(([k, raw]) => {
    const e = JSON.parse(raw) as J;
    const out = reorder(e, AUDIT_EVENT_KEY_ORDER);
    out.apiVersion = 'audit.k8s.io/v1';
    // Some corpus events were re-serialized with sorted keys; restore Go field order.
    if (out.objectRef) out.objectRef = reorder(out.objectRef as J, OBJECT_REF_KEY_ORDER);
    if (out.responseStatus) out.responseStatus = reorder(out.responseStatus as J, STATUS_KEY_ORDER);
    return [k, out];
  }),
) as Record<TplName, J>;

// ---------------------------------------------------------------------------------------------
// The simulated cluster

type Level = 'Metadata' | 'Request' | 'RequestResponse';

interface Actor {
  user: J;
  ua: string;
  ips: readonly string[];
  allow: J; // the authorization annotations this actor's allowed requests carry
  human: boolean;
}

interface Node {
  name: string;
  ip: string;
  instanceId: string;
  actor: Actor;
}

interface Req {
  level: Level;
  verb: string;
  uri: string;
  actor: Actor;
  imp?: J;
  objectRef?: J;
  status: J;
  reqObj?: unknown;
  respObj?: unknown;
  annotations: J;
  recvUs: number;
  doneUs: number;
  /** Watches and upgraded connections (exec) log ResponseStarted first. */
  startedUs?: number;
  /** Never log the optional RequestReceived stage (leader-election noise). */
  noReceived?: boolean;
}

interface ReadTarget {
  r: Res;
  ns?: string;
  name: string;
  actor: Actor;
}

interface Res {
  resource: string;
  group: string;
  version: string;
  kind: string;
  namespaced: boolean;
  generation?: boolean;
}

const res = (resource: string, group: string, version: string, kind: string, namespaced: boolean, generation = false): Res => ({
  resource,
  group,
  version,
  kind,
  namespaced,
  generation,
});

const R = {
  pods: res('pods', '', 'v1', 'Pod', true),
  namespaces: res('namespaces', '', 'v1', 'Namespace', false),
  serviceaccounts: res('serviceaccounts', '', 'v1', 'ServiceAccount', true),
  endpoints: res('endpoints', '', 'v1', 'Endpoints', true),
  services: res('services', '', 'v1', 'Service', true),
  configmaps: res('configmaps', '', 'v1', 'ConfigMap', true),
  secrets: res('secrets', '', 'v1', 'Secret', true),
  nodes: res('nodes', '', 'v1', 'Node', false),
  netpol: res('networkpolicies', 'networking.k8s.io', 'v1', 'NetworkPolicy', true, true),
  extNetpol: res('networkpolicies', 'extensions', 'v1beta1', 'NetworkPolicy', true, true),
  calicoNp: res('networkpolicies', 'projectcalico.org', 'v3', 'NetworkPolicy', true, true),
  calicoGnp: res('globalnetworkpolicies', 'projectcalico.org', 'v3', 'GlobalNetworkPolicy', false, true),
  calicoTier: res('tiers', 'projectcalico.org', 'v3', 'Tier', false, true),
  calicoGns: res('globalnetworksets', 'projectcalico.org', 'v3', 'GlobalNetworkSet', false, true),
  calicoNs: res('networksets', 'projectcalico.org', 'v3', 'NetworkSet', true, true),
  calicoHep: res('hostendpoints', 'projectcalico.org', 'v3', 'HostEndpoint', false, true),
  deployments: res('deployments', 'apps', 'v1', 'Deployment', true, true),
  replicasets: res('replicasets', 'apps', 'v1', 'ReplicaSet', true, true),
  daemonsets: res('daemonsets', 'apps', 'v1', 'DaemonSet', true, true),
  leases: res('leases', 'coordination.k8s.io', 'v1', 'Lease', true),
  endpointslices: res('endpointslices', 'discovery.k8s.io', 'v1', 'EndpointSlice', true),
  csrs: res('certificatesigningrequests', 'certificates.k8s.io', 'v1', 'CertificateSigningRequest', false),
  sar: res('subjectaccessreviews', 'authorization.k8s.io', 'v1', 'SubjectAccessReview', false),
  tokenreviews: res('tokenreviews', 'authentication.k8s.io', 'v1', 'TokenReview', false),
  crds: res('customresourcedefinitions', 'apiextensions.k8s.io', 'v1', 'CustomResourceDefinition', false, true),
  felixConfigs: res('felixconfigurations', 'crd.projectcalico.org', 'v1', 'FelixConfiguration', false, true),
  ipamBlocks: res('ipamblocks', 'crd.projectcalico.org', 'v1', 'IPAMBlock', false, true),
  eniConfigs: res('eniconfigs', 'crd.k8s.amazonaws.com', 'v1alpha1', 'ENIConfig', false, true),
} as const;

/** Groups the EKS (GCE-derived) policy treats as known APIs; projectcalico.org added on purpose. */
const KNOWN_GROUPS = new Set([
  '',
  'admissionregistration.k8s.io',
  'apiextensions.k8s.io',
  'apiregistration.k8s.io',
  'apps',
  'authentication.k8s.io',
  'authorization.k8s.io',
  'autoscaling',
  'batch',
  'certificates.k8s.io',
  'extensions',
  'metrics.k8s.io',
  'networking.k8s.io',
  'node.k8s.io',
  'policy',
  'rbac.authorization.k8s.io',
  'scheduling.k8s.io',
  'storage.k8s.io',
  'projectcalico.org',
]);
const METADATA_ONLY = new Set(['secrets', 'configmaps', 'tokenreviews', 'serviceaccounts/token']);

function levelFor(objectRef: J | undefined, verb: string, actor: Actor): Level {
  if (!objectRef) return 'Metadata';
  const resource = objectRef.resource as string;
  const sub = objectRef.subresource as string | undefined;
  const full = sub ? `${resource}/${sub}` : resource;
  if (METADATA_ONLY.has(full) || METADATA_ONLY.has(resource)) return 'Metadata';
  const groups = (actor.user.groups as string[] | undefined) ?? [];
  if (groups.includes('system:nodes') && (verb === 'update' || verb === 'patch') && (full === 'nodes/status' || full === 'pods/status'))
    return 'Request';
  if (!KNOWN_GROUPS.has((objectRef.apiGroup as string | undefined) ?? '')) return 'Metadata';
  return verb === 'get' || verb === 'list' || verb === 'watch' ? 'Request' : 'RequestResponse';
}

const apiVersionOf = (r: Res): string => (r.group ? `${r.group}/${r.version}` : r.version);

function pathOf(r: Res, ns: string | undefined, name?: string, sub?: string): string {
  let p = r.group ? `/apis/${r.group}/${r.version}` : '/api/v1';
  if (r.namespaced && ns) p += `/namespaces/${ns}`;
  p += `/${r.resource}`;
  if (name) p += `/${name}`;
  if (sub) p += `/${sub}`;
  return p;
}

/** ObjectReference in its Go field order. */
function objectRef(r: Res, ns?: string, name?: string, uid?: string, rv?: string, sub?: string): J {
  const o: J = { resource: r.resource };
  if (r.namespaced && ns) o.namespace = ns;
  if (name) o.name = name;
  if (uid) o.uid = uid;
  if (r.group) o.apiGroup = r.group;
  o.apiVersion = r.version;
  if (rv) o.resourceVersion = rv;
  if (sub) o.subresource = sub;
  return o;
}

function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as J)
      .filter((k) => (v as J)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((v as J)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

/** fieldsV1 for the top-level fields of a body, roughly what the apiserver records. */
function fieldsV1(labels: J | undefined, annotations: J | undefined, body: J): J {
  const meta: J = {};
  if (annotations) meta['f:annotations'] = Object.fromEntries([['.', {}], ...Object.keys(annotations).sort().map((k) => [`f:${k}`, {}])]);
  if (labels) meta['f:labels'] = Object.fromEntries([['.', {}], ...Object.keys(labels).sort().map((k) => [`f:${k}`, {}])]);
  const out: J = {};
  if (Object.keys(meta).length) out['f:metadata'] = meta;
  for (const k of Object.keys(body).sort()) {
    const v = body[k];
    if (k === 'status') continue;
    out[`f:${k}`] =
      v && typeof v === 'object' && !Array.isArray(v)
        ? Object.fromEntries(Object.keys(v as J).sort().map((kk) => [`f:${kk}`, {}]))
        : {};
  }
  return out;
}

const APPS: Record<string, readonly string[]> = {
  payments: ['payments-api', 'ledger', 'fraud-check'],
  checkout: ['checkout', 'cart', 'redis'],
  frontend: ['web', 'ingress-gateway'],
  catalog: ['catalog', 'search', 'postgres'],
  orders: ['orders', 'order-worker', 'kafka-connect'],
  identity: ['auth', 'session-store'],
  default: ['nginx', 'hello-world'],
};
const APP_NAMESPACES = Object.keys(APPS);
const TIERS = ['security', 'platform', 'application'] as const;
const PORTS = [80, 443, 5432, 6379, 8080, 8443, 9090, 9092] as const;

class Gen {
  readonly rng: Rng;
  /** Cluster identity: drawn from the seed alone, shared by every generator of a scenario. */
  readonly id: Rng;
  private readonly o: Opts;
  private readonly startUs: number;
  private readonly endUs: number;
  private readonly sizeCache = new Map<string, { base: number; per: number }>();

  readonly account: string;
  readonly region: string;
  readonly minor: number;
  readonly kubeVersion: string;
  readonly kubeletUA: string;
  readonly nodes: Node[];
  readonly humans: { admin: Actor; alice: Actor; bob: Actor };
  readonly sa: Record<string, Actor>;
  readonly sys: Record<string, Actor>;

  constructor(o: Opts, salt: number) {
    this.o = o;
    this.rng = new Rng(o.seed, salt);
    this.id = new Rng(o.seed, 1);
    this.startUs = o.startMs * 1000;
    this.endUs = (o.startMs + o.spanMs) * 1000;
    const id = this.id;

    this.account = String(id.range(100000000000, 999999999999));
    const region = id.pick([
      ['us-west-2', 'us-west-2.compute.internal'],
      ['us-east-1', 'ec2.internal'],
      ['eu-west-1', 'eu-west-1.compute.internal'],
    ] as const);
    this.region = region[0];
    this.minor = id.range(29, 32);
    const patch = id.range(0, 12);
    const build = id.hex(7);
    this.kubeVersion = `v1.${this.minor}.${patch}`;
    this.kubeletUA = `kubelet/v1.${this.minor}.${patch}-eks-${build} (linux/amd64) kubernetes/${build}`;
    const gitCommit = id.hex(7);
    const kcmUA = (sa: string): string => `kube-controller-manager/${this.kubeVersion} (linux/amd64) kubernetes/${gitCommit}/${sa}`;

    const allow = (reason: string): J => ({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': reason });
    const iamExtra = (arn: string, canonical: string, principal: string, session: string): J => ({
      accessKeyId: [`ASIA${id.chars(UPPER_ALNUM, 16)}`],
      arn: [arn],
      canonicalArn: [canonical],
      principalId: [principal],
      sessionName: [session],
    });

    const nodeRole = `eksctl-${o.cluster}-nodegroup-ng-1-NodeInstanceRole-${id.chars(UPPER_ALNUM, 12)}`;
    const nodeRoleId = `AROA${id.chars(UPPER_ALNUM, 17)}`;
    const nodeCount = id.range(3, 12);
    this.nodes = [];
    for (let i = 0; i < nodeCount; i++) {
      const ip = `10.0.${id.int(64)}.${id.range(2, 254)}`;
      const name = `ip-${ip.replaceAll('.', '-')}.${region[1]}`;
      const instanceId = `i-0${id.hex(16)}`;
      this.nodes.push({
        name,
        ip,
        instanceId,
        actor: {
          user: {
            username: `system:node:${name}`,
            uid: `aws-iam-authenticator:${this.account}:${nodeRoleId}`,
            groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
            extra: iamExtra(
              `arn:aws:sts::${this.account}:assumed-role/${nodeRole}/${instanceId}`,
              `arn:aws:iam::${this.account}:role/${nodeRole}`,
              `${nodeRoleId}:${instanceId}`,
              instanceId,
            ),
          },
          ua: this.kubeletUA,
          ips: [ip],
          allow: allow(''),
          human: false,
        },
      });
    }

    const kubectl = (v: string, os: string): string => `kubectl/v1.${v} (${os}) kubernetes/${fnv1a(v).toString(16).slice(0, 7)}`;
    const adminId = `AIDA${id.chars(UPPER_ALNUM, 17)}`;
    const ssoRole = `AWSReservedSSO_PlatformEngineers_${id.hex(16)}`;
    const ssoId = `AROA${id.chars(UPPER_ALNUM, 17)}`;
    const devId = `AROA${id.chars(UPPER_ALNUM, 17)}`;
    this.humans = {
      admin: {
        user: {
          username: 'kubernetes-admin',
          uid: `aws-iam-authenticator:${this.account}:${adminId}`,
          groups: ['system:masters', 'system:authenticated'],
          extra: iamExtra(`arn:aws:iam::${this.account}:user/admin`, `arn:aws:iam::${this.account}:user/admin`, adminId, ''),
        },
        ua: kubectl(`${this.minor}.${patch}`, 'darwin/arm64'),
        ips: ['203.0.113.24', '203.0.113.77'],
        allow: allow(''),
        human: true,
      },
      alice: {
        user: {
          username: 'platform:alice',
          uid: `aws-iam-authenticator:${this.account}:${ssoId}`,
          groups: ['platform-engineers', 'system:authenticated'],
          extra: iamExtra(
            `arn:aws:sts::${this.account}:assumed-role/${ssoRole}/alice@example.com`,
            `arn:aws:iam::${this.account}:role/${ssoRole}`,
            `${ssoId}:alice@example.com`,
            'alice@example.com',
          ),
        },
        ua: kubectl(`${this.minor - 1}.4`, 'linux/amd64'),
        ips: ['198.51.100.12'],
        allow: allow('RBAC: allowed by ClusterRoleBinding "platform-engineers" of ClusterRole "cluster-admin" to Group "platform-engineers"'),
        human: true,
      },
      bob: {
        user: {
          username: 'dev:bob',
          uid: `aws-iam-authenticator:${this.account}:${devId}`,
          groups: ['developers', 'system:authenticated'],
          extra: iamExtra(
            `arn:aws:sts::${this.account}:assumed-role/Developers/bob`,
            `arn:aws:iam::${this.account}:role/Developers`,
            `${devId}:bob`,
            'bob',
          ),
        },
        ua: kubectl(`${this.minor}.1`, 'darwin/amd64'),
        ips: ['198.51.100.201'],
        allow: allow('RBAC: allowed by RoleBinding "developers/payments" of ClusterRole "edit" to Group "developers"'),
        human: true,
      },
    };

    const kcmSa = (name: string): Actor => ({
      user: {
        username: `system:serviceaccount:kube-system:${name}`,
        uid: this.stableUid(`sa/kube-system/${name}`),
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      ua: kcmUA(`system:serviceaccount:kube-system:${name}`),
      ips: ['127.0.0.1'],
      allow: allow(
        `RBAC: allowed by ClusterRoleBinding "system:controller:${name}" of ClusterRole "system:controller:${name}" to ServiceAccount "${name}/kube-system"`,
      ),
      human: false,
    });
    const podSa = (ns: string, name: string, ua: string, binding: string): Actor => {
      const node = id.pick(this.nodes);
      const pod = `${name}-${id.chars(K8S_ALNUM, 10)}-${id.chars(K8S_ALNUM, 5)}`;
      return {
        user: {
          username: `system:serviceaccount:${ns}:${name}`,
          uid: this.stableUid(`sa/${ns}/${name}`),
          groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
          extra: {
            'authentication.kubernetes.io/credential-id': [`JTI=${id.uuid()}`],
            'authentication.kubernetes.io/node-name': [node.name],
            'authentication.kubernetes.io/node-uid': [this.stableUid(`node/${node.name}`)],
            'authentication.kubernetes.io/pod-name': [pod],
            'authentication.kubernetes.io/pod-uid': [this.stableUid(`pod/${ns}/${pod}`)],
          },
        },
        ua,
        ips: [`10.0.${id.int(64)}.${id.range(2, 254)}`],
        allow: allow(`RBAC: allowed by ClusterRoleBinding "${binding}" of ClusterRole "${binding}" to ServiceAccount "${name}/${ns}"`),
        human: false,
      };
    };
    this.sa = {
      replicaset: kcmSa('replicaset-controller'),
      deployment: kcmSa('deployment-controller'),
      daemonset: kcmSa('daemon-set-controller'),
      endpoint: kcmSa('endpoint-controller'),
      endpointslice: kcmSa('endpointslice-controller'),
      namespace: kcmSa('namespace-controller'),
      gc: kcmSa('generic-garbage-collector'),
      quota: kcmSa('resourcequota-controller'),
      tokens: kcmSa('service-account-controller'),
      tigeraOperator: podSa('tigera-operator', 'tigera-operator', 'operator/v1.36.2 (linux/amd64) kubernetes/$Format', 'tigera-operator'),
      calicoKc: podSa('calico-system', 'calico-kube-controllers', 'kube-controllers/v3.29.1 (linux/amd64) kubernetes/$Format', 'calico-kube-controllers'),
      calicoNode: podSa('calico-system', 'calico-node', 'calico-node/v3.29.1 (linux/amd64) kubernetes/$Format', 'calico-node'),
      intrusion: podSa(
        'tigera-intrusion-detection',
        'intrusion-detection-controller',
        'intrusion-detection-controller/v3.20.1 (linux/amd64) kubernetes/$Format',
        'intrusion-detection-controller',
      ),
      argocd: podSa('argocd', 'argocd-application-controller', 'argocd-application-controller/v2.13.1 (linux/amd64) kubernetes/$Format', 'argocd-application-controller'),
      awsNode: podSa('kube-system', 'aws-node', 'aws-node/v1.19.0 (linux/amd64) kubernetes/$Format', 'aws-node'),
      coredns: podSa('kube-system', 'coredns', 'coredns/v1.11.3 (linux/amd64) kubernetes/$Format', 'system:coredns'),
      lbc: podSa('kube-system', 'aws-load-balancer-controller', 'aws-load-balancer-controller/v2.9.2 (linux/amd64) kubernetes/$Format', 'aws-load-balancer-controller-role'),
      metrics: podSa('kube-system', 'metrics-server', 'metrics-server/v0.7.2 (linux/amd64) kubernetes/$Format', 'system:metrics-server'),
      prometheus: podSa('monitoring', 'prometheus-k8s', 'Prometheus/2.54.1', 'prometheus-k8s'),
    };
    const plain = (username: string, ua: string, reason: string, groups = ['system:authenticated'], ips = ['127.0.0.1']): Actor => ({
      user: { username, groups },
      ua,
      ips,
      allow: allow(reason),
      human: false,
    });
    const rb = (u: string): string => `RBAC: allowed by ClusterRoleBinding "${u}" of ClusterRole "${u}" to User "${u}"`;
    this.sys = {
      kcm: plain('system:kube-controller-manager', kcmUA('leader-election'), rb('system:kube-controller-manager')),
      scheduler: plain(
        'system:kube-scheduler',
        `kube-scheduler/${this.kubeVersion} (linux/amd64) kubernetes/${gitCommit}/scheduler`,
        rb('system:kube-scheduler'),
      ),
      apiserver: {
        user: { username: 'system:apiserver', uid: this.stableUid('apiserver'), groups: ['system:authenticated', 'system:masters'] },
        ua: `kube-apiserver/${this.kubeVersion} (linux/amd64) kubernetes/${gitCommit}`,
        ips: ['::1'],
        allow: allow(''),
        human: false,
      },
      certs: plain('eks:certificate-controller', 'eks-certificates-controller/v0.0.0 (linux/amd64) kubernetes/$Format', rb('eks:certificate-controller')),
      addons: plain('eks:addon-manager', `eks-addon-manager/v1.${this.minor}.0 (linux/amd64)`, rb('eks:addon-manager'), ['system:authenticated'], [
        '172.16.45.12',
      ]),
      ccm: plain(
        'eks:cloud-controller-manager',
        `aws-cloud-controller-manager/v1.${this.minor}.2 (linux/amd64) kubernetes/$Format/leader-election`,
        rb('eks:cloud-controller-manager'),
      ),
      k8sMetrics: plain('eks:k8s-metrics', 'eks-k8s-metrics/v0.0.0 (linux/amd64)', rb('eks:k8s-metrics')),
      anonymous: plain(
        'system:anonymous',
        'Go-http-client/1.1',
        'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"',
        ['system:unauthenticated'],
        ['172.16.12.10', '172.16.77.134'],
      ),
    };
  }

  // --- helpers -------------------------------------------------------------------------------

  stableUid(key: string): string {
    const s = `${this.o.seed}/${this.o.cluster}/${key}`;
    const a = fnv1a(s);
    const b = fnv1a(s, a ^ 0x9e3779b9);
    const c = fnv1a(s, b ^ 0x85ebca6b);
    const d = fnv1a(s, c ^ 0xc2b2ae35);
    const h = [a, b, c, d].map((x) => x.toString(16).padStart(8, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  timeUs(): number {
    return this.startUs + Math.floor(this.rng.next() * (this.endUs - this.startUs));
  }

  /** Clamp into the window, so every event's CloudWatch timestamp lies in [startMs, startMs+spanMs). */
  private done(t: number, latencyUs: number): number {
    return Math.min(t + latencyUs, this.endUs - 1);
  }

  /** resourceVersion grows with time, like etcd's revision. */
  private rv(t: number): string {
    return String(40_000_000 + Math.floor((t - this.startUs) / 2000) + this.rng.int(7));
  }

  private createdBefore(key: string): string {
    return isoSec(this.o.startMs - 3_600_000 - (fnv1a(key) % (90 * 86_400)) * 1000);
  }

  private ip(a: Actor): string {
    return a.ips.length === 1 ? a.ips[0]! : this.rng.pick(a.ips);
  }

  private app(ns: string): string {
    return this.rng.pick(APPS[ns] ?? ['app']);
  }

  private appNs(): string {
    return this.rng.pick(APP_NAMESPACES);
  }

  private node(): Node {
    return this.rng.pick(this.nodes);
  }

  private podName(app: string): string {
    return `${app}-${this.podHash(app)}-${this.rng.chars(K8S_ALNUM, 5)}`;
  }

  private podHash(app: string): string {
    // A couple of ReplicaSet generations per app.
    const h = fnv1a(`${this.o.seed}/${app}/${this.rng.int(2)}`);
    let s = '';
    for (let i = 0, x = h; i < 10; i++, x = Math.floor(x / 27) + i * 7919) s += K8S_ALNUM[x % 27];
    return s;
  }

  private latency(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.next() ** 3 * (hi - lo)); // long-tailed
  }

  private req(p: Omit<Req, 'level' | 'annotations' | 'doneUs'> & { annotations?: J; lat: number; level?: Level }): Req {
    const r = p as unknown as Req;
    r.level = p.level ?? levelFor(p.objectRef, p.verb, p.actor);
    r.annotations = p.annotations ?? p.actor.allow;
    r.doneUs = this.done(p.recvUs, p.lat);
    return r;
  }

  /** Number of repeated units that brings a kind's body to about `target` bytes. */
  private units(key: string, target: number, build: (n: number) => unknown): number {
    let c = this.sizeCache.get(key);
    if (!c) {
      const s1 = JSON.stringify(build(1)).length;
      const s5 = JSON.stringify(build(5)).length;
      c = { base: s1, per: Math.max(1, (s5 - s1) / 4) };
      this.sizeCache.set(key, c);
    }
    return Math.max(1, Math.round(1 + (target - c.base) / c.per));
  }

  /** Expands a request into its stage events, at most `max` of them (always ends with ResponseComplete). */
  stages(r: Req, max: number): [number, string][] {
    const out: [number, string][] = [];
    const id = this.rng.uuid();
    if (max >= 2 && r.startedUs !== undefined) out.push([r.startedUs, this.event(r, id, 'ResponseStarted', r.startedUs)]);
    else if (max >= 2 && !r.noReceived && this.rng.chance(0.06)) {
      const us = Math.min(r.recvUs + this.rng.int(40), r.doneUs);
      out.push([us, this.event(r, id, 'RequestReceived', us)]);
    }
    out.push([r.doneUs, this.event(r, id, 'ResponseComplete', r.doneUs)]);
    return out;
  }

  /**
   * Serializes by hand from cached fragments (users and annotations repeat across thousands of
   * events); the field order is kube-apiserver's, the result equals JSON.stringify of the Event.
   */
  private event(r: Req, auditID: string, stage: string, stageUs: number): string {
    // Parts joined once: a flat string, not a rope of concatenations (which cost GC time).
    const p: string[] = [
      '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"',
      r.level,
      '","auditID":"',
      auditID,
      '","stage":"',
      stage,
      '","requestURI":',
      goJsonString(r.uri),
      ',"verb":"',
      r.verb,
      '","user":',
      sharedJson(r.actor.user),
    ];
    if (r.imp) p.push(',"impersonatedUser":', JSON.stringify(r.imp));
    p.push(',"sourceIPs":["', this.ip(r.actor), '"],"userAgent":', JSON.stringify(r.actor.ua));
    if (r.objectRef) p.push(',"objectRef":', JSON.stringify(r.objectRef));
    if (stage !== 'RequestReceived') {
      p.push(',"responseStatus":', JSON.stringify(r.status));
      // Objects are only known once the request was decoded / answered, and only logged at
      // Request (request body) or RequestResponse (both) level.
      if (stage === 'ResponseComplete' && r.level !== 'Metadata' && r.reqObj !== undefined) p.push(',"requestObject":', JSON.stringify(r.reqObj));
      if (stage === 'ResponseComplete' && r.level === 'RequestResponse' && r.respObj !== undefined)
        p.push(',"responseObject":', JSON.stringify(r.respObj));
    }
    p.push(',"requestReceivedTimestamp":"', isoMicro(r.recvUs), '","stageTimestamp":"', isoMicro(stageUs), '"');
    if (stage !== 'RequestReceived') {
      p.push(',"annotations":', r.annotations === r.actor.allow ? sharedJson(r.annotations) : JSON.stringify(r.annotations));
    }
    p.push('}');
    return p.join('');
  }

  // --- objects -------------------------------------------------------------------------------

  private lastApplied(r: Res, name: string, ns: string | undefined, labels: J | undefined, body: J): string {
    const meta: J = { annotations: {}, labels, name, namespace: r.namespaced ? ns : undefined };
    return `${sortedJson({ apiVersion: apiVersionOf(r), kind: r.kind, metadata: meta, ...body })}\n`;
  }

  /** ObjectMeta in Go field order. */
  private meta(m: {
    name?: string;
    generateName?: string;
    ns?: string;
    uid?: string;
    rv?: string;
    generation?: number;
    created?: string | null;
    deletion?: string;
    labels?: J;
    annotations?: J;
    owner?: J[];
    finalizers?: string[];
    managed?: J[];
  }): J {
    const o: J = {};
    if (m.name) o.name = m.name;
    if (m.generateName) o.generateName = m.generateName;
    if (m.ns) o.namespace = m.ns;
    if (m.uid) o.uid = m.uid;
    if (m.rv) o.resourceVersion = m.rv;
    if (m.generation !== undefined) o.generation = m.generation;
    o.creationTimestamp = m.created ?? null;
    if (m.deletion) {
      o.deletionTimestamp = m.deletion;
      o.deletionGracePeriodSeconds = 30;
    }
    if (m.labels) o.labels = m.labels;
    if (m.annotations) o.annotations = m.annotations;
    if (m.owner) o.ownerReferences = m.owner;
    if (m.finalizers) o.finalizers = m.finalizers;
    if (m.managed) o.managedFields = m.managed;
    return o;
  }

  private managed(r: Res, manager: string, op: string, t: number, labels: J | undefined, annotations: J | undefined, body: J): J {
    return {
      manager,
      operation: op,
      apiVersion: apiVersionOf(r),
      time: isoSec(Math.floor(t / 1000)),
      fieldsType: 'FieldsV1',
      fieldsV1: fieldsV1(labels, annotations, body),
    };
  }

  private selector(app: string): J {
    return { matchLabels: { app } };
  }

  private cidr(): string {
    return `${this.rng.pick([10, 52, 54, 172, 185, 203])}.${this.rng.int(256)}.${this.rng.int(256)}.0/${this.rng.pick([16, 20, 24, 28])}`;
  }

  private k8sNetpolBody(ns: string, app: string, n: number): J {
    const ingress: J[] = [];
    const egress: J[] = [];
    for (let i = 0; i < n; i++) {
      if (i % 2 === 0) {
        const peerNs = this.appNs();
        ingress.push({
          ports: [{ protocol: 'TCP', port: this.rng.pick(PORTS) }],
          from: [
            { podSelector: this.selector(this.app(ns)) },
            { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': peerNs } }, podSelector: this.selector(this.app(peerNs)) },
          ],
        });
      } else {
        egress.push({
          ports: [{ protocol: this.rng.chance(0.3) ? 'UDP' : 'TCP', port: this.rng.pick(PORTS) }],
          to: [{ ipBlock: { cidr: this.cidr(), except: [this.cidr()] } }],
        });
      }
    }
    const spec: J = { podSelector: this.selector(app), ingress };
    if (egress.length) spec.egress = egress;
    spec.policyTypes = egress.length ? ['Ingress', 'Egress'] : ['Ingress'];
    return { spec };
  }

  private calicoRule(ingress: boolean): J {
    const app = this.app(this.appNs());
    return ingress
      ? {
          action: this.rng.chance(0.9) ? 'Allow' : 'Deny',
          protocol: 'TCP',
          source: { selector: `app == '${app}'`, namespaceSelector: `projectcalico.org/name == '${this.appNs()}'` },
          destination: { ports: [this.rng.pick(PORTS)] },
        }
      : {
          action: 'Allow',
          protocol: this.rng.chance(0.5) ? 'UDP' : 'TCP',
          destination: { nets: [this.cidr()], ports: [this.rng.pick(PORTS)] },
        };
  }

  private calicoPolicyBody(name: string, n: number, global: boolean): J {
    const tier = name.includes('.') ? name.slice(0, name.indexOf('.')) : 'default';
    const ingress: J[] = [];
    const egress: J[] = [];
    for (let i = 0; i < n; i++) (i % 2 === 0 ? ingress : egress).push(this.calicoRule(i % 2 === 0));
    const spec: J = { tier, order: this.rng.pick([100, 200, 500, 1000]), ingress };
    if (egress.length) spec.egress = egress;
    spec.selector = global ? `has(projectcalico.org/namespace) && env == 'prod'` : `app == '${this.app(this.appNs())}'`;
    spec.types = egress.length ? ['Ingress', 'Egress'] : ['Ingress'];
    if (global) spec.namespaceSelector = `team == '${this.rng.pick(['payments', 'storefront', 'platform'])}'`;
    return { spec };
  }

  private netsBody(n: number): J {
    const nets: string[] = [];
    for (let i = 0; i < n; i++) nets.push(this.cidr());
    return { spec: { nets } };
  }

  private endpointsBody(ns: string, app: string, n: number): J {
    const addresses: J[] = [];
    for (let i = 0; i < n; i++) {
      const node = this.node();
      const pod = this.podName(app);
      addresses.push({
        ip: `10.0.${this.rng.int(64)}.${this.rng.range(2, 254)}`,
        nodeName: node.name,
        targetRef: { kind: 'Pod', namespace: ns, name: pod, uid: this.stableUid(`pod/${ns}/${pod}`) },
      });
    }
    return { subsets: [{ addresses, ports: [{ name: 'http', port: this.rng.pick(PORTS), protocol: 'TCP' }] }] };
  }

  private podSpec(app: string, ns: string, n: number, nodeName?: string): J {
    const token = `kube-api-access-${this.rng.chars(K8S_ALNUM, 5)}`;
    const env: J[] = [];
    for (let i = 0; i < n; i++) {
      env.push(
        i % 3 === 2
          ? { name: `SECRET_${i}`, valueFrom: { secretKeyRef: { name: `${app}-secrets`, key: `key-${i}` } } }
          : { name: `${app.toUpperCase().replaceAll('-', '_')}_SETTING_${i}`, value: this.rng.hex(12) },
      );
    }
    const spec: J = {
      volumes: [
        {
          name: token,
          projected: {
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { name: 'kube-root-ca.crt', items: [{ key: 'ca.crt', path: 'ca.crt' }] } },
              { downwardAPI: { items: [{ path: 'namespace', fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } }] } },
            ],
            defaultMode: 420,
          },
        },
      ],
      containers: [
        {
          name: app,
          image: `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${ns}/${app}:1.${this.rng.int(30)}.${this.rng.int(10)}`,
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          env,
          resources: { limits: { memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } },
          volumeMounts: [{ name: token, readOnly: true, mountPath: '/var/run/secrets/kubernetes.io/serviceaccount' }],
          readinessProbe: {
            httpGet: { path: '/healthz', port: 8080, scheme: 'HTTP' },
            timeoutSeconds: 1,
            periodSeconds: 10,
            successThreshold: 1,
            failureThreshold: 3,
          },
          terminationMessagePath: '/dev/termination-log',
          terminationMessagePolicy: 'File',
          imagePullPolicy: 'IfNotPresent',
        },
      ],
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 30,
      dnsPolicy: 'ClusterFirst',
      serviceAccountName: app,
      serviceAccount: app,
    };
    if (nodeName) spec.nodeName = nodeName;
    Object.assign(spec, {
      securityContext: {},
      schedulerName: 'default-scheduler',
      tolerations: [
        { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
        { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      ],
      priority: 0,
      enableServiceLinks: true,
      preemptionPolicy: 'PreemptLowerPriority',
    });
    return spec;
  }

  // --- Calico-relevant mutations -------------------------------------------------------------

  private static readonly CALICO_MUTATIONS = new Table<(g: Gen, t: number) => Req>([
    [9.5, (g, t) => g.policyMutation(t, R.netpol)],
    [0.5, (g, t) => g.policyMutation(t, R.extNetpol)],
    [2.2, (g, t) => g.policyMutation(t, R.calicoNp)],
    [1.2, (g, t) => g.policyMutation(t, R.calicoGnp)],
    [0.3, (g, t) => g.policyMutation(t, R.calicoTier)],
    [0.7, (g, t) => g.policyMutation(t, R.calicoGns)],
    [0.4, (g, t) => g.policyMutation(t, R.calicoNs)],
    [0.4, (g, t) => g.policyMutation(t, R.calicoHep)],
    [4, (g, t) => g.podCreate(t)],
    [3.5, (g, t) => g.podDelete(t)],
    [1, (g, t) => g.policyMutation(t, R.pods)],
    [5, (g, t) => g.policyMutation(t, R.endpoints)],
    [1.6, (g, t) => g.policyMutation(t, R.namespaces)],
    [2.1, (g, t) => g.policyMutation(t, R.serviceaccounts)],
  ]);

  calicoMutation(t: number): Req {
    return Gen.CALICO_MUTATIONS.pick(this.rng)(this, t);
  }

  /** A successful RequestResponse create of a Kubernetes or Calico network policy. */
  keptMutation(t: number): Req {
    const r = this.rng.chance(0.7) ? R.netpol : R.calicoNp;
    const ns = this.appNs();
    const app = this.app(ns);
    return this.mutation(t, r, 'create', { ns, app, name: this.nameFor(r, ns, app), actor: this.humans.alice, dryRun: false });
  }

  private nameFor(r: Res, ns: string, app: string): string {
    const rng = this.rng;
    switch (r.kind) {
      case 'NetworkPolicy':
        if (r.group === 'projectcalico.org') return `${rng.pick(TIERS)}.${rng.pick(['allow-', 'deny-', ''])}${app}`;
        return rng.pick(['default-deny-all', 'allow-dns-egress', `allow-${app}-ingress`, `${app}-egress`, 'allow-prometheus-scrape']);
      case 'GlobalNetworkPolicy':
        return `${rng.pick(TIERS)}.${rng.pick(['block-threatfeeds', 'allow-kube-dns', 'deny-metadata-api', 'pci-isolation', 'allow-ingress-nginx'])}`;
      case 'Tier':
        return rng.pick(TIERS);
      case 'GlobalNetworkSet':
        return rng.pick(['threatfeed.feodo-tracker', 'threatfeed.spamhaus-drop', 'allowed-saas-ranges', 'corp-vpn-egress']);
      case 'NetworkSet':
        return rng.pick(['external-apis', 'partner-cidrs', 'payment-gateways']);
      case 'HostEndpoint':
        return `${this.node().name}-auto-hep`;
      case 'Namespace':
        return rng.chance(0.5) ? `preview-pr-${rng.range(100, 999)}` : `dev-${rng.chars(K8S_ALNUM, 5)}`;
      case 'ServiceAccount':
        return rng.pick([app, `${app}-irsa`, 'ci-deployer', 'default']);
      case 'Pod':
        return this.podName(app);
      default:
        return app;
    }
  }

  private labelsFor(r: Res, name: string, app: string): J | undefined {
    switch (r.kind) {
      case 'Namespace':
        return { 'kubernetes.io/metadata.name': name, team: this.rng.pick(['payments', 'storefront', 'platform']) };
      case 'GlobalNetworkSet':
        return name.startsWith('threatfeed.') ? { 'threatfeed.projectcalico.org/name': name.slice(11) } : { 'egress-allowed': 'true' };
      case 'Endpoints':
        return { app, 'app.kubernetes.io/managed-by': 'Helm' };
      case 'Pod':
        return { app, 'pod-template-hash': this.podHash(app) };
      default:
        return this.rng.chance(0.5) ? { 'app.kubernetes.io/part-of': app } : undefined;
    }
  }

  /** Body (the fields after metadata) of a kind, with `n` repeated units. */
  private body(r: Res, name: string, ns: string, app: string, n: number): J {
    switch (`${r.group}/${r.kind}`) {
      case 'networking.k8s.io/NetworkPolicy':
      case 'extensions/NetworkPolicy':
        return this.k8sNetpolBody(ns, app, n);
      case 'projectcalico.org/NetworkPolicy':
        return this.calicoPolicyBody(name, n, false);
      case 'projectcalico.org/GlobalNetworkPolicy':
        return this.calicoPolicyBody(name, n, true);
      case 'projectcalico.org/Tier':
        return { spec: { order: name === 'security' ? 100 : name === 'platform' ? 200 : 300, defaultAction: 'Deny' } };
      case 'projectcalico.org/GlobalNetworkSet':
      case 'projectcalico.org/NetworkSet':
        return this.netsBody(n * 4);
      case 'projectcalico.org/HostEndpoint': {
        const node = name.slice(0, -'-auto-hep'.length);
        const ip = this.nodes.find((x) => x.name === node)?.ip ?? '10.0.0.10';
        return { spec: { node, interfaceName: '*', expectedIPs: [ip], profiles: ['projectcalico-default-allow'] } };
      }
      case '/Pod':
        return { spec: this.podSpec(app, ns, n, this.node().name), status: { phase: 'Pending', qosClass: 'Burstable' } };
      case '/Namespace':
        return { spec: { finalizers: ['kubernetes'] }, status: { phase: 'Active' } };
      case '/Endpoints':
        return this.endpointsBody(ns, app, n);
      default:
        return {};
    }
  }

  private actorFor(r: Res): Actor {
    const { admin, alice, bob } = this.humans;
    const sa = this.sa;
    const table: Weighted<Actor> =
      r.kind === 'Endpoints'
        ? [[1, sa.endpoint!]]
        : r.kind === 'HostEndpoint'
          ? [[1, sa.calicoKc!]]
          : r.kind === 'GlobalNetworkSet'
            ? [
                [2, sa.intrusion!],
                [1, alice],
              ]
            : r.kind === 'Tier'
              ? [
                  [1, sa.tigeraOperator!],
                  [1, alice],
                ]
              : r.group === 'projectcalico.org'
                ? [
                    [2, alice],
                    [1, admin],
                    [1, sa.tigeraOperator!],
                    [1, sa.argocd!],
                  ]
                : [
                    [2, admin],
                    [2, alice],
                    [1, bob],
                    [3, sa.argocd!],
                  ];
    return weighted(this.rng, table);
  }

  /** create/update/patch/delete of one kind, with the occasional dryRun and 4xx. */
  private policyMutation(t: number, r: Res): Req {
    const rng = this.rng;
    const actor = this.actorFor(r);
    const bob = actor === this.humans.bob;
    // bob may only write in payments (RoleBinding "developers/payments").
    const ns = r.namespaced ? (bob && rng.chance(0.8) ? 'payments' : this.appNs()) : undefined;
    const app = this.app(ns ?? this.appNs());
    const name = this.nameFor(r, ns ?? '', app);
    const verb: string =
      r.kind === 'Endpoints'
        ? weighted(rng, [
            [18, 'update'],
            [1, 'create'],
            [1, 'delete'],
          ])
        : r.kind === 'Pod'
          ? 'patch'
          : weighted(rng, [
              [3, 'create'],
              [3, 'patch'],
              [2, 'update'],
              [1.5, 'delete'],
            ]);
    const dryRun = actor.human && rng.chance(0.04);
    let failure: number | undefined;
    if (bob && ns !== 'payments') failure = 403;
    else if (rng.chance(0.05)) {
      if (bob) failure = 403;
      else if (verb === 'create') failure = rng.pick([409, 422]);
      else if (verb === 'delete') failure = 404;
      else failure = rng.pick([404, 409, 422]);
    }
    return this.mutation(t, r, verb, { ns, app, name, actor, dryRun, failure });
  }

  private mutation(
    t: number,
    r: Res,
    verb: string,
    m: { ns?: string; app: string; name: string; actor: Actor; dryRun: boolean; failure?: number; n?: number; lat?: number },
  ): Req {
    const { ns, app, name, actor } = m;
    const key = `${r.group}/${r.resource}/${ns ?? ''}/${name}`;
    const uid = this.stableUid(key);
    const labels = this.labelsFor(r, name, app);
    const kubectlish = actor.human || actor === this.sa.argocd;
    const ssa = actor === this.sa.argocd && verb === 'patch';
    // kubectl's last-applied annotation repeats the body, so such objects get half the units.
    const share = kubectlish && !ssa ? 0.35 : 0.7;
    const n = m.n ?? this.units(`${r.group}/${r.kind}`, this.o.payloadBytes * share, (k) => this.body(r, name, ns ?? 'default', app, k));
    const body = this.body(r, name, ns ?? 'default', app, n);
    const manager = ssa ? 'argocd-controller' : actor.human ? (verb === 'update' ? 'kubectl-edit' : 'kubectl-client-side-apply') : String((actor.ua.split('/')[0] ?? 'controller'));
    const annotations: J | undefined = kubectlish && !ssa ? { 'kubectl.kubernetes.io/last-applied-configuration': this.lastApplied(r, name, ns, labels, body) } : undefined;
    const created = verb === 'create' ? isoSec(Math.floor(t / 1000)) : this.createdBefore(key);
    const oldRv = this.rv(t - 60_000_000);
    const newRv = m.dryRun ? oldRv : this.rv(t);
    const gen = r.generation ? (verb === 'create' ? 1 : 1 + (fnv1a(key) % 9)) : undefined;
    const newGen = gen === undefined || verb === 'create' || m.dryRun ? gen : gen + 1;
    const mf = [this.managed(r, manager, ssa ? 'Apply' : 'Update', t, labels, annotations, body)];
    const full = (rv: string, generation: number | undefined, deletion?: string): J => ({
      kind: r.kind,
      apiVersion: apiVersionOf(r),
      metadata: this.meta({ name, ns, uid, rv, generation, created, deletion, labels, annotations, managed: mf }),
      ...body,
    });

    const q: string[] = [];
    if (m.dryRun) q.push('dryRun=All');
    if (verb !== 'delete' && kubectlish) q.push(`fieldManager=${manager}`);
    if (ssa) q.push('force=true');
    else if (verb !== 'delete' && actor.human) q.push('fieldValidation=Strict');
    const query = q.length ? `?${q.join('&')}` : '';
    const uri = pathOf(r, ns, verb === 'create' ? undefined : name) + query;

    let reqObj: unknown;
    let respObj: unknown;
    let ref: J;
    let status: J;
    switch (verb) {
      case 'create':
        reqObj = { kind: r.kind, apiVersion: apiVersionOf(r), metadata: this.meta({ name, ns, labels, annotations }), ...body };
        respObj = full(newRv, gen);
        ref = objectRef(r, ns, name);
        status = { metadata: {}, code: 201 };
        break;
      case 'update':
        reqObj = full(oldRv, gen);
        respObj = full(newRv, newGen);
        ref = objectRef(r, ns, name, uid, oldRv);
        status = { metadata: {}, code: 200 };
        break;
      case 'patch':
        reqObj = ssa
          ? { apiVersion: apiVersionOf(r), kind: r.kind, metadata: { labels, name, namespace: ns }, ...body }
          : r.kind === 'Pod'
            ? { metadata: { labels: { 'rollout.argoproj.io/restarted-at': isoSec(Math.floor(t / 1000)) } } }
            : { metadata: { annotations }, ...body };
        respObj = full(newRv, newGen);
        ref = objectRef(r, ns, name);
        status = { metadata: {}, code: 200 };
        break;
      default: {
        // delete
        reqObj = actor.human
          ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }
          : { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } };
        const details: J = { name };
        if (r.group) details.group = r.group;
        details.kind = r.resource;
        details.uid = uid;
        respObj =
          r.kind === 'Namespace'
            ? { ...full(newRv, gen, isoSec(Math.floor(t / 1000))), status: { phase: 'Terminating' } }
            : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
        ref = objectRef(r, ns, name);
        status = r.kind === 'Namespace' ? { metadata: {}, code: 200 } : { metadata: {}, status: 'Success', code: 200 };
      }
    }

    let annotationsOut = actor.allow;
    if (m.failure !== undefined) {
      const gr = r.group ? `${r.resource}.${r.group}` : r.resource;
      const details: J = { name };
      if (r.group) details.group = r.group;
      details.kind = m.failure === 422 ? r.kind : r.resource;
      let message: string;
      let reason: string;
      switch (m.failure) {
        case 403:
          reason = 'Forbidden';
          message = `${gr} "${name}" is forbidden: User "${actor.user.username as string}" cannot ${verb} resource "${r.resource}" in API group "${r.group}"${ns ? ` in the namespace "${ns}"` : ' at the cluster scope'}`;
          annotationsOut = { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' };
          reqObj = undefined; // refused before the body is read
          break;
        case 404:
          reason = 'NotFound';
          message = `${gr} "${name}" not found`;
          break;
        case 409:
          reason = verb === 'create' ? 'AlreadyExists' : 'Conflict';
          message =
            verb === 'create'
              ? `${gr} "${name}" already exists`
              : `Operation cannot be fulfilled on ${gr} "${name}": the object has been modified; please apply your changes to the latest version and try again`;
          break;
        default:
          reason = 'Invalid';
          message = `${r.kind}${r.group ? `.${r.group}` : ''} "${name}" is invalid: metadata.labels: Invalid value: "${app}-": a valid label must end with an alphanumeric character`;
          details.causes = [{ reason: 'FieldValueInvalid', message: `Invalid value: "${app}-": a valid label must end with an alphanumeric character`, field: 'metadata.labels' }];
      }
      status = { metadata: {}, status: 'Failure', message, reason, details, code: m.failure };
      respObj = m.failure === 403 ? undefined : { kind: 'Status', apiVersion: 'v1', ...status };
    }
    return this.req({
      verb,
      uri,
      actor,
      objectRef: ref,
      status,
      reqObj,
      respObj,
      annotations: annotationsOut,
      recvUs: t,
      lat: m.lat ?? this.latency(2_000, 60_000),
    });
  }

  /** Pod creates by controllers; a third re-stamped from corpus pods, the rest synthesized. */
  private podCreate(t: number): Req {
    const rng = this.rng;
    const ns = this.appNs();
    const app = this.app(ns);
    const hash = this.podHash(app);
    const rsName = `${app}-${hash}`;
    const name = `${rsName}-${rng.chars(K8S_ALNUM, 5)}`;
    const uid = this.stableUid(`pod/${ns}/${name}`);
    const rsUid = this.stableUid(`rs/${ns}/${rsName}`);
    const owner = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsName, uid: rsUid, controller: true, blockOwnerDeletion: true }];
    const labels = { app, 'pod-template-hash': hash };
    const created = isoSec(Math.floor(t / 1000));
    const rv = this.rv(t);
    const actor = this.sa.replicaset!;
    const annotations: J = {
      ...actor.allow,
      'mutation.webhook.admission.k8s.io/round_0_index_0':
        '{"configuration":"pod-identity-webhook","webhook":"iam-for-pods.amazonaws.com","mutated":false}',
      'pod-security.kubernetes.io/enforce-policy': 'privileged:latest',
    };
    let reqObj: J;
    let respObj: J;
    if (rng.chance(0.33)) {
      const tpl = TEMPLATES[rng.pick(['podCreateFlex', 'podCreatePorts', 'podCreateRoFs'] as const)];
      const tReq = tpl.requestObject as J;
      const tResp = tpl.responseObject as J;
      reqObj = { ...tReq, metadata: { ...(tReq.metadata as J), generateName: `${rsName}-`, labels, ownerReferences: owner } };
      const { selfLink: _selfLink, ...rest } = tResp.metadata as J;
      respObj = {
        ...tResp,
        metadata: { ...rest, name, generateName: `${rsName}-`, namespace: ns, uid, resourceVersion: rv, creationTimestamp: created, labels, ownerReferences: owner },
      };
    } else {
      const n = this.units('pod-spec', this.o.payloadBytes * 0.6, (k) => this.podSpec(app, ns, k));
      const spec = this.podSpec(app, ns, n);
      const body = { spec, status: { phase: 'Pending', qosClass: 'Burstable' } };
      reqObj = { kind: 'Pod', apiVersion: 'v1', metadata: this.meta({ generateName: `${rsName}-`, labels, owner }), spec, status: {} };
      respObj = {
        kind: 'Pod',
        apiVersion: 'v1',
        metadata: this.meta({
          name,
          generateName: `${rsName}-`,
          ns,
          uid,
          rv,
          created,
          labels,
          owner,
          managed: [this.managed(R.pods, 'kube-controller-manager', 'Update', t, labels, undefined, { spec })],
        }),
        ...body,
      };
    }
    return this.req({
      verb: 'create',
      uri: pathOf(R.pods, ns),
      actor,
      objectRef: objectRef(R.pods, ns),
      status: { metadata: {}, code: 201 },
      reqObj,
      respObj,
      annotations,
      recvUs: t,
      lat: this.latency(3_000, 40_000),
    });
  }

  private podDelete(t: number): Req {
    const rng = this.rng;
    const ns = this.appNs();
    const app = this.app(ns);
    const name = this.podName(app);
    const uid = this.stableUid(`pod/${ns}/${name}`);
    const actor = weighted(rng, [
      [5, this.sa.replicaset!],
      [1, this.humans.admin],
      [1, this.humans.alice],
    ] as Weighted<Actor>);
    const labels = { app, 'pod-template-hash': this.podHash(app) };
    const now = isoSec(Math.floor(t / 1000) + 30_000);
    const n = this.units('pod-spec', this.o.payloadBytes * 0.6, (k) => this.podSpec(app, ns, k));
    const respObj = {
      kind: 'Pod',
      apiVersion: 'v1',
      metadata: this.meta({ name, generateName: name.slice(0, -5), ns, uid, rv: this.rv(t), created: this.createdBefore(name), deletion: now, labels }),
      spec: this.podSpec(app, ns, n, this.node().name),
      status: { phase: 'Running', qosClass: 'Burstable', podIP: `10.0.${rng.int(64)}.${rng.range(2, 254)}` },
    };
    return this.req({
      verb: 'delete',
      uri: pathOf(R.pods, ns, name),
      actor,
      objectRef: objectRef(R.pods, ns, name),
      status: { metadata: {}, code: 200 },
      reqObj: actor.human ? { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' } : { kind: 'DeleteOptions', apiVersion: 'v1', preconditions: { uid } },
      respObj,
      recvUs: t,
      lat: this.latency(2_000, 30_000),
    });
  }

  /** An event far over CloudWatch's limit: a threat-feed GlobalNetworkSet or a huge NetworkPolicy. */
  oversized(t: number, i: number): Req {
    const feed = i % 2 === 0;
    const r = feed ? R.calicoGns : R.netpol;
    const ns = feed ? undefined : this.appNs();
    const app = this.app(ns ?? 'default');
    const name = feed ? 'threatfeed.feodo-tracker' : `allow-${app}-partners`;
    // Units are sized so request+response objects exceed the cut point by a wide margin.
    const n = this.units(`${r.group}/${r.kind}`, 200_000, (k) => this.body(r, name, ns ?? 'default', app, k));
    return this.mutation(t, r, feed ? 'update' : 'create', {
      ns,
      app,
      name,
      actor: feed ? this.sa.intrusion! : this.humans.alice,
      dryRun: false,
      n,
      lat: this.latency(50_000, 400_000),
    });
  }

  // --- everything else: reads, leases, status, discovery ------------------------------------

  private static readonly BACKGROUND = new Table<(g: Gen, t: number) => Req>([
    [30, (g, t) => g.kubeletLease(t)],
    [6, (g, t) => g.leaderLease(t)],
    [14, (g, t) => g.read(t, 'get')],
    [6, (g, t) => g.read(t, 'list')],
    [6, (g, t) => g.watch(t)],
    [7, (g, t) => g.nonResource(t)],
    [4, (g, t) => g.nodeStatus(t)],
    [4, (g, t) => g.podStatus(t)],
    [3, (g, t) => g.secretOrConfigmap(t)],
    [2.5, (g, t) => g.workloadStatus(t)],
    [1.5, (g, t) => g.podBinding(t)],
    [1, (g, t) => g.accessReview(t)],
    [1.5, (g, t) => g.tokenReview(t)],
    [1, (g, t) => g.csr(t)],
    [1, (g, t) => g.endpointSlice(t)],
    [0.6, (g, t) => g.podStream(t)],
    [0.4, (g, t) => g.podLog(t)],
    [1, (g, t) => g.deniedOrMissing(t)],
  ]);

  background(t: number): Req {
    return Gen.BACKGROUND.pick(this.rng)(this, t);
  }

  /** Re-stamp a corpus template: new actor, names, times; shapes kept. */
  private fromTemplate(
    name: TplName,
    t: number,
    actor: Actor,
    o: { ns?: string; objName?: string; uri?: string; lat: number; status?: J; imp?: J; startedUs?: number; ref?: J },
  ): Req {
    const e = TEMPLATES[name];
    const tRef = e.objectRef as J | undefined;
    let uri = o.uri ?? (e.requestURI as string);
    let ref = tRef ? { ...tRef } : undefined;
    if (ref && o.ns && ref.namespace) {
      uri = uri.replace(`/namespaces/${ref.namespace as string}/`, `/namespaces/${o.ns}/`);
      ref.namespace = o.ns;
    }
    if (ref && o.objName && ref.name) {
      uri = uri.split(ref.name as string).join(o.objName);
      ref.name = o.objName;
    }
    if (o.ref) ref = { ...ref, ...o.ref };
    const status = o.status ?? (e.responseStatus as J);
    const code = status.code as number;
    return this.req({
      verb: e.verb as string,
      uri,
      actor,
      imp: o.imp,
      objectRef: ref,
      status,
      annotations: code === 403 ? { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' } : actor.allow,
      recvUs: t,
      lat: o.lat,
      startedUs: o.startedUs,
    });
  }

  private kubeletLease(t: number): Req {
    const node = this.node();
    return this.fromTemplate('kubeletLease', t, node.actor, {
      objName: node.name,
      lat: this.latency(1_500, 25_000),
      ref: { uid: this.stableUid(`lease/${node.name}`), resourceVersion: this.rv(t) },
    });
  }

  private leaderLease(t: number): Req {
    const rng = this.rng;
    const [name, actor] = rng.pick([
      ['kube-controller-manager', this.sys.kcm!],
      ['kube-scheduler', this.sys.scheduler!],
      ['cloud-controller-manager', this.sys.ccm!],
      ['eks-certificates-controller', this.sys.certs!],
      ['aws-load-balancer-controller-leader', this.sa.lbc!],
      ['calico-kube-controllers', this.sa.calicoKc!],
    ] as const);
    const verb = rng.chance(0.5) ? 'get' : 'update';
    const ns = name === 'calico-kube-controllers' ? 'calico-system' : 'kube-system';
    const rv = this.rv(t);
    return this.req({
      verb,
      uri: `${pathOf(R.leases, ns, name)}?timeout=5s`,
      actor,
      objectRef: verb === 'get' ? objectRef(R.leases, ns, name) : objectRef(R.leases, ns, name, this.stableUid(`lease/${ns}/${name}`), rv),
      status: { metadata: {}, code: 200 },
      level: 'Metadata', // coordination.k8s.io is not a "known API" for the EKS policy
      recvUs: t,
      lat: this.latency(800, 15_000),
      noReceived: true,
    });
  }

  private static readonly READ_TARGETS = new Table<(g: Gen, c: { ns: string; app: string; node: Node }) => ReadTarget>([
    [4, (g, c) => ({ r: R.pods, ns: c.ns, name: g.podName(c.app), actor: c.node.actor })],
    [3, (g, c) => ({ r: R.configmaps, ns: c.ns, name: `${c.app}-config`, actor: c.node.actor })],
    [2, (g, c) => ({ r: R.secrets, ns: c.ns, name: `${c.app}-secrets`, actor: c.node.actor })],
    [2, (g, c) => ({ r: R.nodes, name: c.node.name, actor: g.rng.pick([g.sa.awsNode!, g.sa.calicoNode!, g.sys.ccm!]) })],
    [2, (g, c) => ({ r: R.services, ns: c.ns, name: c.app, actor: g.rng.pick([g.sa.lbc!, g.sa.argocd!, g.humans.admin]) })],
    [2, (g, c) => ({ r: R.deployments, ns: c.ns, name: c.app, actor: g.rng.pick([g.sa.argocd!, g.sa.deployment!, g.humans.alice, g.humans.bob]) })],
    [1, (g, c) => ({ r: R.replicasets, ns: c.ns, name: `${c.app}-${g.podHash(c.app)}`, actor: g.sa.replicaset! })],
    [2, (g, c) => ({ r: R.netpol, ns: c.ns, name: `allow-${c.app}-ingress`, actor: g.rng.pick([g.sa.calicoKc!, g.sa.argocd!, g.humans.alice]) })],
    [1.5, (g, c) => ({ r: R.calicoNp, ns: c.ns, name: `${g.rng.pick(TIERS)}.allow-${c.app}`, actor: g.rng.pick([g.humans.alice, g.sa.tigeraOperator!]) })],
    [1, (g, c) => ({ r: R.calicoGnp, name: `${g.rng.pick(TIERS)}.allow-kube-dns`, actor: g.sa.tigeraOperator! })],
    [1, (g, c) => ({ r: R.felixConfigs, name: 'default', actor: g.sa.calicoNode! })],
    [1, (g, c) => ({ r: R.ipamBlocks, name: `10-0-${g.rng.int(64)}-0-26`, actor: g.sa.calicoNode! })],
    [1, (g, c) => ({ r: R.eniConfigs, name: `${g.region}a`, actor: g.sa.awsNode! })],
    [1, (g, c) => ({ r: R.namespaces, name: c.ns, actor: g.rng.pick([g.sys.apiserver!, g.sa.namespace!, g.sa.calicoKc!]) })],
    [1, (g, c) => ({ r: R.serviceaccounts, ns: c.ns, name: c.app, actor: g.rng.pick([g.sa.tokens!, g.humans.admin]) })],
    [1, (g, c) => ({ r: R.endpoints, ns: c.ns, name: c.app, actor: g.sa.coredns! })],
    [0.5, (g, c) => ({ r: R.crds, name: 'networkpolicies.crd.projectcalico.org', actor: g.sa.tigeraOperator! })],
  ]);

  private readTarget(): ReadTarget {
    const ns = this.appNs();
    return Gen.READ_TARGETS.pick(this.rng)(this, { ns, app: this.app(ns), node: this.node() });
  }

  private read(t: number, verb: 'get' | 'list'): Req {
    const rng = this.rng;
    const { r, ns, name, actor } = this.readTarget();
    if (verb === 'get' && actor.human && rng.chance(0.3)) {
      // corpus shape: kubectl get of a kube-system object (service account / configmap)
      return rng.chance(0.5)
        ? this.fromTemplate('getServiceAccount', t, actor, { lat: this.latency(800, 8_000) })
        : this.fromTemplate('getConfigmap', t, actor, { lat: this.latency(800, 8_000) });
    }
    const query = verb === 'list' ? (actor.human ? '?limit=500' : '?limit=500&resourceVersion=0') : '';
    return this.req({
      verb,
      uri: pathOf(r, ns, verb === 'get' ? name : undefined) + query,
      actor,
      objectRef: objectRef(r, ns, verb === 'get' ? name : undefined),
      status: { metadata: {}, code: 200 },
      recvUs: t,
      lat: verb === 'list' ? this.latency(2_000, 300_000) : this.latency(500, 12_000),
    });
  }

  private watch(t: number): Req {
    const rng = this.rng;
    const timeout = rng.range(300, 600);
    const lat = timeout * 1_000_000 + rng.int(900_000);
    const startedUs = this.done(t, 300 + rng.int(2_000));
    if (rng.chance(0.3)) {
      // corpus shapes: kubelet watching one configmap / its own node
      const node = this.node();
      const tpl = rng.chance(0.5) ? 'watchConfigmap' : 'watchNode';
      const objName = tpl === 'watchNode' ? node.name : rng.pick(['amazon-vpc-cni', 'kube-proxy-config', 'coredns']);
      return this.fromTemplate(tpl, t, node.actor, {
        ns: 'kube-system',
        objName,
        lat,
        startedUs,
        uri:
          pathOf(tpl === 'watchNode' ? R.nodes : R.configmaps, 'kube-system') +
          `?allowWatchBookmarks=true&fieldSelector=metadata.name%3D${objName}&resourceVersion=${this.rv(t - 600_000_000)}&timeout=${Math.floor(timeout / 60)}m${timeout % 60}s&timeoutSeconds=${timeout}&watch=true`,
      });
    }
    const { r, ns, actor } = this.readTarget();
    const allNs = rng.chance(0.5);
    return this.req({
      verb: 'watch',
      uri:
        pathOf(r, allNs ? undefined : ns) +
        `?allowWatchBookmarks=true&resourceVersion=${this.rv(t - 600_000_000)}&timeout=${Math.floor(timeout / 60)}m${timeout % 60}s&timeoutSeconds=${timeout}&watch=true`,
      actor,
      objectRef: objectRef(r, allNs ? undefined : ns),
      status: { metadata: {}, code: 200 },
      recvUs: t,
      lat,
      startedUs,
    });
  }

  private nonResource(t: number): Req {
    const rng = this.rng;
    const kind = rng.int(10);
    if (kind < 3) {
      // corpus shape: controller discovery
      const tpl = rng.chance(0.5) ? 'discoveryGroup' : 'discoveryCore';
      const group = rng.pick([
        '/apis/networking.k8s.io/v1',
        '/apis/projectcalico.org/v3',
        '/apis/coordination.k8s.io/v1',
        '/apis/apps/v1',
        '/apis/policy/v1',
        '/api/v1',
      ]);
      return this.fromTemplate(tpl, t, rng.pick([this.sa.gc!, this.sa.quota!]), { uri: `${group}?timeout=32s`, lat: this.latency(60, 900) });
    }
    const [uri, actor] = rng.pick([
      ['/healthz', this.sys.anonymous!],
      ['/livez', this.sys.anonymous!],
      ['/readyz', this.sys.anonymous!],
      ['/readyz?verbose', this.sys.k8sMetrics!],
      ['/version', this.humans.admin],
      ['/version?timeout=32s', this.sa.argocd!],
      ['/api?timeout=32s', this.humans.alice],
      ['/apis?timeout=32s', this.humans.alice],
      ['/apis', this.sa.argocd!],
      ['/openapi/v2?timeout=32s', this.humans.admin],
      ['/openapi/v3', this.sa.argocd!],
      ['/metrics', this.sa.prometheus!],
    ] as const);
    return this.req({
      verb: 'get',
      uri,
      actor,
      status: { metadata: {}, code: 200 },
      recvUs: t,
      lat: this.latency(50, 3_000),
    });
  }

  private nodeStatus(t: number): Req {
    const node = this.node();
    const hb = isoSec(Math.floor(t / 1000));
    const types = ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'];
    return this.req({
      verb: 'patch',
      uri: `${pathOf(R.nodes, undefined, node.name, 'status')}?timeout=10s`,
      actor: node.actor,
      objectRef: objectRef(R.nodes, undefined, node.name, undefined, undefined, 'status'),
      status: { metadata: {}, code: 200 },
      reqObj: {
        status: {
          '$setElementOrder/conditions': types.map((type) => ({ type })),
          conditions: types.map((type) => ({ lastHeartbeatTime: hb, type })),
        },
      },
      recvUs: t,
      lat: this.latency(1_500, 20_000),
    });
  }

  private podStatus(t: number): Req {
    const ns = this.appNs();
    const app = this.app(ns);
    const name = this.podName(app);
    const node = this.node();
    const ts = isoSec(Math.floor(t / 1000));
    const ready = this.rng.chance(0.8);
    return this.req({
      verb: 'patch',
      uri: `${pathOf(R.pods, ns, name, 'status')}`,
      actor: node.actor,
      objectRef: objectRef(R.pods, ns, name, undefined, undefined, 'status'),
      status: { metadata: {}, code: 200 },
      reqObj: {
        metadata: { uid: this.stableUid(`pod/${ns}/${name}`) },
        status: {
          '$setElementOrder/conditions': ['PodReadyToStartContainers', 'Initialized', 'Ready', 'ContainersReady', 'PodScheduled'].map((type) => ({ type })),
          conditions: [
            { lastTransitionTime: ts, status: ready ? 'True' : 'False', type: 'Ready' },
            { lastTransitionTime: ts, status: ready ? 'True' : 'False', type: 'ContainersReady' },
          ],
          containerStatuses: [
            {
              containerID: `containerd://${this.rng.hex(64)}`,
              image: `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${ns}/${app}:1.4.2`,
              imageID: `${this.account}.dkr.ecr.${this.region}.amazonaws.com/${ns}/${app}@sha256:${this.rng.hex(64)}`,
              lastState: {},
              name: app,
              ready,
              restartCount: 0,
              started: true,
              state: { running: { startedAt: ts } },
            },
          ],
          podIP: `10.0.${this.rng.int(64)}.${this.rng.range(2, 254)}`,
        },
      },
      recvUs: t,
      lat: this.latency(2_000, 25_000),
    });
  }

  private secretOrConfigmap(t: number): Req {
    const rng = this.rng;
    const ns = this.appNs();
    const app = this.app(ns);
    const pick = rng.int(5);
    if (pick === 0) return this.fromTemplate('secretCreate', t, this.humans.admin, { ns, objName: `${app}-tls`, lat: this.latency(2_000, 15_000) });
    if (pick === 1) return this.fromTemplate('secretDelete', t, this.humans.alice, { ns, objName: `${app}-tls`, lat: this.latency(2_000, 15_000) });
    if (pick === 2) return this.fromTemplate('configmapConflict', t, this.sys.addons!, { lat: this.latency(2_000, 9_000) });
    const r = pick === 3 ? R.configmaps : R.secrets;
    const name = pick === 3 ? `${app}-config` : `sh.helm.release.v1.${app}.v${rng.range(1, 40)}`;
    const verb = rng.pick(['update', 'create', 'get']);
    const actor = rng.pick([this.sa.argocd!, this.humans.admin, this.sys.addons!]);
    return this.req({
      verb,
      uri: pathOf(r, ns, verb === 'create' ? undefined : name),
      actor,
      objectRef: objectRef(r, ns, name, verb === 'update' ? this.stableUid(`${r.resource}/${ns}/${name}`) : undefined, verb === 'update' ? this.rv(t) : undefined),
      status: { metadata: {}, code: verb === 'create' ? 201 : 200 },
      reqObj: { kind: r.kind, apiVersion: 'v1', metadata: { name, namespace: ns }, data: { 'values.yaml': 'c2VjcmV0' } },
      respObj: { kind: r.kind, apiVersion: 'v1', metadata: { name, namespace: ns }, data: { 'values.yaml': 'c2VjcmV0' } },
      recvUs: t,
      lat: this.latency(1_500, 20_000),
    });
  }

  /** deployments/replicasets status updates by controllers: RequestResponse mutations Calico ignores. */
  private workloadStatus(t: number): Req {
    const rng = this.rng;
    const ns = this.appNs();
    const app = this.app(ns);
    const rs = rng.chance(0.5);
    const r = rs ? R.replicasets : R.deployments;
    const name = rs ? `${app}-${this.podHash(app)}` : app;
    const actor = rs ? this.sa.replicaset! : this.sa.deployment!;
    const uid = this.stableUid(`${r.resource}/${ns}/${name}`);
    const n = this.units('pod-spec', this.o.payloadBytes * 0.4, (k) => this.podSpec(app, ns, k));
    const replicas = rng.range(1, 6);
    const labels = { app };
    const spec = { replicas, selector: { matchLabels: labels }, template: { metadata: { creationTimestamp: null, labels }, spec: this.podSpec(app, ns, n) } };
    const gen = 1 + (fnv1a(name) % 20);
    const obj = (rv: string, ready: number): J => ({
      kind: r.kind,
      apiVersion: 'apps/v1',
      metadata: this.meta({ name, ns, uid, rv, generation: gen, created: this.createdBefore(name), labels }),
      spec,
      status: { replicas, fullyLabeledReplicas: replicas, readyReplicas: ready, availableReplicas: ready, observedGeneration: gen },
    });
    const oldRv = this.rv(t - 5_000_000);
    return this.req({
      verb: 'update',
      uri: pathOf(r, ns, name, 'status'),
      actor,
      objectRef: objectRef(r, ns, name, uid, oldRv, 'status'),
      status: { metadata: {}, code: 200 },
      reqObj: obj(oldRv, replicas),
      respObj: obj(this.rv(t), replicas),
      recvUs: t,
      lat: this.latency(2_000, 30_000),
    });
  }

  private podBinding(t: number): Req {
    const ns = this.appNs();
    const name = this.podName(this.app(ns));
    const uid = this.stableUid(`pod/${ns}/${name}`);
    return this.req({
      verb: 'create',
      uri: pathOf(R.pods, ns, name, 'binding'),
      actor: this.sys.scheduler!,
      objectRef: objectRef(R.pods, ns, name, uid, undefined, 'binding'),
      status: { metadata: {}, code: 201 },
      reqObj: { kind: 'Binding', apiVersion: 'v1', metadata: { name, namespace: ns, uid, creationTimestamp: null }, target: { kind: 'Node', name: this.node().name } },
      respObj: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 },
      recvUs: t,
      lat: this.latency(2_000, 15_000),
    });
  }

  private accessReview(t: number): Req {
    const ns = this.appNs();
    const actor = this.sa.metrics!;
    const spec = {
      resourceAttributes: { namespace: ns, verb: 'get', group: 'metrics.k8s.io', resource: 'pods' },
      user: this.humans.bob.user.username,
      groups: ['developers', 'system:authenticated'],
      uid: this.humans.bob.user.uid,
    };
    return this.req({
      verb: 'create',
      uri: `${pathOf(R.sar, undefined)}?timeout=10s`,
      actor,
      objectRef: objectRef(R.sar),
      status: { metadata: {}, code: 201 },
      reqObj: { kind: 'SubjectAccessReview', apiVersion: 'authorization.k8s.io/v1', metadata: { creationTimestamp: null }, spec, status: { allowed: false } },
      respObj: {
        kind: 'SubjectAccessReview',
        apiVersion: 'authorization.k8s.io/v1',
        metadata: { creationTimestamp: null, managedFields: [] },
        spec,
        status: { allowed: true, reason: 'RBAC: allowed by RoleBinding "developers/payments" of ClusterRole "edit" to Group "developers"' },
      },
      recvUs: t,
      lat: this.latency(300, 4_000),
    });
  }

  private tokenReview(t: number): Req {
    return this.req({
      verb: 'create',
      uri: pathOf(R.tokenreviews, undefined),
      actor: this.rng.pick([this.sa.metrics!, this.sa.lbc!, this.sa.prometheus!]),
      objectRef: objectRef(R.tokenreviews),
      status: { metadata: {}, code: 201 },
      recvUs: t,
      lat: this.latency(300, 5_000),
    });
  }

  private csr(t: number): Req {
    const rng = this.rng;
    const name = `csr-${rng.chars(K8S_ALNUM, 5)}`;
    const node = this.node();
    const verb = rng.pick(['list', 'get', 'update']);
    const csrObj = (approved: boolean): J => ({
      kind: 'CertificateSigningRequest',
      apiVersion: 'certificates.k8s.io/v1',
      metadata: this.meta({ name, uid: this.stableUid(`csr/${name}`), rv: this.rv(t), created: isoSec(Math.floor(t / 1000) - 2000) }),
      spec: {
        request: Buffer.from(`-----BEGIN CERTIFICATE REQUEST-----\n${rng.hex(600)}\n-----END CERTIFICATE REQUEST-----\n`).toString('base64'),
        signerName: 'kubernetes.io/kubelet-serving',
        usages: ['digital signature', 'server auth'],
        username: node.actor.user.username,
        groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
      },
      status: approved
        ? { conditions: [{ type: 'Approved', status: 'True', reason: 'AutoApproved', message: 'Auto approving self kubelet server certificate after SubjectAccessReview.', lastUpdateTime: isoSec(Math.floor(t / 1000)), lastTransitionTime: isoSec(Math.floor(t / 1000)) }] }
        : {},
    });
    return this.req({
      verb,
      uri: pathOf(R.csrs, undefined, verb === 'list' ? undefined : name, verb === 'update' ? 'approval' : undefined),
      actor: this.sys.certs!,
      objectRef: objectRef(R.csrs, undefined, verb === 'list' ? undefined : name, undefined, undefined, verb === 'update' ? 'approval' : undefined),
      status: { metadata: {}, code: 200 },
      reqObj: verb === 'update' ? csrObj(true) : undefined,
      respObj: verb === 'update' ? csrObj(true) : undefined,
      recvUs: t,
      lat: this.latency(1_000, 20_000),
    });
  }

  private endpointSlice(t: number): Req {
    const ns = this.appNs();
    const app = this.app(ns);
    const name = `${app}-${this.rng.chars(K8S_ALNUM, 5)}`;
    return this.req({
      verb: 'update',
      uri: pathOf(R.endpointslices, ns, name),
      actor: this.sa.endpointslice!,
      objectRef: objectRef(R.endpointslices, ns, name, this.stableUid(`eps/${ns}/${name}`), this.rv(t)),
      status: { metadata: {}, code: 200 },
      recvUs: t,
      lat: this.latency(1_500, 20_000),
    });
  }

  /** kubectl exec / attach: upgraded connections, ResponseStarted (101) then ResponseComplete. */
  private podStream(t: number): Req {
    const rng = this.rng;
    const ns = this.appNs();
    const app = this.app(ns);
    const name = this.podName(app);
    const exec = rng.chance(0.8);
    const actor = rng.pick([this.humans.admin, this.humans.alice]);
    const tpl = TEMPLATES[exec ? 'podExec' : 'podAttach'];
    const query = (tpl.requestURI as string).split('?')[1]!.replaceAll('nginx1', app);
    return this.fromTemplate(exec ? 'podExec' : 'podAttach', t, actor, {
      ns,
      objName: name,
      uri: `${pathOf(R.pods, ns, name, exec ? 'exec' : 'attach')}?${query}`,
      lat: rng.range(5, 900) * 1_000_000,
      startedUs: this.done(t, 20_000 + rng.int(40_000)),
      status: { metadata: {}, code: 101 },
    });
  }

  private podLog(t: number): Req {
    const ns = this.appNs();
    const app = this.app(ns);
    const name = this.podName(app);
    return this.req({
      verb: 'get',
      uri: `${pathOf(R.pods, ns, name, 'log')}?container=${app}&follow=true&tailLines=100`,
      actor: this.rng.pick([this.humans.admin, this.humans.alice, this.humans.bob]),
      objectRef: objectRef(R.pods, ns, name, undefined, undefined, 'log'),
      status: { metadata: {}, code: 200 },
      recvUs: t,
      lat: this.rng.range(1, 600) * 1_000_000,
    });
  }

  /** Corpus shapes: impersonated list answered 403, get answered 404 (often with RequestReceived). */
  private deniedOrMissing(t: number): Req {
    const rng = this.rng;
    if (rng.chance(0.4)) {
      const ns = this.appNs();
      const bob = this.humans.bob.user;
      return this.fromTemplate('listForbiddenImpersonated', t, this.humans.admin, {
        ns,
        imp: { username: bob.username, groups: bob.groups },
        lat: this.latency(300, 3_000),
        status: {
          metadata: {},
          status: 'Failure',
          message: `pods is forbidden: User "${bob.username as string}" cannot list resource "pods" in API group "" in the namespace "${ns}"`,
          reason: 'Forbidden',
          details: { kind: 'pods' },
          code: 403,
        },
      });
    }
    const ns = this.appNs();
    const name = `${this.app(ns)}-reader`;
    return this.fromTemplate('getNotFound', t, this.sa.argocd!, {
      ns,
      objName: name,
      lat: this.latency(300, 3_000),
      status: {
        metadata: {},
        status: 'Failure',
        message: `roles.rbac.authorization.k8s.io "${name}" not found`,
        reason: 'NotFound',
        details: { name, group: 'rbac.authorization.k8s.io', kind: 'roles' },
        code: 404,
      },
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Other EKS component streams (not audit): klog lines, authenticator logfmt, and a few JSON
// audit-looking lines, so a forwarder that ignores the stream name forwards something wrong.

function otherStreams(o: Opts, apiservers: number): ScenarioStream[] {
  const gen = new Gen(o, 4);
  const rng = gen.rng;
  const id = new Rng(o.seed, 5);
  const mk = (prefix: string): { name: string; pending: Pending[] } => ({ name: `${prefix}${id.hex(32)}`, pending: [] });
  const apis = Array.from({ length: apiservers }, () => mk('kube-apiserver-'));
  const auths = Array.from({ length: apiservers }, () => mk('authenticator-'));
  const kcm = mk('kube-controller-manager-');
  const sched = mk('kube-scheduler-');
  const ccm = mk('cloud-controller-manager-');
  const startUs = o.startMs * 1000;
  const spanUs = o.spanMs * 1000;
  const total = Math.max(20, Math.round(o.events * 0.08));
  const decoys = Math.max(3, Math.round(total * 0.03));
  let seq = 0;

  const klog = (us: number, sev: string, tid: number, file: string, msg: string): string => {
    const iso = isoMicro(us); // 2025-11-22T02:47:12.123456Z
    return `${sev}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 26)} ${String(tid).padStart(7)} ${file}] ${msg}`;
  };
  const node = (): Node => rng.pick(gen.nodes);
  const ns = (): string => rng.pick(APP_NAMESPACES);
  const pod = (n: string): string => `${rng.pick(APPS[n] ?? ['app'])}-${rng.chars(K8S_ALNUM, 10)}-${rng.chars(K8S_ALNUM, 5)}`;

  for (let i = 0; i < total; i++) {
    const us = startUs + Math.floor(rng.next() * spanUs);
    let target: { pending: Pending[] };
    let line: string;
    if (i < decoys) {
      // A real-looking, kept-shaped audit event in the wrong stream.
      target = i % 2 === 0 ? rng.pick(apis) : kcm;
      const [[evUs, ev]] = gen.stages(gen.keptMutation(us), 1) as [[number, string]];
      target.pending.push({ us: evUs, seq: seq++, message: ev });
      continue;
    }
    const which = rng.int(100);
    if (which < 38) {
      target = rng.pick(auths);
      const n = node();
      const iso = isoSec(Math.floor(us / 1000));
      const u = n.actor.user as { username: string; uid: string; extra: { arn: string[]; canonicalArn: string[] } };
      line = rng.chance(0.97)
        ? `time="${iso}" level=info msg="access granted" arn="${u.extra.canonicalArn[0]}" client="127.0.0.1:${rng.range(32768, 60999)}" groups="[system:bootstrappers system:nodes]" method=POST path=/authenticate uid="${u.uid}" username="${u.username}"`
        : `time="${iso}" level=warning msg="access denied" client="127.0.0.1:${rng.range(32768, 60999)}" error="sts getCallerIdentity failed: error from AWS (expected 200, got 403). Body: {\\"Error\\":{\\"Code\\":\\"InvalidClientTokenId\\",\\"Message\\":\\"The security token included in the request is invalid.\\"}}" method=POST path=/authenticate`;
    } else if (which < 63) {
      target = rng.pick(apis);
      const n = node();
      line = rng.pick([
        () => klog(us, 'I', 10, `controller.go:${rng.range(100, 700)}`, 'quota admission added evaluator for: leases.coordination.k8s.io'),
        () => klog(us, 'I', 10, 'alloc.go:330', `"allocated clusterIPs" service="${ns()}/${rng.pick(['web', 'api', 'cart'])}" clusterIPs={"IPv4":"172.20.${rng.int(256)}.${rng.int(256)}"}`),
        () =>
          klog(
            us,
            'I',
            10,
            'trace.go:236',
            `Trace[${rng.range(100000000, 999999999)}]: "Update" accept:application/vnd.kubernetes.protobuf, */*,audit-id:${rng.uuid()},client:${n.ip},api-group:coordination.k8s.io,api-version:v1,name:${n.name},subresource:,namespace:kube-node-lease,protocol:HTTP/2.0,resource:leases,scope:resource,url:/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n.name},user-agent:${gen.kubeletUA},verb:PUT (total time: ${rng.range(500, 2500)}ms):`,
          ),
        () => klog(us, 'W', 10, 'dispatcher.go:225', 'Failed calling webhook, failing closed vpc-resource-mutating-webhook.k8s.aws: failed calling webhook "vpc-resource-mutating-webhook.k8s.aws": context deadline exceeded'),
        () => klog(us, 'E', 10, 'status.go:71', 'apiserver received an error that is not an metav1.Status: context.deadlineExceededError{}: context deadline exceeded'),
        () => klog(us, 'I', 10, 'handler.go:286', 'Adding GroupVersion projectcalico.org v3 to ResourceManager'),
        () => klog(us, 'I', 10, 'cacher.go:847', `cacher (pods): ${rng.range(1, 20)} objects queued in incoming channel.`),
      ])();
    } else if (which < 83) {
      target = kcm;
      const n1 = ns();
      const p = pod(n1);
      line = rng.pick([
        () => klog(us, 'I', 11, 'replica_set.go:676', `"Finished syncing" logger="replicaset-controller" kind="ReplicaSet" key="${n1}/${p.slice(0, -6)}" duration="${rng.range(20, 900)}.${rng.int(1000)}µs"`),
        () =>
          klog(
            us,
            'I',
            11,
            'event.go:389',
            `"Event occurred" object="${n1}/${p.slice(0, -6)}" fieldPath="" kind="ReplicaSet" apiVersion="apps/v1" type="Normal" reason="SuccessfulCreate" message="Created pod: ${p}"`,
          ),
        () => klog(us, 'I', 11, 'garbagecollector.go:549', `"Processing item" logger="garbage-collector-controller" item="[v1/Pod, namespace: ${n1}, name: ${p}, uid: ${rng.uuid()}]" virtual=false`),
        () => klog(us, 'E', 11, 'leaderelection.go:429', 'Failed to update lock optimitically: Operation cannot be fulfilled on leases.coordination.k8s.io "kube-controller-manager": the object has been modified; please apply your changes to the latest version and try again, falling back to slow path'),
      ])();
    } else if (which < 93) {
      target = sched;
      const n1 = ns();
      line = klog(
        us,
        'I',
        12,
        'schedule_one.go:314',
        `"Successfully bound pod to node" pod="${n1}/${pod(n1)}" node="${node().name}" evaluatedNodes=${gen.nodes.length} feasibleNodes=${rng.range(1, gen.nodes.length)}`,
      );
    } else {
      target = ccm;
      const n = node();
      line = rng.chance(0.5)
        ? klog(us, 'I', 1, 'node_controller.go:431', `"Initializing node" node="${n.name}" instanceID="aws:///${gen.region}a/${n.instanceId}"`)
        : klog(us, 'I', 1, 'instances.go:102', `Node ${n.name} has provider ID aws:///${gen.region}a/${n.instanceId}`);
    }
    target.pending.push({ us, seq: seq++, message: line });
  }
  return [...apis, ...auths, kcm, sched, ccm].map((s) => ({ name: s.name, audit: false, events: finish(s.pending) }));
}
