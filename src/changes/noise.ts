/**
 * What a diff leaves out by default: fields the API server or the client rewrite on every write
 * (managedFields, resourceVersion, generation, kubectl's last-applied-configuration), which say
 * nothing about what a person changed.
 */

const LAST_APPLIED = 'kubectl.kubernetes.io/last-applied-configuration';

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => !!v && typeof v === 'object' && !Array.isArray(v);

/** A copy of `object` without the noise fields (the input is not touched). */
export function withoutNoise(object: Json): Json {
  const metadata = isObject(object.metadata) ? { ...object.metadata } : undefined;
  if (!metadata) return object;
  delete metadata.managedFields;
  delete metadata.resourceVersion;
  delete metadata.generation;
  if (isObject(metadata.annotations) && LAST_APPLIED in metadata.annotations) {
    const { [LAST_APPLIED]: _dropped, ...rest } = metadata.annotations;
    if (Object.keys(rest).length > 0) metadata.annotations = rest;
    else delete metadata.annotations;
  }
  return { ...object, metadata };
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (!isObject(a) || !isObject(b)) return false;
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => k in b && jsonEqual(a[k], b[k]));
}

/**
 * Whether two versions differ only in noise and `status` (what controllers write back, not
 * what a person changed). Both must exist: a create or a delete is never noise.
 */
export function isNoiseOnly(before: Json | undefined, after: Json | undefined): boolean {
  if (!before || !after) return false;
  const { status: _b, ...b } = withoutNoise(before);
  const { status: _a, ...a } = withoutNoise(after);
  return jsonEqual(a, b);
}
