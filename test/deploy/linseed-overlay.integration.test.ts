// deploy/overlays/linseed against a real kube-apiserver + etcd (scripts/services/kube-apiserver.ts),
// the way test/deploy/manifests.integration.test.ts checks deploy/base: the overlay renders,
// passes the API server's validation in a server-side dry run and the restricted Pod Security
// level, and the forwarder's ServiceAccount gets exactly the Linseed access it needs, proven
// with the SubjectAccessReviews Linseed itself makes (after a TokenReview of the account's own
// token) and with `kubectl auth can-i` (impersonation).
//
// Also: none of the names the overlay creates or mounts is one the Calico operator owns (its
// objects are simulated from tigera/operator's render code, cited below, and left untouched by an
// apply of the overlay); and deploy/overlays/linseed/issue-client-cert.sh issues a client
// certificate that a TLS server requiring client certificates from the operator's CA accepts,
// both from the CA Secret and through a Kubernetes CertificateSigningRequest.
//
// The API server has no controller-manager, scheduler or kubelet: Deployments never get pods,
// and no signer answers CertificateSigningRequests (the test plays the signer). The Calico API
// server is absent too, so the projectcalico.org/v3 policy in network-policy/ is checked for what
// it selects, not by the API server.
import { spawn } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { start, type KubeApiServer } from '../../scripts/services/kube-apiserver.js';
import { imageNodeOptions } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OVERLAY = 'deploy/overlays/linseed';
const SCRIPT = `${OVERLAY}/issue-client-cert.sh`;
const NS = 'tigera-operator';
const SA = 'eks-log-forwarder';
const SA_USER = `system:serviceaccount:${NS}:${SA}`;
const TLS_SECRET = 'eks-log-forwarder-linseed-tls';
const CA_BUNDLE = 'eks-log-forwarder-ca-bundle';
const AWS_SECRET = 'eks-log-forwarder-aws';
const OPERATOR_AWS_SECRET = 'tigera-eks-log-forwarder-secret';
const LINSEED_HOST = 'tigera-linseed.tigera-elasticsearch.svc';
const FIRST_BUILD_MS = 20 * 60_000;

// What the Calico operator (github.com/tigera/operator, master of August 2026) creates or reads
// by name around its EKS forwarder and Linseed. Kind, namespace ('' = cluster-scoped), name.
const OPERATOR_OBJECTS: [kind: string, namespace: string, name: string, source: string][] = [
  ['ClusterRole', '', 'eks-log-forwarder', 'pkg/render/logcollector/eks_log_forwarder.go eksLogForwarderClusterRole'],
  ['ClusterRoleBinding', '', 'eks-log-forwarder', 'pkg/render/logcollector/eks_log_forwarder.go eksLogForwarderClusterRoleBinding'],
  ['ClusterRoleBinding', '', 'eks-log-forwarder:csr-creator', 'pkg/tls/certificatemanagement/csr.go CSRClusterRoleBinding'],
  ['ClusterRole', '', 'tigera-csr-creator', 'pkg/tls/certificatemanagement/csr.go CSRClusterRoleName'],
  ['ClusterRole', '', 'calico-fluent-bit', 'pkg/render/logcollector/rbac.go fluentBitClusterRole'],
  ['ClusterRoleBinding', '', 'calico-fluent-bit', 'pkg/render/logcollector/rbac.go fluentBitClusterRoleBinding'],
  ['ClusterRole', '', 'tigera-linseed-secrets', 'pkg/render/logstorage.go TigeraLinseedSecretsClusterRole'],
  ['ClusterRole', '', 'tigera-linseed', 'pkg/render/logstorage/linseed/linseed.go ClusterRoleName'],
  ['ClusterRole', '', 'tigera-fluentd', 'pkg/render/logcollector/logcollector.go legacy cleanup'],
  ['ClusterRoleBinding', '', 'tigera-fluentd', 'pkg/render/logcollector/logcollector.go legacy cleanup'],
  ['Secret', 'tigera-operator', 'tigera-eks-log-forwarder-secret', 'pkg/render/logcollector/logcollector.go EksLogForwarderSecret (read: renders the forwarder)'],
  ['Secret', 'tigera-operator', 'tigera-eks-log-forwarder-tls', 'pkg/render/logcollector/logcollector.go EKSLogForwarderTLSSecretName'],
  ['Secret', 'tigera-operator', 'tigera-ca-private', 'pkg/tls/certificatemanagement/interface.go CASecretName'],
  ['Secret', 'tigera-operator', 'tigera-secure-linseed-cert', 'pkg/render/logstorage.go TigeraLinseedSecret'],
  ['RoleBinding', 'tigera-operator', 'tigera-linseed', 'pkg/render/logstorage.go linseedExternalRolesAndBindings'],
  ['Deployment', 'calico-system', 'eks-log-forwarder', 'pkg/render/logcollector/eks_log_forwarder.go eksLogForwarderDeployment'],
  ['ServiceAccount', 'calico-system', 'eks-log-forwarder', 'pkg/render/logcollector/eks_log_forwarder.go eksLogForwarderServiceAccount'],
  ['ConfigMap', 'calico-system', 'eks-log-forwarder-conf', 'pkg/render/logcollector/logcollector.go EKSLogForwarderConfConfigMapName'],
  ['Secret', 'calico-system', 'tigera-eks-log-forwarder-secret', 'pkg/render/logcollector/eks_log_forwarder.go eksLogForwarderSecret'],
  ['Secret', 'calico-system', 'tigera-eks-log-forwarder-tls', 'pkg/render/certificatemanagement/certificatemanagement.go (app namespace copy)'],
  ['Secret', 'calico-system', 'eks-log-forwarder-tigera-linseed-token', 'pkg/render/logcollector.go LinseedTokenSecret'],
  ['ConfigMap', 'calico-system', 'tigera-ca-bundle', 'pkg/tls/certificatemanagement/certificatebundle.go TrustedCertConfigMapName'],
  ['ConfigMap', 'calico-system', 'calico-fluent-bit-ca-bundle-system-certs', 'pkg/controller/logcollector/logcollector_controller.go CreateNamedTrustedBundle'],
  ['Service', 'calico-system', 'tigera-linseed', 'pkg/render/logcollector/networkpolicy.go externalLinseedService'],
  ['RoleBinding', 'calico-system', 'tigera-linseed', 'pkg/render/logcollector/networkpolicy.go externalLinseedRoleBinding'],
  ['Deployment', 'tigera-fluentd', 'eks-log-forwarder', 'the fluentd-era forwarder (before June 2026)'],
];

