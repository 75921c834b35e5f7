import { mkdtempSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { forwarderEnv, grantForwarderAccess } from '../../scripts/services/linseed/access.js';
import { BULK_PATH, NDJSON, startLinseedEmulator, type LinseedEmulator } from '../../scripts/services/linseed/index.js';

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
export async function startLinseedWorld(opts: { paging?: 'search_after' | 'startFrom' } = {}): Promise<LinseedWorld> {
  const kube = await kubeApiserver.start();
  const access = await grantForwarderAccess(kube.kubeconfig);
  const linseed = await startLinseedEmulator({ elasticUrl: process.env.ELASTIC_URL!, kube, paging: opts.paging });
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

/** Writes audit documents through the emulator's bulk API as another writer would (the operator's forwarder), 2,000 a request. */
export async function postAuditDocuments(world: LinseedWorld, cluster: string, docs: readonly Record<string, unknown>[]): Promise<void> {
  const file = (name: string) => readFileSync(world.env[name]!);
  const agent = new Agent({ keepAlive: true, ca: file('LINSEED_CA_PATH'), cert: file('TLS_CRT_PATH'), key: file('TLS_KEY_PATH') });
  const headers = { 'content-type': NDJSON, authorization: `Bearer ${readFileSync(world.tokenFile, 'utf8').trim()}`, 'x-cluster-id': cluster };
  try {
    for (let i = 0; i < docs.length; i += 2_000) {
      const body = docs.slice(i, i + 2_000).map((d) => `${JSON.stringify(d)}\n`).join('');
      const answer = await new Promise<{ status?: number; text: string }>((resolve, reject) => {
        const req = request(new URL(BULK_PATH, world.linseed.url), { method: 'POST', agent, headers }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
        });
        req.on('error', reject);
        req.end(body);
      });
      if (answer.status !== 200 || (JSON.parse(answer.text) as { failed: number }).failed > 0) throw new Error(`Linseed emulator answered ${answer.status}: ${answer.text.slice(0, 300)}`);
    }
  } finally {
    agent.destroy();
  }
}
