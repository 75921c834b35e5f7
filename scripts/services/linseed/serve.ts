// The Linseed emulator as a process of its own, for `npm run linseed:up` (the tests start it in
// their own process instead). It reads ELASTIC_URL, KUBECONFIG, KUBE_API_URL, KUBE_CA_FILE,
// KUBE_ADMIN_TOKEN and LINSEED_DIR, grants the forwarder's ServiceAccount its RBAC, writes the
// forwarder's client keypair and token into LINSEED_DIR, and last `env.json` (its readiness).
// It renews the token as the kubelet would, and closes on SIGTERM.
import { join } from 'node:path';
import { forwarderEnv, grantForwarderAccess } from './access.js';
import { startLinseedEmulator } from './index.js';
import { writeAtomically } from './pki.js';

/** Tokens last an hour; the kubelet renews at 80 % of that. */
const RENEW_TOKEN_MS = 48 * 60_000;

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const dir = need('LINSEED_DIR');
let closing: (() => Promise<void>) | undefined;
// Installed first: a stop while starting still closes the emulator (and removes its keys).
process.once('SIGTERM', () => {
  void (closing?.() ?? Promise.resolve()).finally(() => process.exit(0));
});

const kubeconfig = need('KUBECONFIG');
const access = await grantForwarderAccess(kubeconfig);
const linseed = await startLinseedEmulator({
  elasticUrl: need('ELASTIC_URL'),
  kube: { url: need('KUBE_API_URL'), caFile: need('KUBE_CA_FILE'), adminToken: need('KUBE_ADMIN_TOKEN') },
});
let renewal: NodeJS.Timeout | undefined;
closing = async () => {
  clearTimeout(renewal);
  await linseed.close();
};
const { env, tokenFile } = await forwarderEnv(linseed, access, dir);
/** Renews the token file in place (never half-written: the forwarder reads it for every request); a failure is tried again soon. */
const renew = (): void => {
  access.newToken().then(
    (token) => {
      writeAtomically(tokenFile, token, 0o600);
      renewal = setTimeout(renew, RENEW_TOKEN_MS);
    },
    (err: Error) => {
      process.stderr.write(`token renewal failed, trying again in 30 s: ${err.message}\n`);
      renewal = setTimeout(renew, 30_000);
    },
  );
};
renewal = setTimeout(renew, RENEW_TOKEN_MS);
writeAtomically(join(dir, 'env.json'), JSON.stringify(env));
process.stderr.write(`Linseed emulator serving at ${linseed.url}\n`);
