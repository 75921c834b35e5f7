// Text the generator writes: RFC3339 timestamps, and JSON the way kube-apiserver and kubectl write it.

/** A JSON object. */
export type J = Record<string, unknown>;

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
export function isoMicro(us: number): string {
  const sec = Math.floor(us / 1_000_000);
  return `${secondPrefix(sec)}.${String(us - sec * 1_000_000).padStart(6, '0')}Z`;
}

export function isoSec(ms: number): string {
  return `${secondPrefix(Math.floor(ms / 1000))}Z`;
}

/** Go's encoding/json escapes these (kube-apiserver writes `\u0026` in request URIs). */
export function goJsonString(s: string): string {
  const j = JSON.stringify(s);
  return s.includes('&') || s.includes('<') || s.includes('>')
    ? j.replace(/[&<>]/g, (c) => (c === '&' ? '\\u0026' : c === '<' ? '\\u003c' : '\\u003e'))
    : j;
}

const jsonCache = new WeakMap<object, string>();
/** JSON of an object shared by many events (users, authorization annotations). */
export function sharedJson(o: object): string {
  let s = jsonCache.get(o);
  if (s === undefined) {
    s = JSON.stringify(o);
    jsonCache.set(o, s);
  }
  return s;
}

/** JSON with sorted keys and undefined members dropped, as in kubectl's last-applied-configuration. */
export function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v && typeof v === 'object') {
    const keys = Object.keys(v as J)
      .filter((k) => (v as J)[k] !== undefined)
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${sortedJson((v as J)[k])}`).join(',')}}`;
  }
  return JSON.stringify(v);
}
