import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuthorizationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import { waitFor } from '../cache.js';
import type { LinseedEmulator } from './index.js';

export const FORWARDER_NAMESPACE = 'eks-log-forwarder';
export const FORWARDER_SERVICE_ACCOUNT = 'eks-log-forwarder';
const ROLE = 'eks-log-forwarder-linseed';

/** What the forwarder's ServiceAccount can do once granted: mint itself tokens, as the kubelet would. */
export interface ForwarderAccess {
  /** A fresh ServiceAccount token (an hour), as the kubelet's projected volume rotates them. */
  newToken(): Promise<string>;
}

/**
 * Gives the forwarder's ServiceAccount what deploy/overlays/linseed grants (linseed.tigera.io
 * kube_auditlogs create, auditlogs get) on a real kube-apiserver, and waits until the authorizer
 * allows it: Linseed caches a denial for about 20 s. Objects already there are kept.
 */
export async function grantForwarderAccess(kubeconfig: string): Promise<ForwarderAccess> {
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await keep(core.createNamespace({ body: { metadata: { name: FORWARDER_NAMESPACE } } }));
  await keep(core.createNamespacedServiceAccount({ namespace: FORWARDER_NAMESPACE, body: { metadata: { name: FORWARDER_SERVICE_ACCOUNT } } }));
  await keep(
    rbac.createClusterRole({
      body: {
        metadata: { name: ROLE },
        rules: [
          { apiGroups: ['linseed.tigera.io'], resources: ['kube_auditlogs'], verbs: ['create'] },
          { apiGroups: ['linseed.tigera.io'], resources: ['auditlogs'], verbs: ['get'] },
        ],
      },
    }),
  );
  await keep(
    rbac.createClusterRoleBinding({
      body: {
        metadata: { name: ROLE },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: ROLE },
        subjects: [{ kind: 'ServiceAccount', namespace: FORWARDER_NAMESPACE, name: FORWARDER_SERVICE_ACCOUNT }],
      },
    }),
  );
  // The authorizer sees bindings through an informer.
  const authz = kc.makeApiClient(AuthorizationV1Api);
  const allowed = async () =>
    (
      await authz.createSubjectAccessReview({
        body: {
          spec: {
            user: `system:serviceaccount:${FORWARDER_NAMESPACE}:${FORWARDER_SERVICE_ACCOUNT}`,
            groups: ['system:serviceaccounts'],
            resourceAttributes: { group: 'linseed.tigera.io', resource: 'kube_auditlogs', verb: 'create' },
          },
        },
      })
    ).status?.allowed === true;
  await waitFor(`the RBAC binding ${ROLE} to take effect`, 30_000, async () => ((await allowed()) ? true : undefined));
  return {
    newToken: async () =>
      (
        await core.createNamespacedServiceAccountToken({
          name: FORWARDER_SERVICE_ACCOUNT,
          namespace: FORWARDER_NAMESPACE,
          body: { spec: { audiences: [], expirationSeconds: 3600 } },
        })
      ).status!.token,
  };
}

/** A create that found the object already there is fine: `up` may run over an earlier one. */
async function keep(created: Promise<unknown>): Promise<void> {
  try {
    await created;
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

/** The forwarder's environment for an emulator, as deploy/overlays/linseed mounts it: client keypair, CA, token file. */
export async function forwarderEnv(linseed: LinseedEmulator, access: ForwarderAccess, dir: string): Promise<{ env: Record<string, string>; tokenFile: string }> {
  const { certFile, keyFile } = await linseed.issueClientCertificate(dir, FORWARDER_SERVICE_ACCOUNT);
  const tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, await access.newToken(), { mode: 0o600 });
  return {
    tokenFile,
    env: {
      EKS_FORWARDER_SINK: 'linseed',
      LINSEED_ENDPOINT: linseed.url,
      LINSEED_CA_PATH: linseed.caFile,
      TLS_CRT_PATH: certFile,
      TLS_KEY_PATH: keyFile,
      LINSEED_TOKEN: tokenFile,
    },
  };
}
