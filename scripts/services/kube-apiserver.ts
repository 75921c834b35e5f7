// A real kube-apiserver + etcd on loopback for the in-cluster integration tests, no Docker.
// Both are built from the Go module proxy by the wrapper module in ./kube (go.mod pins
// k8s.io/kubernetes, etcd and every staging module) and cached outside the repo, keyed by version.
//
// What this cluster has and lacks: the API, RBAC, admission, ServiceAccounts and the TokenRequest
// API (`kubectl create token`) are real. There is no controller-manager, scheduler or kubelet:
// new namespaces get no `default` ServiceAccount, deleted namespaces stay Terminating, pods never
// run. Create the ServiceAccounts a test needs explicitly. The aggregated ClusterRoles (view,
// edit, admin) have no rules either (the controller-manager fills them in): bind a test's own
// Role/ClusterRole, e.g. the forwarder's manifest, not `view`.
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitReady, cacheDir, freePort, isAlive, log, makeTempDir, readFileSafe, run, runDir, spawnService, stopGroup, tryGet, withLock, type StartOptions } from './cache.js';

/** The wrapper Go module: its go.mod is the single source of the versions. */
const MODULE_DIR = fileURLToPath(new URL('./kube/', import.meta.url));
const goMod = (): string => readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8');

function required(module: string): string {
  const m = new RegExp(`^\\s*${module.replace(/[./]/g, '\\$&')}\\s+(v\\S+)`, 'm').exec(goMod());
  if (!m?.[1]) throw new Error(`${module} is not required in ${MODULE_DIR}go.mod`);
  return m[1];
}

export const kubeVersion = (): string => required('k8s.io/kubernetes');
export const etcdVersion = (): string => required('go.etcd.io/etcd/server/v3');

const home = (): string => cacheDir(`kube-${kubeVersion()}`);
const binDir = (): string => join(home(), 'bin');
export const apiserverBin = (): string => join(binDir(), 'kube-apiserver');
export const etcdBin = (): string => join(binDir(), 'etcd');
const marker = (): string => join(home(), 'installed');
// The marker records what was built: a changed go.mod or go.sum (e.g. a bumped etcd) means rebuild.
const fingerprint = (): string =>
  createHash('sha256')
    .update(goMod())
    .update(readFileSync(join(MODULE_DIR, 'go.sum')))
    .digest('hex');

const installed = (): boolean => existsSync(apiserverBin()) && existsSync(etcdBin()) && readFileSafe(marker()) === fingerprint();

