// Who is calling and may they: the emulator's authentication and authorization, in Linseed's
// order. A bearer token on every request; Linseed's own tokens (managed clusters) are verified
// locally by signature, any other token by a TokenReview; then a SubjectAccessReview on
// linseed.tigera.io for the route. Tenant and cluster come from a Linseed token's claims, or
// else from the x-tenant-id / x-cluster-id headers.
import type { Faults } from './faults.js';
import type { KubeReviewer, ResourceAttributes, UserInfo } from './kube-review.js';
import { claimsLinseedIssuer, verifyManagedClusterToken } from './managed-token.js';

export interface Caller {
  user: UserInfo;
  /** Set for a Linseed-issued (managed cluster) token. */
  managed?: { tenant: string; cluster: string };
}

export type Denied = { status: 401 | 403; msg: string };
export type Outcome<T> = { ok: true; value: T } | ({ ok: false } & Denied);

export interface AuthOptions {
  reviewer: KubeReviewer;
  /** Verifies Linseed-issued tokens. */
  tokenPublicKey: string;
  faults: Faults;
  /** The tenant this Linseed serves ('' for none). */
  tenant: string;
}

const deny = (status: 401 | 403, msg: string): { ok: false } & Denied => ({ ok: false, status, msg });

export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m?.[1];
}

/** 401 unless the token is good; errors reaching the API server propagate (the caller answers 500). */
export async function authenticate(o: AuthOptions, authorization: string | undefined): Promise<Outcome<Caller>> {
  const token = bearerToken(authorization);
  if (!token) return deny(401, 'no bearer token in the Authorization header');
  if (o.faults.tokenExpired(token)) return deny(401, 'token has expired');
  if (claimsLinseedIssuer(token)) {
    const v = verifyManagedClusterToken(token, o.tokenPublicKey);
    if (!v.ok) return deny(401, v.reason);
    const { username, groups, tenant, cluster } = v.identity;
    return { ok: true, value: { user: { username, groups }, managed: { tenant, cluster } } };
  }
  const user = await o.reviewer.reviewToken(token);
  if (!user) return deny(401, 'token is not valid');
  return { ok: true, value: { user } };
}

/** The tenant a request acts for must be the one this Linseed serves. */
export function checkTenant(o: AuthOptions, caller: Caller, tenantHeader: string | undefined): Outcome<string> {
  const tenant = caller.managed ? caller.managed.tenant : (tenantHeader ?? '');
  if (tenant !== o.tenant) return deny(401, 'Bad tenant identifier');
  return { ok: true, value: tenant };
}

/** The cluster whose logs a request writes or reads. */
export function clusterOf(caller: Caller, clusterHeader: string | undefined): string {
  return caller.managed?.cluster ?? (clusterHeader || 'cluster');
}

export async function authorize(o: AuthOptions, caller: Caller, attrs: ResourceAttributes): Promise<Outcome<true>> {
  if (await o.reviewer.allowed(caller.user, attrs)) return { ok: true, value: true };
  return deny(403, `${caller.user.username} is not authorized to ${attrs.verb} ${attrs.resource}.linseed.tigera.io`);
}
