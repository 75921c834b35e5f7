// The Linseed emulator as a process of its own, for `npm run linseed:up` (the tests start it in
// their own process instead). It reads ELASTIC_URL, KUBECONFIG, KUBE_API_URL, KUBE_CA_FILE,
// KUBE_ADMIN_TOKEN and LINSEED_DIR, grants the forwarder's ServiceAccount its RBAC, writes the
// forwarder's client keypair and token into LINSEED_DIR, and last `env.json` (its readiness).
// It renews the token as the kubelet would, and closes on SIGTERM.
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forwarderEnv, grantForwarderAccess } from './access.js';
import { startLinseedEmulator } from './index.js';

/** Tokens last an hour; the kubelet renews at 80 % of that. */
const RENEW_TOKEN_MS = 48 * 60_000;

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const dir = need('LINSEED_DIR');
const kubeconfig = need('KUBECONFIG');
const access = await grantForwarderAccess(kubeconfig);
const linseed = await startLinseedEmulator({
  elasticUrl: need('ELASTIC_URL'),
  kube: { url: need('KUBE_API_URL'), caFile: need('KUBE_CA_FILE'), adminToken: need('KUBE_ADMIN_TOKEN') },
});
const { env, tokenFile } = await forwarderEnv(linseed, access, dir);
const renew = setInterval(() => {
  access.newToken().then(
    (token) => writeFileSync(tokenFile, token, { mode: 0o600 }),
    (err: Error) => process.stderr.write(`token renewal failed: ${err.message}\n`),
  );
}, RENEW_TOKEN_MS);
writeFileSync(join(dir, 'env.json.tmp'), JSON.stringify(env));
renameSync(join(dir, 'env.json.tmp'), join(dir, 'env.json'));
process.stderr.write(`Linseed emulator serving at ${linseed.url}\n`);

process.once('SIGTERM', () => {
  clearInterval(renew);
  void linseed.close().finally(() => process.exit(0));
});
