// Real TokenReviews and SubjectAccessReviews against the project's kube-apiserver, so the
// RBAC a manifest grants (linseed.tigera.io kube_auditlogs create, auditlogs get) is what
// the emulator enforces. The emulator calls the API server as its admin, like Linseed calls
// it with its own ServiceAccount (which holds tokenreviews/subjectaccessreviews create).
import { AuthenticationV1Api, AuthorizationV1Api, KubeConfig } from '@kubernetes/client-node';

export interface KubeConnection {
  /** https://127.0.0.1:PORT of the kube-apiserver. */
  url: string;
  /** PEM bundle verifying its serving certificate. */
  caFile: string;
  /** A token allowed to create TokenReviews and SubjectAccessReviews (the admin token of scripts/services/kube-apiserver.ts). */
  token: string;
}

export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

export interface ResourceAttributes {
  resource: 'kube_auditlogs' | 'auditlogs';
  verb: 'create' | 'get';
}

export const LINSEED_API_GROUP = 'linseed.tigera.io';

export class KubeReviewer {
  private readonly authn: AuthenticationV1Api;
  private readonly authz: AuthorizationV1Api;
  private readonly sarCache = new Map<string, { allowed: boolean; until: number }>();
  /** Reviews sent, for tests that check the cache works. */
  readonly counts = { tokenReviews: 0, subjectAccessReviews: 0 };

  constructor(conn: KubeConnection, private readonly sarCacheTtlMs: number) {
    const kc = new KubeConfig();
    kc.loadFromClusterAndUser({ name: 'kube', server: conn.url, caFile: conn.caFile, skipTLSVerify: false }, { name: 'linseed', token: conn.token });
    this.authn = kc.makeApiClient(AuthenticationV1Api);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
  }

  /** The user a ServiceAccount (or any API server) token stands for; undefined when the API server does not accept it. */
  async reviewToken(token: string): Promise<UserInfo | undefined> {
    this.counts.tokenReviews++;
    const res = await this.authn.createTokenReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } } });
    const user = res.status?.user;
    if (!res.status?.authenticated || !user?.username) return undefined;
    return { username: user.username, uid: user.uid, groups: user.groups ?? [], extra: user.extra };
  }

  /** Whether `user` may `verb` `resource` in linseed.tigera.io; answers are cached like Linseed caches them (~20 s). */
  async allowed(user: UserInfo, attrs: ResourceAttributes): Promise<boolean> {
    const key = JSON.stringify([user.username, user.uid ?? '', [...user.groups].sort(), user.extra ?? {}, attrs.resource, attrs.verb]);
    const now = Date.now();
    const hit = this.sarCache.get(key);
    if (hit && hit.until > now) return hit.allowed;
    this.counts.subjectAccessReviews++;
    const res = await this.authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: {
          user: user.username,
          uid: user.uid,
          groups: user.groups,
          extra: user.extra,
          resourceAttributes: { group: LINSEED_API_GROUP, resource: attrs.resource, verb: attrs.verb },
        },
      },
    });
    const allowed = res.status?.allowed === true;
    this.sarCache.set(key, { allowed, until: now + this.sarCacheTtlMs });
    return allowed;
  }

  clearCache(): void {
    this.sarCache.clear();
  }
}
