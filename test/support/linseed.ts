import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { forwarderEnv, grantForwarderAccess } from '../../scripts/services/linseed/access.js';
import { startLinseedEmulator, type LinseedEmulator } from '../../scripts/services/linseed/index.js';

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
  const access = await grantForwarderAccess(kube.kubeconfig);
  const linseed = await startLinseedEmulator({ elasticUrl: process.env.ELASTIC_URL!, kube });
  const { env, tokenFile } = await forwarderEnv(linseed, access, mkdtempSync(path.join(os.tmpdir(), 'eksfwd-linseed-')));
  return {
    kube,
    linseed,
    env,
    tokenFile,
    newToken: access.newToken,
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