// Parsed Kubernetes objects: shapes are checked by the assertions themselves.
type Obj = Record<string, any>;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

let kube: KubeApiServer | undefined;

async function kubectl(args: string[], opts: { input?: string; token?: string; mayFail?: boolean } = {}): Promise<Result> {
  if (!kube) throw new Error('kube-apiserver not started');
  const auth = opts.token ? [`--token=${opts.token}`] : [];
  const r = await exec('kubectl', [`--kubeconfig=${kube.kubeconfig}`, '--request-timeout=30s', ...auth, ...args], { input: opts.input });
  if (r.code !== 0 && !opts.mayFail) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r;
}

const toYaml = (objs: Obj[]): string => objs.map((o) => YAML.stringify(o)).join('---\n');
const getJson = async (args: string[]): Promise<Obj> => JSON.parse((await kubectl(['get', ...args, '-o', 'json'])).stdout) as Obj;
const createJson = async (obj: Obj): Promise<Obj> => JSON.parse((await kubectl(['create', '-f', '-', '-o', 'json'], { input: JSON.stringify(obj) })).stdout) as Obj;

async function render(dir: string): Promise<{ text: string; objects: Obj[] }> {
  const r = await exec('kubectl', ['kustomize', dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  return { text: r.stdout, objects: YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj) };
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
}

/** The SubjectAccessReview Linseed makes for each request: the caller, group linseed.tigera.io. */
async function linseedAllows(user: string, groups: string[], verb: string, resource: string): Promise<boolean> {
  const review = await createJson({
    apiVersion: 'authorization.k8s.io/v1',
    kind: 'SubjectAccessReview',
    spec: { user, groups, resourceAttributes: { group: 'linseed.tigera.io', resource, verb } },
  });
  return review.status?.allowed === true;
}

/** `kubectl auth can-i` as the forwarder's ServiceAccount: exit 0 = yes, 1 = no. */
async function canI(verb: string, resource: string, namespace?: string, subresource?: string): Promise<boolean> {
  const ns = namespace ? [`--namespace=${namespace}`] : [];
  const sub = subresource ? [`--subresource=${subresource}`] : [];
  const r = await kubectl(['auth', 'can-i', verb, resource, ...ns, ...sub, `--as=${SA_USER}`], { mayFail: true });
  if (r.code !== 0 && r.code !== 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.code === 0;
}

// openssl, for the test's own CAs and server certificate (the script under test uses it too).
async function openssl(args: string[], input?: string): Promise<string> {
  const r = await exec('openssl', args, { input });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

/** A self-signed CA like the operator's tigera-ca-private: RSA key (PKCS#1) and certificate. */
async function makeCa(dir: string, name: string): Promise<{ key: string; crt: string }> {
  const key = join(dir, `${name}.key`);
  const crt = join(dir, `${name}.crt`);
  await openssl(['genrsa', '-traditional', '-out', key, '2048']);
  await openssl(['req', '-x509', '-new', '-key', key, '-subj', `/CN=${name}@1700000000`, '-days', '30', '-sha256', '-out', crt,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { key, crt };
}

/** A new RSA key and a certificate request for `cn`. */
async function keyAndRequest(dir: string, cn: string): Promise<{ key: string; csr: string }> {
  const key = join(dir, `${cn}-${Date.now()}.key`);
  await openssl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', key]);
  return { key: readFileSync(key, 'utf8'), csr: await openssl(['req', '-new', '-key', key, '-subj', `/CN=${cn}`]) };
}

/** Signs a request with a CA, as a signer would; `usage` is the extendedKeyUsage. */
async function sign(dir: string, ca: { key: string; crt: string }, csrPem: string, usage: string, san?: string): Promise<string> {
  const csr = join(dir, `req-${Date.now()}-${Math.random()}.csr`);
  const ext = `${csr}.ext`;
  const out = `${csr}.crt`;
  writeFileSync(csr, csrPem);
  writeFileSync(ext, [`basicConstraints=critical,CA:FALSE`, `keyUsage=critical,digitalSignature,keyEncipherment`, `extendedKeyUsage=${usage}`, ...(san ? [`subjectAltName=${san}`] : [])].join('\n'));
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.crt, '-CAkey', ca.key, '-set_serial', '0x1234', '-days', '5', '-sha256', '-extfile', ext, '-out', out]);
  return readFileSync(out, 'utf8');
}

/** A TLS server that, like Linseed, requires a client certificate chaining to `clientCa`. */
async function mtlsServer(serverKey: string, serverCert: string, clientCa: string): Promise<{ server: Server; port: number; peers: string[] }> {
  const peers: string[] = [];
  const server = createServer({ key: serverKey, cert: serverCert, ca: clientCa, requestCert: true, rejectUnauthorized: true }, (req, res) => {
    peers.push(String((req.socket as TLSSocket).getPeerCertificate().subject?.CN ?? ''));
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, peers };
}

function get(port: number, tls: { ca: string; cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/api/v1/audit/logs/kube/bulk', method: 'GET', servername: LINSEED_HOST, agent: false, ...tls }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('end', () => resolve(`${res.statusCode} ${body}`));
    });
    req.on('error', reject);
    req.end();
  });
}

const secretField = (secret: Obj, key: string): string => Buffer.from(String(secret.data?.[key] ?? ''), 'base64').toString('utf8');

let base: { text: string; objects: Obj[] };
let overlay: { text: string; objects: Obj[] };
let policy: { text: string; objects: Obj[] };
let work: string;

describe('deploy/overlays/linseed on a real kube-apiserver', () => {
  beforeAll(async () => {
    base = await render('deploy/base');
    overlay = await render(OVERLAY);
    policy = await render(`${OVERLAY}/network-policy`);
    work = mkdtempSync(join(tmpdir(), 'linseed-overlay-'));
    kube = await start();
    // The operator's namespaces; ours with Pod Security warnings at the restricted level.
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/warn-version=latest']);
    await kubectl(['create', 'namespace', 'calico-system']);
    await kubectl(['apply', '-f', 'deploy/crds/operator.tigera.io_logcollectors.yaml']);
    await kubectl(['wait', '--for=condition=established', '--timeout=60s', 'crd/logcollectors.operator.tigera.io']);
  }, FIRST_BUILD_MS);

  afterAll(async () => {
    await kube?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  describe('rendering', () => {
    it('is the base plus the Linseed and detection ClusterRoles and bindings, the base cluster-scoped RBAC renamed, and nothing that holds a secret', () => {
      const kinds = overlay.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(kinds).toEqual(
        [
          'ClusterRole/eks-log-forwarder-linseed',
          'ClusterRole/eks-log-forwarder-logcollector',
          'ClusterRoleBinding/eks-log-forwarder-linseed',
          'ClusterRoleBinding/eks-log-forwarder-logcollector',
          'ClusterRole/eks-log-forwarder-operator-forwarder-reader',
          'ClusterRoleBinding/eks-log-forwarder-operator-forwarder-reader',
          'ConfigMap/eks-log-forwarder-checkpoint',
          'Deployment/eks-log-forwarder',
          'Lease/eks-log-forwarder-leader',
          'PodDisruptionBudget/eks-log-forwarder',
          'Role/eks-log-forwarder',
          'RoleBinding/eks-log-forwarder',
          'Service/eks-log-forwarder-metrics',
          'ServiceAccount/eks-log-forwarder',
        ].sort(),
      );
      for (const o of overlay.objects.filter((x) => !x.kind.startsWith('Cluster'))) expect(o.metadata.namespace, o.kind).toBe(NS);
      // The keypair, the CA bundle and the AWS keys are made by the user (issue-client-cert.sh).
      expect(overlay.objects.some((o) => o.kind === 'Secret' || o.kind === 'Namespace')).toBe(false);
      for (const o of overlay.objects) expect(o.metadata.labels, `${o.kind}/${o.metadata.name}`).toMatchObject({ 'app.kubernetes.io/name': 'eks-log-forwarder' });

      // Everything but the Deployment, the Role and the renamed cluster RBAC is the base, unchanged.
      const same = (objs: Obj[]) => objs.filter((o) => o.kind !== 'Deployment' && o.kind !== 'Role' && !o.kind.startsWith('Cluster'));
      expect(same(overlay.objects)).toEqual(same(base.objects));
      // The Role reads our AWS Secret instead of the operator's, with the same verbs; the rest is the base's.
      const role = structuredClone(find(base.objects, 'Role', SA));
      expect(role.rules[0].resourceNames).toEqual([OPERATOR_AWS_SECRET]);
      role.rules[0].resourceNames = [AWS_SECRET];
      expect(find(overlay.objects, 'Role', SA)).toEqual(role);
      const baseRole = find(base.objects, 'ClusterRole', SA);
      const renamed = find(overlay.objects, 'ClusterRole', 'eks-log-forwarder-logcollector');
      expect(renamed.rules).toEqual(baseRole.rules);
      const binding = find(overlay.objects, 'ClusterRoleBinding', 'eks-log-forwarder-logcollector');
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-log-forwarder-logcollector' });
      expect(binding.subjects).toEqual(find(base.objects, 'ClusterRoleBinding', SA).subjects);
    });

    it('grants Linseed kube_auditlogs create and auditlogs get, and nothing else, to our ServiceAccount only', () => {
      expect(find(overlay.objects, 'ClusterRole', 'eks-log-forwarder-linseed').rules).toEqual([
        { apiGroups: ['linseed.tigera.io'], resources: ['kube_auditlogs'], verbs: ['create'] },
        { apiGroups: ['linseed.tigera.io'], resources: ['auditlogs'], verbs: ['get'] },
      ]);
      const binding = find(overlay.objects, 'ClusterRoleBinding', 'eks-log-forwarder-linseed');
      expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-log-forwarder-linseed' });
      expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: SA, namespace: NS }]);
      // To notice the operator's forwarder: get one Deployment name, in whatever namespace.
      expect(find(overlay.objects, 'ClusterRole', 'eks-log-forwarder-operator-forwarder-reader').rules).toEqual([
        { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['eks-log-forwarder'], verbs: ['get'] },
      ]);
      expect(find(overlay.objects, 'ClusterRoleBinding', 'eks-log-forwarder-operator-forwarder-reader').subjects).toEqual([{ kind: 'ServiceAccount', name: SA, namespace: NS }]);
      // Every other rule still names the one object it is for, and no Kubernetes object may be created.
      const rules = [
        ...find(overlay.objects, 'Role', SA).rules,
        ...find(overlay.objects, 'ClusterRole', 'eks-log-forwarder-logcollector').rules,
        ...find(overlay.objects, 'ClusterRole', 'eks-log-forwarder-operator-forwarder-reader').rules,
      ] as Obj[];
      for (const rule of rules) {
        expect(rule.resourceNames, JSON.stringify(rule)).toHaveLength(1);
        expect(rule.verbs).not.toContain('create');
      }
    });

    it('runs the base pod with the Linseed environment of the operator forwarder, AWS keys from our own Secret, and no Elasticsearch setting', () => {
      const d = find(overlay.objects, 'Deployment', SA);
      const pod = d.spec.template.spec;
      const c = pod.containers[0];
      const env = Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));
      expect(env).toEqual({
        EKS_FORWARDER_SINK: 'linseed',
        LINSEED_ENDPOINT: `https://${LINSEED_HOST}`,
        LINSEED_CA_PATH: '/etc/pki/tls/certs/tigera-ca-bundle.crt',
        TLS_CRT_PATH: `/${TLS_SECRET}/tls.crt`,
        TLS_KEY_PATH: `/${TLS_SECRET}/tls.key`,
        LINSEED_TOKEN: '/var/run/secrets/eks-log-forwarder/linseed/token',
        EKS_FORWARDER_AWS_SECRET: AWS_SECRET,
        EKS_FORWARDER_CONFIG_SOURCE: 'kubernetes',
        EKS_FORWARDER_NAMESPACE: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' } },
        POD_NAME: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } },
        EKS_FORWARDER_STATE_DIR: '/tmp/eks-log-forwarder',
        HOME: '/tmp',
        NODE_OPTIONS: imageNodeOptions(),
      });
      // The pod never names the operator's AWS Secret: while it holds both keys the operator runs its own forwarder.
      expect(JSON.stringify(pod)).not.toContain(OPERATOR_AWS_SECRET);
      expect(JSON.stringify(pod)).not.toContain('elasticsearch-access');

      // Every file the environment names is in a mounted volume, under the key it is read from.
      const volumes = Object.fromEntries((pod.volumes as Obj[]).map((v) => [v.name, v]));
      const fileFor = (path: string): { volume: Obj; file: string } => {
        const m = (c.volumeMounts as Obj[]).find((x) => path.startsWith(`${String(x.mountPath).replace(/\/$/, '')}/`));
        if (!m) throw new Error(`${path} is in no volume`);
        return { volume: volumes[m.name], file: path.slice(String(m.mountPath).replace(/\/$/, '').length + 1) };
      };
      const ca = fileFor(env.LINSEED_CA_PATH);
      expect(ca.volume.configMap).toEqual({ name: CA_BUNDLE, items: [{ key: 'tigera-ca-bundle.crt', path: ca.file }] });
      for (const [name, key] of [['TLS_CRT_PATH', 'tls.crt'], ['TLS_KEY_PATH', 'tls.key']] as const) {
        const f = fileFor(env[name]);
        expect(f.volume.secret.secretName).toBe(TLS_SECRET);
        expect(f.volume.secret.items).toContainEqual({ key, path: f.file });
        expect(f.volume.secret.defaultMode).toBe(0o440);
      }
      const token = fileFor(env.LINSEED_TOKEN);
      // The kubelet's projected token of the pod's own ServiceAccount, renewed before it expires;
      // no audience, so it carries the API server's, which Linseed's TokenReview checks.
      expect(token.volume.projected.sources).toEqual([{ serviceAccountToken: { path: token.file, expirationSeconds: 3600 } }]);
      expect(pod.serviceAccountName).toBe(SA);
      // Mounted read-only; the base's security context is kept.
      for (const m of c.volumeMounts as Obj[]) if (m.name !== 'tmp') expect(m.readOnly, m.name).toBe(true);
      expect(c.securityContext).toEqual(find(base.objects, 'Deployment', SA).spec.template.spec.containers[0].securityContext);
      expect(pod.securityContext).toEqual(find(base.objects, 'Deployment', SA).spec.template.spec.securityContext);
    });

    it('the network policy admits exactly our pods to Linseed, ahead of the operator tier, and passes everything else on', () => {
      const tier = find(policy.objects, 'Tier', 'eks-log-forwarder');
      expect(tier.apiVersion).toBe('projectcalico.org/v3');
      // The operator's calico-system tier has order 100 (pkg/render/tiers/tiers.go).
      expect(tier.spec.order).toBeLessThan(100);
      const np = find(policy.objects, 'NetworkPolicy', 'eks-log-forwarder.allow-linseed-ingress');
      expect(np.metadata.namespace).toBe('tigera-elasticsearch');
      expect(np.spec.tier).toBe('eks-log-forwarder');
      // Linseed's pods (k8s-app tigera-linseed) and container port (8444): pkg/render/logstorage/linseed/linseed.go.
      expect(np.spec.selector).toBe("k8s-app == 'tigera-linseed'");
      expect(np.spec.types).toEqual(['Ingress']);
      const [allow, pass, ...rest] = np.spec.ingress as Obj[];
      expect(rest).toEqual([]);
      expect(pass).toEqual({ action: 'Pass' });
      const labels = find(overlay.objects, 'Deployment', SA).spec.template.metadata.labels;
      expect(allow).toEqual({
        action: 'Allow',
        protocol: 'TCP',
        source: { namespaceSelector: `kubernetes.io/metadata.name == '${NS}'`, selector: `k8s-app == '${labels['k8s-app']}'` },
        destination: { ports: [8444] },
      });
    });
  });

  describe('names', () => {
    it('nothing the overlay creates or mounts is an object the operator creates or reads', () => {
      const key = (kind: string, ns: string, name: string) => `${kind}/${ns}/${name}`;
      const operator = new Set(OPERATOR_OBJECTS.map(([kind, ns, name]) => key(kind, ns, name)));
      const ours = overlay.objects.map((o) => key(o.kind, o.metadata.namespace ?? '', o.metadata.name));
      const pod = find(overlay.objects, 'Deployment', SA).spec.template.spec;
      const env = Object.fromEntries((pod.containers[0].env as Obj[]).map((e) => [e.name, e.value]));
      const mounted = [
        ...(pod.volumes as Obj[]).filter((v) => v.secret).map((v) => key('Secret', NS, v.secret.secretName)),
        ...(pod.volumes as Obj[]).filter((v) => v.configMap).map((v) => key('ConfigMap', NS, v.configMap.name)),
        key('Secret', NS, env.EKS_FORWARDER_AWS_SECRET),
      ];
      expect(mounted.sort()).toEqual([key('ConfigMap', NS, CA_BUNDLE), key('Secret', NS, AWS_SECRET), key('Secret', NS, TLS_SECRET)].sort());
      expect((pod.containers[0].env as Obj[]).some((e) => e.valueFrom?.secretKeyRef)).toBe(false);
      for (const k of [...ours, ...mounted]) expect(operator.has(k), k).toBe(false);
      // Cluster-scoped names share one space whatever the kind's namespace: none of ours is the operator's.
      const operatorClusterNames = new Set(OPERATOR_OBJECTS.filter(([, ns]) => ns === '').map(([kind, , name]) => `${kind}/${name}`));
      for (const o of overlay.objects.filter((x) => !x.metadata.namespace)) expect(operatorClusterNames.has(`${o.kind}/${o.metadata.name}`), o.metadata.name).toBe(false);
      // All of ours are called eks-log-forwarder*, and so is every object a Role names: the overlay
      // neither reads nor writes the operator's AWS Secret (the base reads it, for clusters where no
      // operator renders a forwarder).
      for (const k of [...ours, ...mounted]) expect(k.split('/')[2]).toMatch(/^eks-log-forwarder/);
      const referenced = (find(overlay.objects, 'Role', SA).rules as Obj[]).flatMap((r) => r.resourceNames as string[]);
      for (const n of referenced) expect(n).toMatch(/^eks-log-forwarder/);
      expect(overlay.text).not.toContain(OPERATOR_AWS_SECRET);
    });

    it("applied beside the operator's forwarder objects, the overlay leaves them as they are, where the base would overwrite its ClusterRole", async () => {
      // The operator's objects as pkg/render/logcollector/eks_log_forwarder.go renders them.
      const operatorRole = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'eks-log-forwarder' },
        rules: [
          { apiGroups: ['linseed.tigera.io'], resources: ['auditlogs'], verbs: ['get'] },
          { apiGroups: ['linseed.tigera.io'], resources: ['kube_auditlogs'], verbs: ['create'] },
        ],
      };
      const operatorBinding = {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: 'eks-log-forwarder' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'eks-log-forwarder' },
        subjects: [{ kind: 'ServiceAccount', name: 'eks-log-forwarder', namespace: 'calico-system' }],
      };
      const operatorSa = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'eks-log-forwarder', namespace: 'calico-system' } };
      await kubectl(['create', '-f', '-'], { input: toYaml([operatorRole, operatorBinding, operatorSa]) });
      const before = await getJson(['clusterrole,clusterrolebinding', 'eks-log-forwarder']);

      // The base's ClusterRole of the same name would replace the operator's rules (a dry run shows what it would store).
      const baseRole = find(base.objects, 'ClusterRole', SA);
      const clobbered = JSON.parse((await kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], { input: YAML.stringify(baseRole) })).stdout) as Obj;
      expect(clobbered.rules).toEqual(baseRole.rules);
      expect(clobbered.rules).not.toEqual(operatorRole.rules);

      await kubectl(['apply', '--validate=strict', '-f', '-'], { input: overlay.text });
      const after = await getJson(['clusterrole,clusterrolebinding', 'eks-log-forwarder']);
      const strip = (list: Obj) => (list.items as Obj[]).map((o) => ({ kind: o.kind, rules: o.rules, roleRef: o.roleRef, subjects: o.subjects, rv: o.metadata.resourceVersion }));
      expect(strip(after)).toEqual(strip(before));
      // Each forwarder's account has its own grant: ours does not ride on the operator's binding, nor the reverse.
      const operatorUser = 'system:serviceaccount:calico-system:eks-log-forwarder';
      const groups = (ns: string) => ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
      expect(await linseedAllows(operatorUser, groups('calico-system'), 'create', 'kube_auditlogs')).toBe(true);
      expect(await linseedAllows(SA_USER, groups(NS), 'create', 'kube_auditlogs')).toBe(true);
      await kubectl(['delete', 'clusterrolebinding', 'eks-log-forwarder']);
      expect(await linseedAllows(SA_USER, groups(NS), 'create', 'kube_auditlogs')).toBe(true);
      expect(await linseedAllows(operatorUser, groups('calico-system'), 'create', 'kube_auditlogs')).toBe(false);
      await kubectl(['delete', 'clusterrole', 'eks-log-forwarder']);
    });
  });

  it("the IRSA component, from an overlay of the user's, only annotates the ServiceAccount with the role", async () => {
    const mine = mkdtempSync(join(work, 'my-overlay-'));
    const linseed = relative(mine, join(ROOT, OVERLAY));
    writeFileSync(
      join(mine, 'kustomization.yaml'),
      YAML.stringify({
        resources: [linseed],
        components: [`${linseed}/irsa`],
        patches: [{ target: { kind: 'ServiceAccount', name: SA }, patch: '- op: replace\n  path: /metadata/annotations/eks.amazonaws.com~1role-arn\n  value: arn:aws:iam::444455556666:role/mine\n' }],
      }),
    );
    const irsa = await render(mine);
    const sa = find(irsa.objects, 'ServiceAccount', SA);
    expect(sa.metadata.annotations).toEqual({ 'eks.amazonaws.com/role-arn': 'arn:aws:iam::444455556666:role/mine', 'eks.amazonaws.com/sts-regional-endpoints': 'true' });
    const strip = (objs: Obj[]): Obj[] => objs.map((o) => (o.kind === 'ServiceAccount' ? { ...o, metadata: { ...o.metadata, annotations: undefined } } : o));
    expect(strip(irsa.objects)).toEqual(strip(overlay.objects));
    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: irsa.text });
    expect(r.stdout).toMatch(/serviceaccount\/eks-log-forwarder (created|configured) \(server dry run\)/);
    expect(r.stderr).not.toMatch(/PodSecurity/);
  });

  describe('API server validation and Pod Security', () => {
    it('passes a server-side dry run with strict validation', async () => {
      const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: overlay.text });
      expect(r.stdout).toMatch(/deployment\.apps\/eks-log-forwarder (created|configured|unchanged) \(server dry run\)/);
      expect(r.stdout).toMatch(/clusterrole\.rbac\.authorization\.k8s\.io\/eks-log-forwarder-linseed (created|configured|unchanged) \(server dry run\)/);
      expect(r.stderr).not.toMatch(/warning/i);
    });

    it('applies without Pod Security warnings at the restricted level (projected token and Secret volumes are allowed there)', async () => {
      await kubectl(['delete', 'deployment', SA, `--namespace=${NS}`, '--ignore-not-found']);
      const r = await kubectl(['apply', '--validate=strict', '-f', '-'], { input: overlay.text });
      expect(r.stderr).not.toMatch(/PodSecurity/);
      const d = await getJson(['deployment', SA, `--namespace=${NS}`]);
      expect((d.spec.template.spec.volumes as Obj[]).map((v) => v.name).sort()).toEqual(['eks-log-forwarder-linseed-tls', 'linseed-token', 'tigera-ca-bundle', 'tmp']);
    });

    it('the restricted check is live: the same pod with a hostPath for the CA bundle gets a warning', async () => {
      const d = structuredClone(find(overlay.objects, 'Deployment', SA));
      const ca = (d.spec.template.spec.volumes as Obj[]).find((v) => v.name === 'tigera-ca-bundle')!;
      delete ca.configMap;
      ca.hostPath = { path: '/etc/pki/tls/certs' };
      const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: toYaml([d]) });
      expect(r.stderr).toMatch(/would violate PodSecurity "restricted:latest": .*hostPath/);
    });
  });

  describe("Linseed's authentication and authorization of the forwarder's token", () => {
    let user: { username: string; groups: string[] };
    let token: string;

    beforeAll(async () => {
      // What the kubelet projects into the pod: a TokenRequest for the ServiceAccount, default audience.
      token = (await kubectl(['create', 'token', SA, `--namespace=${NS}`, '--duration=1h'])).stdout.trim();
      // Linseed's TokenReview, without audiences: the API server's own.
      const review = await createJson({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } });
      expect(review.status.authenticated).toBe(true);
      user = review.status.user;
    });

    it('the token is the forwarder ServiceAccount', () => {
      expect(user.username).toBe(SA_USER);
      expect(user.groups).toContain(`system:serviceaccounts:${NS}`);
    });

    it("with that token, the forwarder lists its AWS Secret by name as its informer does, and is refused the operator's", async () => {
      await kubectl(['create', 'secret', 'generic', AWS_SECRET, `--namespace=${NS}`, '--from-literal=aws-id=AKIDEXAMPLE', '--from-literal=aws-key=secret']);
      await kubectl(['create', 'secret', 'generic', OPERATOR_AWS_SECRET, `--namespace=${NS}`, '--from-literal=aws-id=AKIDOPERATOR', '--from-literal=aws-key=secret']);
      const listed = await kubectl(['get', 'secrets', `--namespace=${NS}`, `--field-selector=metadata.name=${AWS_SECRET}`, '-o', 'name'], { token });
      expect(listed.stdout.trim()).toBe(`secret/${AWS_SECRET}`);
      const theirs = await kubectl(['get', 'secrets', `--namespace=${NS}`, `--field-selector=metadata.name=${OPERATOR_AWS_SECRET}`, '-o', 'name'], { token, mayFail: true });
      expect(theirs.stderr).toMatch(/forbidden/i);
      await kubectl(['delete', 'secret', OPERATOR_AWS_SECRET, `--namespace=${NS}`]);
    });

    it.each([
      ['create', 'kube_auditlogs', true, 'POST /api/v1/audit/logs/kube/bulk'],
      ['get', 'auditlogs', true, 'POST /api/v1/audit/logs (read back)'],
      ['get', 'kube_auditlogs', false, ''],
      ['create', 'auditlogs', false, ''],
      ['delete', 'kube_auditlogs', false, ''],
      ['create', 'ee_auditlogs', false, 'Calico audit logs'],
      ['create', 'flowlogs', false, ''],
      ['get', 'flowlogs', false, ''],
      ['create', 'events', false, ''],
      ['get', 'events', false, ''],
      ['dismiss', 'events', false, ''],
      ['get', 'auditlogs-multi-cluster', false, 'other clusters'],
      ['create', 'dnslogs', false, ''],
      ['get', 'compliancereports', false, ''],
    ])('Linseed SubjectAccessReview: %s %s -> %s %s', async (verb, resource, allowed) => {
      expect(await linseedAllows(user.username, user.groups, verb, resource)).toBe(allowed);
    });

    it('impersonated, the account gets the same answers for Linseed, and the base grants are intact', async () => {
      // What `kubectl auth can-i --as` sends, with the API group spelt out: kubectl itself cannot map
      // linseed.tigera.io resources (no API server serves them) and would ask for group "" instead.
      const impersonated = async (verb: string, resource: string): Promise<boolean> => {
        const r = await kubectl(['create', '--validate=false', '-f', '-', '-o', 'json', `--as=${SA_USER}`], {
          input: JSON.stringify({ apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { group: 'linseed.tigera.io', resource, verb } } }),
        });
        return (JSON.parse(r.stdout) as Obj).status?.allowed === true;
      };
      expect(await impersonated('create', 'kube_auditlogs')).toBe(true);
      expect(await impersonated('get', 'auditlogs')).toBe(true);
      expect(await impersonated('create', 'flowlogs')).toBe(false);
      expect(await impersonated('*', 'kube_auditlogs')).toBe(false);
      expect(await impersonated('get', '*')).toBe(false);
      expect(await canI('get', 'logcollectors.operator.tigera.io/tigera-secure')).toBe(true);
      expect(await canI('update', 'configmap/eks-log-forwarder-checkpoint', NS)).toBe(true);
      expect(await canI('update', 'leases.coordination.k8s.io/eks-log-forwarder-leader', NS)).toBe(true);
      for (const verb of ['get', 'list', 'watch']) expect(await canI(verb, `secret/${AWS_SECRET}`, NS), verb).toBe(true);
      // The operator's forwarder, where current and earlier operators render it.
      expect(await canI('get', 'deployments.apps/eks-log-forwarder', 'calico-system')).toBe(true);
      expect(await canI('get', 'deployments.apps/eks-log-forwarder', 'tigera-fluentd')).toBe(true);
    });

    it.each([
      ['its client keypair (the kubelet mounts it)', 'get', `secret/${TLS_SECRET}`, NS],
      ["the operator's AWS Secret", 'get', `secret/${OPERATOR_AWS_SECRET}`, NS],
      ["watching the operator's AWS Secret", 'watch', `secret/${OPERATOR_AWS_SECRET}`, NS],
      ['updating its AWS Secret', 'update', `secret/${AWS_SECRET}`, NS],
      ["the operator's CA key", 'get', 'secret/tigera-ca-private', NS],
      ["the operator forwarder's keypair", 'get', 'secret/tigera-eks-log-forwarder-tls', NS],
      ["the operator forwarder's managed-cluster token", 'get', 'secret/eks-log-forwarder-tigera-linseed-token', 'calico-system'],
      ['its CA bundle (the kubelet mounts it)', 'get', `configmap/${CA_BUNDLE}`, NS],
      ['certificate signing requests', 'create', 'certificatesigningrequests.certificates.k8s.io', undefined],
      ['tokens for any account', 'create', 'serviceaccounts', NS, 'token'],
      ['Secrets in calico-system', 'list', 'secrets', 'calico-system'],
      ['other Deployments in calico-system', 'get', 'deployments.apps/calico-kube-controllers', 'calico-system'],
      ['listing Deployments in calico-system', 'list', 'deployments.apps', 'calico-system'],
      ['watching Deployments', 'watch', 'deployments.apps', 'calico-system'],
      ["changing the operator's forwarder", 'update', 'deployments.apps/eks-log-forwarder', 'calico-system'],
      ["deleting the operator's forwarder", 'delete', 'deployments.apps/eks-log-forwarder', 'calico-system'],
    ])('denies the forwarder: %s', async (_name, verb, resource, namespace, subresource?: string) => {
      expect(await canI(verb, resource, namespace, subresource)).toBe(false);
    });
  });

  describe('issue-client-cert.sh', () => {
    let ca: { key: string; crt: string };
    let scriptTmp: string;
    const env = () => ({ KUBECONFIG: kube!.kubeconfig, TMPDIR: scriptTmp });

    beforeAll(async () => {
      ca = await makeCa(work, 'tigera-operator-signer');
      scriptTmp = mkdtempSync(join(work, 'script-tmp-'));
      // The operator's CA Secret and the trusted bundle it writes into calico-system.
      await kubectl(['create', 'secret', 'tls', 'tigera-ca-private', `--namespace=${NS}`, `--cert=${ca.crt}`, `--key=${ca.key}`]);
      await kubectl(['create', 'configmap', 'tigera-ca-bundle', '--namespace=calico-system', `--from-file=tigera-ca-bundle.crt=${ca.crt}`, `--from-file=ca.crt=${ca.crt}`]);
    });

    it('refuses the operator signer, which signs only its own components', async () => {
      const r = await exec('bash', [SCRIPT, '--signer', 'tigera.io/operator-signer'], { env: env() });
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/tigera\.io\/operator-signer signs only the operator's own components/);
      expect(readdirSync(scriptTmp)).toEqual([]);
    });

    it("signs a client certificate with the operator's CA and writes the Secret and the CA bundle the overlay mounts, keeping no key", async () => {
      const r = await exec('bash', [SCRIPT, '--days', '30'], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(new RegExp(`Secret ${NS}/${TLS_SECRET}: client certificate CN=eks-log-forwarder-linseed-tls from ${NS}/tigera-ca-private, valid until `));
      // Its private temporary directory is gone; nothing else was written there.
      expect(readdirSync(scriptTmp)).toEqual([]);
      // It printed no key material.
      expect(r.stdout + r.stderr).not.toMatch(/PRIVATE KEY|BEGIN CERTIFICATE/);

      const secret = await getJson(['secret', TLS_SECRET, `--namespace=${NS}`]);
      expect(secret.type).toBe('kubernetes.io/tls');
      expect(secret.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'eks-log-forwarder' });
      // Server-side apply: no last-applied annotation holding a second copy of the key.
      expect(Object.keys(secret.metadata.annotations ?? {})).not.toContain('kubectl.kubernetes.io/last-applied-configuration');
      const cert = new X509Certificate(secretField(secret, 'tls.crt'));
      const caCert = new X509Certificate(readFileSync(ca.crt));
      expect(cert.verify(caCert.publicKey)).toBe(true);
      expect(cert.checkIssued(caCert)).toBe(true);
      expect(cert.ca).toBe(false);
      expect(cert.subject).toBe('CN=eks-log-forwarder-linseed-tls');
      expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
      const days = (Date.parse(cert.validTo) - Date.now()) / 86_400_000;
      expect(days).toBeGreaterThan(29);
      expect(days).toBeLessThanOrEqual(30);
      const pub = (pem: string) => createHash('sha256').update(pem).digest('hex');
      expect(pub(cert.publicKey.export({ type: 'spki', format: 'pem' }) as string)).toBe(
        pub((await openssl(['pkey', '-pubout'], secretField(secret, 'tls.key'))).toString()),
      );
      expect(secret.metadata.annotations['eks-log-forwarder/expiry']).toBeTruthy();
      await openssl(['verify', '-CAfile', ca.crt, '-purpose', 'sslclient'], secretField(secret, 'tls.crt'));

      const bundle = await getJson(['configmap', CA_BUNDLE, `--namespace=${NS}`]);
      expect(bundle.data['tigera-ca-bundle.crt']).toBe(readFileSync(ca.crt, 'utf8'));
    });

    it("is accepted by a TLS server that, like Linseed, requires a client certificate from the operator's CA; others are refused", async () => {
      const server = await keyAndRequest(work, LINSEED_HOST);
      const serverKey = server.key;
      const serverCert = await sign(work, ca, server.csr, 'serverAuth', `DNS:${LINSEED_HOST}`);
      const { server: linseed, port, peers } = await mtlsServer(serverKey, serverCert, readFileSync(ca.crt, 'utf8'));
      try {
        const secret = await getJson(['secret', TLS_SECRET, `--namespace=${NS}`]);
        const bundle = (await getJson(['configmap', CA_BUNDLE, `--namespace=${NS}`])).data['tigera-ca-bundle.crt'] as string;
        // What the pod reads from LINSEED_CA_PATH, TLS_CRT_PATH and TLS_KEY_PATH.
        expect(await get(port, { ca: bundle, cert: secretField(secret, 'tls.crt'), key: secretField(secret, 'tls.key') })).toBe('200 ok');
        expect(peers).toEqual(['eks-log-forwarder-linseed-tls']);
        await expect(get(port, { ca: bundle })).rejects.toThrow();
        // A certificate from another CA is refused, whatever its name.
        const other = await makeCa(work, 'other-ca');
        const stranger = await keyAndRequest(work, 'eks-log-forwarder-linseed-tls');
        const strangerCert = await sign(work, other, stranger.csr, 'clientAuth');
        await expect(get(port, { ca: bundle, cert: strangerCert, key: stranger.key })).rejects.toThrow();
        expect(peers).toHaveLength(1);
      } finally {
        linseed.close();
      }
    });

    it('a second run replaces the certificate in place (rotation)', async () => {
      const before = secretField(await getJson(['secret', TLS_SECRET, `--namespace=${NS}`]), 'tls.crt');
      const r = await exec('bash', [SCRIPT], { env: env() });
      expect(r.code, r.stderr).toBe(0);
      const after = secretField(await getJson(['secret', TLS_SECRET, `--namespace=${NS}`]), 'tls.crt');
      expect(after).not.toBe(before);
      expect(new X509Certificate(after).checkIssued(new X509Certificate(readFileSync(ca.crt)))).toBe(true);
      expect(readdirSync(scriptTmp)).toEqual([]);
    });

    it("with certificate management (the user's signer), goes through a CertificateSigningRequest, approves it and takes the issued certificate", async () => {
      const signerCa = await makeCa(work, 'user-signer');
      const signerName = 'example.com/calico-signer';
      const run = exec('bash', [SCRIPT, '--signer', signerName, '--wait', '120', '--ca-bundle-file', signerCa.crt], { env: env() });

      // Play the user's signer: wait for the approved request, check it, issue the certificate.
      let csr: Obj | undefined;
      for (let i = 0; i < 120 && !csr; i++) {
        const list = await getJson(['csr', '-l', 'app.kubernetes.io/name=eks-log-forwarder']);
        csr = (list.items as Obj[]).find((c) => (c.status?.conditions as Obj[] | undefined)?.some((x) => x.type === 'Approved'));
        if (!csr) await new Promise((r) => setTimeout(r, 500));
      }
      expect(csr, 'no approved CertificateSigningRequest').toBeDefined();
      expect(csr!.spec.signerName).toBe(signerName);
      expect([...csr!.spec.usages].sort()).toEqual(['client auth', 'digital signature', 'key encipherment']);
      expect(csr!.spec.username).toBe('admin');
      const issued = await sign(work, signerCa, Buffer.from(csr!.spec.request, 'base64').toString('utf8'), 'clientAuth');
      csr!.status.certificate = Buffer.from(issued).toString('base64');
      await kubectl(['replace', `--raw=/apis/certificates.k8s.io/v1/certificatesigningrequests/${csr!.metadata.name}/status`, '-f', '-'], { input: JSON.stringify(csr) });

      const r = await run;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain(`from signer ${signerName}`);
      const secret = await getJson(['secret', TLS_SECRET, `--namespace=${NS}`]);
      expect(secretField(secret, 'tls.crt')).toBe(issued);
      expect((await getJson(['configmap', CA_BUNDLE, `--namespace=${NS}`])).data['tigera-ca-bundle.crt']).toBe(readFileSync(signerCa.crt, 'utf8'));
      // The request is deleted once used; nothing is left on disk.
      expect((await getJson(['csr', '-l', 'app.kubernetes.io/name=eks-log-forwarder'])).items).toEqual([]);
      expect(readdirSync(scriptTmp)).toEqual([]);
    });
  });
});