/** Build kube-apiserver and etcd into the cache, unless this version is already there. */
export async function install(): Promise<void> {
  if (installed()) return;
  await withLock('kube', async () => {
    if (installed()) return; // another process finished it meanwhile
    const started = Date.now();
    const version = kubeVersion();
    const logFile = join(home(), 'install.log');
    log(`building kube-apiserver ${version} and etcd ${etcdVersion()} into ${binDir()} (log: ${logFile}); 5-15 minutes cold`);
    rmSync(marker(), { force: true });
    writeFileSync(logFile, '');
    const out = join(home(), `bin.tmp-${process.pid}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CGO_ENABLED: '0',
      GOWORK: 'off', // a go.work higher up must not pull this module into something else
      GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly -buildvcs=false`.trim(),
    };
    // What upstream's hack/lib/version.sh stamps, so `kubectl version` and the user agent are right.
    const [major, minor] = version.replace(/^v/, '').split('.');
    const stamp = (pkg: string): string[] => [
      `-X ${pkg}.gitVersion=${version}`,
      `-X ${pkg}.gitMajor=${major}`,
      `-X ${pkg}.gitMinor=${minor}`,
      `-X ${pkg}.gitTreeState=clean`,
      `-X ${pkg}.buildDate=1970-01-01T00:00:00Z`,
    ];
    const ldflags = ['-s', '-w', ...stamp('k8s.io/component-base/version'), ...stamp('k8s.io/client-go/pkg/version')].join(' ');
    const build = (output: string, pkg: string): Promise<void> =>
      run('go', ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', join(out, output), pkg], logFile, { cwd: MODULE_DIR, env });
    try {
      await run('go', ['version'], logFile, { cwd: MODULE_DIR, env });
    } catch (e) {
      throw new Error(`Go is needed to build kube-apiserver (go.mod says which version): ${(e as Error).message}`);
    }
    try {
      await build('kube-apiserver', 'k8s.io/kubernetes/cmd/kube-apiserver');
      await build('etcd', 'go.etcd.io/etcd/server/v3'); // etcd 3.5's server module is itself the etcd main package
      rmSync(binDir(), { recursive: true, force: true });
      renameSync(out, binDir());
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    writeFileSync(marker(), fingerprint());
    log(`kube-apiserver and etcd built in ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  });
}

/** What a running pair needs to be used and, from another process, stopped. */
export interface KubeApiServerInfo {
  /** https://127.0.0.1:PORT */
  url: string;
  /** Admin kubeconfig (system:masters via the static token; CA = the generated serving cert). */
  kubeconfig: string;
  /** Bearer token of user `admin`, group `system:masters`. */
  adminToken: string;
  /** PEM bundle that verifies the serving certificate (valid for 127.0.0.1 and localhost). */
  caFile: string;
  /** Service-account issuer the API server signs tokens with. */
  serviceAccountIssuer: string;
  pid: number;
  logFile: string;
  etcdUrl: string;
  etcdPid: number;
  etcdLogFile: string;
  /** Scratch data (etcd data, keys, certs, kubeconfig), removed by stop(). */
  dataDir: string;
  /** The audit log, when started with an audit policy. */
  auditLogFile?: string;
}

export interface KubeApiServer extends KubeApiServerInfo {
  stop(): Promise<void>;
}

/** A handle for a running pair; the CLI rebuilds one from its state file to stop it. */
export function kubeHandle(s: KubeApiServerInfo): KubeApiServer {
  return {
    ...s,
    async stop() {
      // The API server first, so it does not spend its shutdown retrying a vanished etcd.
      await stopGroup(s.pid, { graceMs: 20_000, cleanup: [s.logFile] });
      await stopGroup(s.etcdPid, { graceMs: 10_000, cleanup: [s.etcdLogFile, s.dataDir] });
    },
  };
}

/** Both processes alive and /readyz ok. */
export async function healthy(s: KubeApiServerInfo): Promise<boolean> {
  return isAlive(s.pid) && isAlive(s.etcdPid) && (await ready(s.url, s.caFile, s.adminToken)) === true;
}

const TLS_TRUST_ERRORS = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'ERR_TLS_CERT_ALTNAME_INVALID', 'CERT_HAS_EXPIRED']);

/**
 * GET /readyz, verifying the server against `caFile` (so the kubeconfig's CA is proven too).
 * undefined while nothing answers or not ready yet; throws when the certificate does not verify.
 */
export function ready(url: string, caFile: string, token: string): Promise<true | undefined> {
  const ca = readFileSafe(caFile);
  if (!ca) return Promise.resolve(undefined); // the API server writes it just before serving
  return new Promise((resolve, reject) => {
    const req = request(`${url}/readyz`, { ca, headers: { authorization: `Bearer ${token}` }, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 && body.trim() === 'ok' ? true : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code && TLS_TRUST_ERRORS.has(e.code)) reject(new Error(`kube-apiserver certificate does not verify against ${caFile}: ${e.message}`));
      else resolve(undefined);
    });
    req.end();
  });
}

async function etcdReady(url: string): Promise<true | undefined> {
  const res = await tryGet(`${url}/health`);
  return res?.status === 200 && (JSON.parse(res.body) as { health?: string }).health === 'true' ? true : undefined;
}

function kubeconfigYaml(url: string, caPem: string, token: string): string {
  const b64 = Buffer.from(caPem).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: it',
    '  cluster:',
    `    server: ${JSON.stringify(url)}`,
    `    certificate-authority-data: ${b64}`,
    'users:',
    '- name: admin',
    '  user:',
    `    token: ${JSON.stringify(token)}`,
    'contexts:',
    '- name: it',
    '  context:',
    '    cluster: it',
    '    user: admin',
    '    namespace: default',
    'current-context: it',
    '',
  ].join('\n');
}

export interface KubeStartOptions extends StartOptions {
  /** An audit policy (YAML): the API server then writes its audit log to `auditLogFile`, one JSON event per line. */
  auditPolicy?: string;
}

export async function start(opts: KubeStartOptions = {}): Promise<KubeApiServer> {
  await install();
  const detached = !!opts.detached;
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const tmp = makeTempDir('kube');
  const [clientPort, peerPort, securePort] = await distinctFreePorts(3);
  const etcdUrl = `http://127.0.0.1:${clientPort}`;
  const peerUrl = `http://127.0.0.1:${peerPort}`;
  const etcdLogFile = join(runDir(), `etcd-${clientPort}.log`);
  const logFile = join(runDir(), `kube-apiserver-${securePort}.log`);
  writeFileSync(etcdLogFile, '');
  writeFileSync(logFile, '');
  const started = Date.now();

  // etcd: one member, loopback only, no fsync (scratch data; much faster on shared disks).
  const etcd = spawnService(
    etcdBin(),
    [
      '--name=it',
      `--data-dir=${join(tmp, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=${peerUrl}`,
      `--initial-advertise-peer-urls=${peerUrl}`,
      `--initial-cluster=it=${peerUrl}`,
      '--initial-cluster-state=new',
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
    etcdLogFile,
    { env: process.env, cwd: tmp, detached },
  );
  await awaitReady('etcd', etcd, etcdLogFile, timeoutMs, () => etcdReady(etcdUrl), [tmp]);

  try {
    // Service-account signing key pair and the admin's static token.
    const { publicKey, privateKey } = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
    });
    const saPub = join(tmp, 'sa.pub');
    const saKey = join(tmp, 'sa.key');
    writeFileSync(saPub, publicKey);
    writeFileSync(saKey, privateKey, { mode: 0o600 });
    const adminToken = randomBytes(24).toString('hex');
    const tokenFile = join(tmp, 'tokens.csv');
    writeFileSync(tokenFile, `${adminToken},admin,admin,"system:masters"\n`, { mode: 0o600 });
    const certDir = join(tmp, 'certs');
    const caFile = join(certDir, 'apiserver.crt'); // self-signed bundle: serving cert + its CA
    const serviceAccountIssuer = 'https://kubernetes.default.svc.cluster.local';
    const url = `https://127.0.0.1:${securePort}`;
    const auditLogFile = opts.auditPolicy ? join(tmp, 'audit.log') : undefined;
    const auditFlags: string[] = [];
    if (opts.auditPolicy) {
      writeFileSync(join(tmp, 'audit-policy.yaml'), opts.auditPolicy);
      // Blocking mode: an event is in the file before the response is sent.
      auditFlags.push(`--audit-policy-file=${join(tmp, 'audit-policy.yaml')}`, `--audit-log-path=${auditLogFile}`, '--audit-log-mode=blocking', '--audit-log-format=json');
    }

    const api = spawnService(
      apiserverBin(),
      [
        `--etcd-servers=${etcdUrl}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${securePort}`,
        `--cert-dir=${certDir}`,
        '--authorization-mode=RBAC',
        `--token-auth-file=${tokenFile}`,
        `--service-account-issuer=${serviceAccountIssuer}`,
        `--service-account-key-file=${saPub}`,
        `--service-account-signing-key-file=${saKey}`,
        '--service-cluster-ip-range=10.0.0.0/24',
        // The `kubernetes` Service's Endpoints may not point at loopback: without this the
        // reconciler logs an error every 10 s. Nothing in the tests routes through that Service.
        '--endpoint-reconciler-type=none',
        '--profiling=false',
        '--v=1',
        ...auditFlags,
      ],
      logFile,
      { env: process.env, cwd: tmp, detached },
    );
    // awaitReady kills only the API server's group on failure; the catch below handles etcd.
    await awaitReady('kube-apiserver', api, logFile, timeoutMs, () => ready(url, caFile, adminToken), []);

    const kubeconfig = join(tmp, 'kubeconfig');
    writeFileSync(kubeconfig, kubeconfigYaml(url, readFileSync(caFile, 'utf8'), adminToken), { mode: 0o600 });
    log(`kube-apiserver ${kubeVersion()} ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${api.pid}, etcd pid ${etcd.pid})`);
    return kubeHandle({ url, kubeconfig, adminToken, caFile, serviceAccountIssuer, pid: api.pid!, logFile, etcdUrl, etcdPid: etcd.pid!, etcdLogFile, dataDir: tmp, auditLogFile });
  } catch (e) {
    await stopGroup(etcd.pid!, { graceMs: 5_000, cleanup: [tmp, etcdLogFile] }); // the API server's log stays for diagnosis
    throw e;
  }
}

/** freePort() can hand the same port back twice in a row; etcd and the API server need three different ones. */
async function distinctFreePorts(n: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < n) ports.add(await freePort());
  return [...ports];
}
