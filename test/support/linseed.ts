import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AuthorizationV1Api, CoreV1Api, KubeConfig, RbacAuthorizationV1Api } from '@kubernetes/client-node';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { startLinseedEmulator, type LinseedEmulator } from '../../scripts/services/linseed/index.js';
import { eventually } from './elastic.js';

const NS = 'eks-log-forwarder';
const SA = 'eks-log-forwarder';

/** The Linseed emulator over the real kube-apiserver, and what the forwarder needs to reach it. */
export interface LinseedWorld {
  kube: kubeApiserver.KubeApiServer;
  linseed: LinseedEmulator;
  /** LINSEED_*, TLS_* and the token file, as deploy/overlays/linseed mounts them. */
  env: Record<string, string>;
  tokenFile: string;
  /** A fresh ServiceAccount token (the kubelet's rotation). */
  newToken(): Promise<string>;
  close(): Promise<void>;
}

/**
 * A kube-apiserver with the forwarder's ServiceAccount and the RBAC deploy/overlays/linseed grants
 * (linseed.tigera.io kube_auditlogs create, auditlogs get), a Linseed emulator checking its token
 * and permission against it, and a client certificate signed by the emulator's client CA.
 */
export async function startLinseedWorld(): Promise<LinseedWorld> {
  const kube = await kubeApiserver.start();
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const rbac = kc.makeApiClient(RbacAuthorizationV1Api);
  await core.createNamespace({ body: { metadata: { name: NS } } });
  await core.createNamespacedServiceAccount({ namespace: NS, body: { metadata: { name: SA } } });
  await rbac.createClusterRole({
    body: {
      metadata: { name: 'eks-log-forwarder-linseed' },
      rules: [
        { apiGroups: ['linseed.tigera.io'], resources: ['kube_auditlogs'], verbs: ['create'] },
        { apiGroups: ['linseed.tigera.io'], resources: ['auditlogs'], verbs: ['get'] },
      ],
    },
  });
  await rbac.createClusterRoleBinding({
    body: {
      metadata: { name: 'eks-log-forwarder-linseed' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-log-forwarder-linseed' },
      subjects: [{ kind: 'ServiceAccount', namespace: NS, name: SA }],
    },
  });
  // The authorizer sees bindings through an informer: wait, or Linseed could cache a denial.
  const authz = kc.makeApiClient(AuthorizationV1Api);
  await eventually(
    async () =>
      (
        await authz.createSubjectAccessReview({
          body: { spec: { user: `system:serviceaccount:${NS}:${SA}`, groups: ['system:serviceaccounts'], resourceAttributes: { group: 'linseed.tigera.io', resource: 'kube_auditlogs', verb: 'create' } } },
        })
      ).status?.allowed === true,
    'the RBAC binding to take effect',
    30_000,
  );
  const linseed = await startLinseedEmulator({ elasticUrl: process.env.ELASTIC_URL!, kube });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-linseed-'));
  const { certFile, keyFile } = await linseed.issueClientCertificate(dir, 'eks-log-forwarder');
  const tokenFile = path.join(dir, 'token');
  const newToken = async () => (await core.createNamespacedServiceAccountToken({ name: SA, namespace: NS, body: { spec: { audiences: [], expirationSeconds: 3600 } } })).status!.token;
  writeFileSync(tokenFile, await newToken(), { mode: 0o600 });
  const env = {
    EKS_FORWARDER_SINK: 'linseed',
    LINSEED_ENDPOINT: linseed.url,
    LINSEED_CA_PATH: linseed.caFile,
    TLS_CRT_PATH: certFile,
    TLS_KEY_PATH: keyFile,
    LINSEED_TOKEN: tokenFile,
  };
  return {
    kube,
    linseed,
    env,
    tokenFile,
    newToken,
    async close() {
      await linseed.close();
      await kube.stop();
    },
  };
}

/** The forwarder's environment for a seeded cluster, writing through Linseed instead of to Elasticsearch. */
export function throughLinseed(env: Record<string, string>, world: LinseedWorld, cluster: string): Record<string, string> {
  const { ELASTIC_URL: _elastic, ELASTIC_INDEX_SUFFIX: _suffix, ...rest } = env;
  return { ...rest, ...world.env, LINSEED_CLUSTER_ID: cluster };
}
