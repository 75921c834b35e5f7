// Linseed-signed tokens, the credential of a managed cluster (Calico Cloud, multi-cluster
// management). The management cluster's Linseed issues them for a named ServiceAccount of the
// managed cluster; the forwarder reads one from /var/run/secrets/tigera.io/linseed/token and
// sends it as a bearer token through the guardian proxy. Linseed recognises its own tokens by
// the issuer, verifies the RS256 signature with its key, and takes tenant and cluster from the
// claims rather than from headers.
//
// Claim layout (an assumption, see the report): `iss` = "linseed.tigera.io",
// `sub` = "<tenant>:<cluster>:<namespace>:<serviceaccount>", `exp`/`iat`/`nbf` in seconds.
import { createPublicKey, createSign, createVerify, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { z } from 'zod';

export const LINSEED_ISSUER = 'linseed.tigera.io';

export interface ManagedTokenClaims {
  /** '' for a single-tenant management cluster. */
  tenant: string;
  cluster: string;
  serviceAccount: { namespace: string; name: string };
  /** Lifetime from now; negative for a token that is already expired. */
  expiresInSeconds: number;
}

export interface ManagedIdentity {
  tenant: string;
  cluster: string;
  namespace: string;
  name: string;
  /** The Kubernetes user name the token stands for, used for the SubjectAccessReview. */
  username: string;
  groups: string[];
}

export function generateSigningKey(): { privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKeyPem: publicKey };
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** A token as the management cluster's Linseed would issue it for a managed cluster's ServiceAccount. */
export function signManagedClusterToken(privateKeyPem: string, c: ManagedTokenClaims, nowMs = Date.now()): string {
  for (const part of [c.tenant, c.cluster, c.serviceAccount.namespace, c.serviceAccount.name]) {
    if (part.includes(':')) throw new Error(`a token subject part may not contain ':' (${part})`);
  }
  const now = Math.floor(nowMs / 1000);
  const header = { alg: 'RS256', typ: 'JWT' };
  const payload = {
    iss: LINSEED_ISSUER,
    sub: [c.tenant, c.cluster, c.serviceAccount.namespace, c.serviceAccount.name].join(':'),
    iat: now,
    nbf: now - 1,
    exp: now + c.expiresInSeconds,
  };
  const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const signature = createSign('RSA-SHA256').update(signingInput).sign(privateKeyPem);
  return `${signingInput}.${b64url(signature)}`;
}

const Header = z.object({ alg: z.string(), typ: z.string().optional() });
const Payload = z.object({
  iss: z.string().optional(),
  sub: z.string().optional(),
  exp: z.number().optional(),
  nbf: z.number().optional(),
});

function decodePart<T>(part: string | undefined, schema: z.ZodType<T>): T | undefined {
  if (!part) return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a bearer token claims to be Linseed's own (decides which authenticator checks it; proves nothing). */
export function claimsLinseedIssuer(token: string): boolean {
  return decodePart(token.split('.')[1], Payload)?.iss === LINSEED_ISSUER;
}

export type VerifyResult = { ok: true; identity: ManagedIdentity } | { ok: false; reason: string };

/** Verify a Linseed-issued token: RS256 only (no `none`, no HMAC confusion), signature, issuer, time window. */
export function verifyManagedClusterToken(token: string, publicKey: string | KeyObject, nowMs = Date.now()): VerifyResult {
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false, reason: 'malformed token' };
  const [h, p, s] = parts as [string, string, string];
  const header = decodePart(h, Header);
  const payload = decodePart(p, Payload);
  if (!header || !payload) return { ok: false, reason: 'malformed token' };
  if (header.alg !== 'RS256') return { ok: false, reason: `unsupported signing algorithm ${header.alg}` };
  const key = typeof publicKey === 'string' ? createPublicKey(publicKey) : publicKey;
  if (!createVerify('RSA-SHA256').update(`${h}.${p}`).verify(key, Buffer.from(s, 'base64url'))) return { ok: false, reason: 'invalid token signature' };
  if (payload.iss !== LINSEED_ISSUER) return { ok: false, reason: 'invalid token issuer' };
  const now = nowMs / 1000;
  if (payload.exp === undefined || payload.exp <= now) return { ok: false, reason: 'token is expired' };
  if (payload.nbf !== undefined && payload.nbf > now) return { ok: false, reason: 'token is not valid yet' };
  const sub = (payload.sub ?? '').split(':');
  if (sub.length !== 4 || !sub[1] || !sub[2] || !sub[3]) return { ok: false, reason: 'invalid token subject' };
  const [tenant, cluster, namespace, name] = sub as [string, string, string, string];
  return {
    ok: true,
    identity: {
      tenant,
      cluster,
      namespace,
      name,
      username: `system:serviceaccount:${namespace}:${name}`,
      groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
    },
  };
}
