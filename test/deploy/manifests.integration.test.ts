// The deploy/ manifests against a real kube-apiserver + etcd (scripts/services/kube-apiserver.ts):
// the kustomize base and the IRSA overlay render, pass the API server's own validation, and
// the forwarder's ServiceAccount gets exactly the access it needs, proven with `kubectl auth
// can-i` (impersonation) and with real requests made with the account's own token.
//
// The API server has no controller-manager, scheduler or kubelet: no `default` ServiceAccounts,
// Deployments never get pods. So this proves what the API server decides (schema, admission,
// Pod Security, RBAC), not that the container runs.
//
// The first run on a fresh machine builds kube-apiserver and etcd from the Go module proxy
// (5-15 minutes); later runs reuse the cached binaries.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { start, type KubeApiServer } from '../../scripts/services/kube-apiserver.js';
import { imageNodeOptions } from '../support/cli.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NS = 'tigera-operator';
const SA = 'eks-log-forwarder';
const SA_USER = `system:serviceaccount:${NS}:${SA}`;
const AWS_SECRET = 'tigera-eks-log-forwarder-secret';
const CHECKPOINT = 'eks-log-forwarder-checkpoint';
const LEASE = 'eks-log-forwarder-leader';
const FIRST_BUILD_MS = 20 * 60_000;

// Parsed Kubernetes objects: shapes are checked by the assertions themselves.
type Obj = Record<string, any>;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function exec(cmd: string, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

let kube: KubeApiServer | undefined;

interface KubectlOptions {
  input?: string;
  /** Authenticate with this bearer token instead of the admin's. */
  token?: string;
  /** Resolve with a non-zero exit instead of throwing. */
  mayFail?: boolean;
}

async function kubectl(args: string[], opts: KubectlOptions = {}): Promise<Result> {
  if (!kube) throw new Error('kube-apiserver not started');
  const auth = opts.token ? [`--token=${opts.token}`] : [];
  const r = await exec('kubectl', [`--kubeconfig=${kube.kubeconfig}`, '--request-timeout=30s', ...auth, ...args], opts.input);
  if (r.code !== 0 && !opts.mayFail) throw new Error(`kubectl ${args.join(' ')} exited ${r.code}\n${r.stderr}${r.stdout}`);
  return r;
}

const toYaml = (objs: Obj[]): string => objs.map((o) => YAML.stringify(o)).join('---\n');

async function render(dir: string): Promise<{ text: string; objects: Obj[] }> {
  const r = await exec('kubectl', ['kustomize', dir]);
  if (r.code !== 0) throw new Error(`kubectl kustomize ${dir} failed: ${r.stderr}`);
  const objects = YAML.parseAllDocuments(r.stdout).map((d) => d.toJS() as Obj);
  return { text: r.stdout, objects };
}

function find(objects: Obj[], kind: string, name: string): Obj {
  const o = objects.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind}/${name} not rendered`);
  return o;
}

/** `kubectl auth can-i` as the forwarder's ServiceAccount: exit 0 = yes, 1 = no. */
async function canI(verb: string, resource: string, namespace?: string, subresource?: string): Promise<boolean> {
  const ns = namespace ? [`--namespace=${namespace}`] : [];
  const sub = subresource ? [`--subresource=${subresource}`] : [];
  const r = await kubectl(['auth', 'can-i', verb, resource, ...ns, ...sub, `--as=${SA_USER}`], { mayFail: true });
  if (r.code !== 0 && r.code !== 1) throw new Error(`kubectl auth can-i failed: ${r.stderr}`);
  return r.code === 0;
}

const getJson = async (args: string[], token?: string): Promise<Obj> =>
  JSON.parse((await kubectl(['get', ...args, '-o', 'json'], token ? { token } : {})).stdout) as Obj;

let base: { text: string; objects: Obj[] };
let irsa: { text: string; objects: Obj[] };
let saToken: string;

describe('deploy/ manifests on a real kube-apiserver', () => {
  beforeAll(async () => {
    base = await render('deploy/base');
    irsa = await render('deploy/overlays/irsa');
    kube = await start();
    // What the Calico operator would have made: its namespace (here with Pod Security warnings
    // at the restricted level, to check the Deployment against it), the LogCollector CRD.
    await kubectl(['create', 'namespace', NS]);
    await kubectl(['label', 'namespace', NS, 'pod-security.kubernetes.io/warn=restricted', 'pod-security.kubernetes.io/warn-version=latest']);
    await kubectl(['apply', '-f', 'deploy/crds/operator.tigera.io_logcollectors.yaml']);
    await kubectl(['wait', '--for=condition=established', '--timeout=60s', 'crd/logcollectors.operator.tigera.io']);
    // Neighbours the forwarder must not see.
    await kubectl(['create', 'secret', 'generic', 'tigera-ee-operator-license', `--namespace=${NS}`, '--from-literal=k=v']);
    await kubectl(['create', 'secret', 'generic', 'some-secret', '--namespace=kube-system', '--from-literal=k=v']);
    await kubectl(['create', 'configmap', 'tigera-ca-bundle', `--namespace=${NS}`, '--from-literal=tigera-ca-bundle.crt=-']);
  }, FIRST_BUILD_MS);

  afterAll(async () => {
    await kube?.stop();
  });

  it('renders the base: every namespaced object in tigera-operator, the image from the kustomize images entry', () => {
    const kinds = base.objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
    expect(kinds).toEqual(
      [
        'ClusterRole/eks-log-forwarder',
        'ClusterRoleBinding/eks-log-forwarder',
        `ConfigMap/${CHECKPOINT}`,
        'Deployment/eks-log-forwarder',
        `Lease/${LEASE}`,
        'PodDisruptionBudget/eks-log-forwarder',
        'Role/eks-log-forwarder',
        'RoleBinding/eks-log-forwarder',
        'Service/eks-log-forwarder-metrics',
        'ServiceAccount/eks-log-forwarder',
      ].sort(),
    );
    for (const o of base.objects.filter((x) => !x.kind.startsWith('Cluster'))) expect(o.metadata.namespace, o.kind).toBe(NS);
    // The base does not create the namespace, Secrets or the CA bundle: the operator/user owns them.
    expect(base.objects.some((o) => o.kind === 'Namespace' || o.kind === 'Secret')).toBe(false);
    const deployment = find(base.objects, 'Deployment', 'eks-log-forwarder');
    expect(deployment.spec.template.spec.containers[0].image).toBe('eks-log-forwarder:0.1.0');
  });

  it('grants no create and names one object in every RBAC rule', () => {
    const rules = [...find(base.objects, 'Role', SA).rules, ...find(base.objects, 'ClusterRole', SA).rules] as Obj[];
    for (const rule of rules) {
      expect(rule.resourceNames, JSON.stringify(rule)).toHaveLength(1);
      expect(rule.verbs).not.toContain('create');
      expect(rule.verbs).not.toContain('*');
    }
    // The state objects the Role would otherwise need `create` for are shipped, empty.
    expect(find(base.objects, 'ConfigMap', CHECKPOINT).data).toBeUndefined();
    expect(find(base.objects, 'Lease', LEASE).spec).toEqual({});
  });

  it('runs two non-root, read-only replicas with probes on the metrics port and Elasticsearch settings from the Secret and CA bundle', () => {
    const d = find(base.objects, 'Deployment', 'eks-log-forwarder');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.selector.matchLabels).toEqual({ 'k8s-app': 'eks-log-forwarder' });
    const pod = d.spec.template.spec;
    expect(pod.serviceAccountName).toBe(SA);
    const c = pod.containers[0];
    expect(c.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(c.resources).toEqual({ requests: { cpu: '50m', memory: '128Mi' }, limits: { memory: '256Mi' } });
    expect(c.ports).toEqual([{ name: 'metrics', containerPort: 9090, protocol: 'TCP' }]);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    const env = Object.fromEntries((c.env as Obj[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env).toMatchObject({
      EKS_FORWARDER_CONFIG_SOURCE: 'kubernetes',
      EKS_FORWARDER_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
      ELASTIC_SCHEME: 'https',
      ELASTIC_HOST: 'tigera-secure-es-http.tigera-elasticsearch.svc',
      ELASTIC_PORT: '9200',
      ELASTIC_USER: { secretKeyRef: { name: 'tigera-eks-log-forwarder-elasticsearch-access', key: 'username' } },
      ELASTIC_PASSWORD: { secretKeyRef: { name: 'tigera-eks-log-forwarder-elasticsearch-access', key: 'password' } },
      ELASTIC_CA: '/etc/pki/tls/certs/tigera-ca-bundle.crt',
      ELASTIC_INDEX_SUFFIX: 'cluster',
    });
    // The heap settings the benchmark measured are the image's; the Deployment repeats them next to its limit.
    expect(env.NODE_OPTIONS).toBe(imageNodeOptions());
    const oldSpaceMb = Number(/--max-old-space-size=(\d+)/.exec(String(env.NODE_OPTIONS))?.[1]);
    expect(oldSpaceMb).toBeGreaterThan(0);
    expect(oldSpaceMb).toBeLessThan(256 * 0.75);
    const mounts = Object.fromEntries((c.volumeMounts as Obj[]).map((m) => [m.mountPath, m.name]));
    expect(mounts).toEqual({ '/tmp': 'tmp', '/etc/pki/tls/certs': 'tigera-ca-bundle' });
    const caVolume = (pod.volumes as Obj[]).find((v) => v.name === 'tigera-ca-bundle');
    expect(caVolume?.configMap).toEqual({ name: 'tigera-ca-bundle', items: [{ key: 'tigera-ca-bundle.crt', path: 'tigera-ca-bundle.crt' }] });
    const svc = find(base.objects, 'Service', 'eks-log-forwarder-metrics');
    expect(svc.spec).toMatchObject({ type: 'ClusterIP', selector: { 'k8s-app': 'eks-log-forwarder' }, ports: [{ port: 9090, targetPort: 'metrics' }] });
  });

  it('the CRD copy accepts a LogCollector with eksCloudwatchLog and rejects a string fetchInterval or a missing region', async () => {
    const logCollector = (eks: Obj): string =>
      YAML.stringify({ apiVersion: 'operator.tigera.io/v1', kind: 'LogCollector', metadata: { name: 'tigera-secure' }, spec: { additionalSources: { eksCloudwatchLog: eks }, collectProcessPath: 'Enabled' } });
    await kubectl(['apply', '-f', '-'], { input: logCollector({ region: 'us-west-2', groupName: '/aws/eks/demo/cluster', streamPrefix: 'kube-apiserver-audit-', fetchInterval: 60 }) });
    const lc = await getJson(['logcollector', 'tigera-secure']);
    expect(lc.spec.additionalSources.eksCloudwatchLog.fetchInterval).toBe(60);

    const wrongType = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: logCollector({ region: 'us-west-2', groupName: 'g', fetchInterval: '60' }), mayFail: true });
    expect(wrongType.code).not.toBe(0);
    expect(wrongType.stderr).toMatch(/fetchInterval: Invalid value: "string"/);
    const noRegion = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: logCollector({ groupName: 'g' }), mayFail: true });
    expect(noRegion.code).not.toBe(0);
    expect(noRegion.stderr).toMatch(/region: Required value/);
  });

  it('the rendered base passes the API server validation in a server-side dry run, creating nothing', async () => {
    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: base.text });
    expect(r.stdout).toContain('deployment.apps/eks-log-forwarder created (server dry run)');
    expect(r.stdout).toContain(`lease.coordination.k8s.io/${LEASE} created (server dry run)`);
    const after = await kubectl(['get', 'deployment', 'eks-log-forwarder', `--namespace=${NS}`], { mayFail: true });
    expect(after.stderr).toMatch(/NotFound/);
  });

  it('applies for real without Pod Security warnings at the restricted level: an empty checkpoint ConfigMap and a Lease with no holder', async () => {
    const r = await kubectl(['apply', '--validate=strict', '-f', '-'], { input: base.text });
    expect(r.stderr).not.toMatch(/PodSecurity/);
    const cm = await getJson(['configmap', CHECKPOINT, `--namespace=${NS}`]);
    expect(cm.data).toBeUndefined();
    const lease = await getJson(['lease', LEASE, `--namespace=${NS}`]);
    expect(lease.spec?.holderIdentity).toBeUndefined();
    // The ServiceAccount exists (no controller-manager would have made one) and can get a token.
    saToken = (await kubectl(['create', 'token', SA, `--namespace=${NS}`, '--duration=1h'])).stdout.trim();
    const me = JSON.parse((await kubectl(['auth', 'whoami', '-o', 'json'], { token: saToken })).stdout) as Obj;
    expect(me.status.userInfo.username).toBe(SA_USER);
  });

  it('the restricted Pod Security check is live: the same Deployment without capabilities.drop gets a warning', async () => {
    const d = structuredClone(find(base.objects, 'Deployment', 'eks-log-forwarder'));
    delete d.spec.template.spec.containers[0].securityContext.capabilities;
    const r = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: toYaml([d]) });
    expect(r.stderr).toMatch(/would violate PodSecurity "restricted:latest": unrestricted capabilities/);
  });

  describe('RBAC of the forwarder ServiceAccount (kubectl auth can-i, impersonated)', () => {
    it.each([
      ['get its AWS Secret', 'get', `secret/${AWS_SECRET}`, NS],
      ['list its AWS Secret (by name)', 'list', `secret/${AWS_SECRET}`, NS],
      ['watch its AWS Secret', 'watch', `secret/${AWS_SECRET}`, NS],
      ['get LogCollector tigera-secure', 'get', 'logcollectors.operator.tigera.io/tigera-secure', undefined],
      ['watch LogCollector tigera-secure', 'watch', 'logcollectors.operator.tigera.io/tigera-secure', undefined],
      ['get its checkpoint ConfigMap', 'get', `configmap/${CHECKPOINT}`, NS],
      ['update its checkpoint ConfigMap', 'update', `configmap/${CHECKPOINT}`, NS],
      ['get its leader Lease', 'get', `leases.coordination.k8s.io/${LEASE}`, NS],
      ['update its leader Lease', 'update', `leases.coordination.k8s.io/${LEASE}`, NS],
    ])('allows: %s', async (_name, verb, resource, namespace) => {
      expect(await canI(verb, resource, namespace)).toBe(true);
    });

    it.each([
      ['get another Secret in tigera-operator', 'get', 'secret/tigera-ee-operator-license', NS],
      ['get the Elasticsearch credentials Secret (the kubelet injects it)', 'get', 'secret/tigera-eks-log-forwarder-elasticsearch-access', NS],
      ['list all Secrets in tigera-operator', 'list', 'secrets', NS],
      ['watch all Secrets in tigera-operator', 'watch', 'secrets', NS],
      ['update its AWS Secret', 'update', `secret/${AWS_SECRET}`, NS],
      ['get Secrets in kube-system', 'get', 'secret/some-secret', 'kube-system'],
      ['list Secrets in kube-system', 'list', 'secrets', 'kube-system'],
      ['get Secrets in default', 'get', `secret/${AWS_SECRET}`, 'default'],
      ['update LogCollector tigera-secure', 'update', 'logcollectors.operator.tigera.io/tigera-secure', undefined],
      ['patch LogCollector tigera-secure', 'patch', 'logcollectors.operator.tigera.io/tigera-secure', undefined],
      ['delete LogCollector tigera-secure', 'delete', 'logcollectors.operator.tigera.io/tigera-secure', undefined],
      ['get another LogCollector', 'get', 'logcollectors.operator.tigera.io/other', undefined],
      ['create deployments', 'create', 'deployments.apps', NS],
      ['get another ConfigMap in tigera-operator', 'get', 'configmap/tigera-ca-bundle', NS],
      ['list ConfigMaps', 'list', 'configmaps', NS],
      ['create ConfigMaps', 'create', 'configmaps', NS],
      ['delete its checkpoint ConfigMap', 'delete', `configmap/${CHECKPOINT}`, NS],
      ['get its checkpoint name in another namespace', 'get', `configmap/${CHECKPOINT}`, 'default'],
      ['create Leases', 'create', 'leases.coordination.k8s.io', NS],
      ['get another Lease', 'get', 'leases.coordination.k8s.io/other', NS],
      ['get pods', 'get', 'pods', NS],
    ])('denies: %s', async (_name, verb, resource, namespace) => {
      expect(await canI(verb, resource, namespace)).toBe(false);
    });

    it('denies: update the LogCollector status subresource', async () => {
      expect(await canI('update', 'logcollectors.operator.tigera.io/tigera-secure', undefined, 'status')).toBe(false);
    });
  });

  describe("with the ServiceAccount's own token", () => {
    beforeAll(async () => {
      await kubectl(['create', 'secret', 'generic', AWS_SECRET, `--namespace=${NS}`, '--from-literal=aws-id=AKIDEXAMPLE', '--from-literal=aws-key=secret']);
    });

    it('lists and watches its Secret and the LogCollector with fieldSelector metadata.name, as its informers do; without it, Forbidden', async () => {
      const byName = `metadata.name=${AWS_SECRET}`;
      const listed = await kubectl(['get', 'secrets', `--namespace=${NS}`, `--field-selector=${byName}`, '-o', 'name'], { token: saToken });
      expect(listed.stdout.trim()).toBe(`secret/${AWS_SECRET}`);
      const watched = await kubectl(
        ['get', '--raw', `/api/v1/namespaces/${NS}/secrets?watch=true&timeoutSeconds=1&fieldSelector=${encodeURIComponent(byName)}`],
        { token: saToken },
      );
      expect(watched.stdout).toContain('"type":"ADDED"');
      const lcs = await kubectl(['get', 'logcollectors', '--field-selector=metadata.name=tigera-secure', '-o', 'name'], { token: saToken });
      expect(lcs.stdout.trim()).toBe('logcollector.operator.tigera.io/tigera-secure');

      const all = await kubectl(['get', 'secrets', `--namespace=${NS}`], { token: saToken, mayFail: true });
      expect(all.stderr).toMatch(/forbidden/i);
      const other = await kubectl(['get', 'secret', 'tigera-ee-operator-license', `--namespace=${NS}`], { token: saToken, mayFail: true });
      expect(other.stderr).toMatch(/forbidden/i);
      const elsewhere = await kubectl(['get', 'secret', 'some-secret', '--namespace=kube-system'], { token: saToken, mayFail: true });
      expect(elsewhere.stderr).toMatch(/forbidden/i);
    });

    // A plain PUT of the object as read, as the forwarder does. Not `kubectl replace -f`: that
    // also rewrites kubectl's last-applied-configuration annotation, after which a `kubectl
    // apply` of the manifests would try to remove the fields the forwarder set.
    const put = (uri: string, body: Obj, mayFail = false): Promise<Result> =>
      kubectl(['replace', `--raw=${uri}`, '-f', '-'], { token: saToken, input: JSON.stringify(body), mayFail });

    it('takes the pre-created Lease and saves a checkpoint with get + update (PUT with resourceVersion) alone', async () => {
      const lease = await getJson(['lease', LEASE, `--namespace=${NS}`], saToken);
      lease.spec = { holderIdentity: 'eks-log-forwarder-abc', leaseDurationSeconds: 15, acquireTime: '2026-01-01T00:00:00.000000Z', renewTime: '2026-01-01T00:00:00.000000Z', leaseTransitions: 1 };
      await put(`/apis/coordination.k8s.io/v1/namespaces/${NS}/leases/${LEASE}`, lease);

      const cm = await getJson(['configmap', CHECKPOINT, `--namespace=${NS}`], saToken);
      cm.data = { 'run-group.json': '{"window":1}' };
      await put(`/api/v1/namespaces/${NS}/configmaps/${CHECKPOINT}`, cm);
      // A stale writer (the resourceVersion it last saw) is refused: the basis of the checkpoint's
      // optimistic concurrency.
      cm.data = { 'run-group.json': '{"window":0}' };
      const stale = await put(`/api/v1/namespaces/${NS}/configmaps/${CHECKPOINT}`, cm, true);
      expect(stale.stderr).toMatch(/Conflict|the object has been modified/);

      expect((await getJson(['lease', LEASE, `--namespace=${NS}`])).spec.holderIdentity).toBe('eks-log-forwarder-abc');
      expect((await getJson(['configmap', CHECKPOINT, `--namespace=${NS}`])).data).toEqual({ 'run-group.json': '{"window":1}' });
    });

    it('re-applying the manifests (client-side, then server-side apply) keeps the checkpoint and the Lease holder', async () => {
      const clientSide = await kubectl(['apply', '-f', '-'], { input: base.text });
      expect(clientSide.stdout).toContain(`configmap/${CHECKPOINT} unchanged`);
      expect(clientSide.stdout).toContain(`lease.coordination.k8s.io/${LEASE} unchanged`);
      // Switching to server-side apply (as GitOps tools do) takes over without conflicts.
      await kubectl(['apply', '--server-side', '-f', '-'], { input: base.text });
      expect((await getJson(['configmap', CHECKPOINT, `--namespace=${NS}`])).data).toEqual({ 'run-group.json': '{"window":1}' });
      expect((await getJson(['lease', LEASE, `--namespace=${NS}`])).spec).toMatchObject({ holderIdentity: 'eks-log-forwarder-abc', leaseTransitions: 1 });
    });

    it('cannot recreate a deleted checkpoint ConfigMap or Lease (no create right); re-applying the manifests restores them empty', async () => {
      await kubectl(['delete', 'configmap', CHECKPOINT, `--namespace=${NS}`]);
      await kubectl(['delete', 'lease', LEASE, `--namespace=${NS}`]);
      const cm = await kubectl(['create', 'configmap', CHECKPOINT, `--namespace=${NS}`, '--from-literal=run-group.json={}'], { token: saToken, mayFail: true });
      expect(cm.stderr).toMatch(/forbidden/i);
      const lease = await kubectl(['create', '-f', '-'], {
        token: saToken,
        input: YAML.stringify({ apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: LEASE, namespace: NS }, spec: { holderIdentity: 'x' } }),
        mayFail: true,
      });
      expect(lease.stderr).toMatch(/forbidden/i);

      await kubectl(['apply', '-f', '-'], { input: base.text });
      expect((await getJson(['configmap', CHECKPOINT, `--namespace=${NS}`])).data).toBeUndefined();
      expect((await getJson(['lease', LEASE, `--namespace=${NS}`])).spec?.holderIdentity).toBeUndefined();
    });
  });

  it('the IRSA overlay only annotates the ServiceAccount with the role ARN, and passes a server-side dry run', async () => {
    const sa = find(irsa.objects, 'ServiceAccount', SA);
    expect(sa.metadata.annotations['eks.amazonaws.com/role-arn']).toMatch(/^arn:aws:iam::\d{12}:role\/.+/);
    // Everything else is the base, unchanged.
    const strip = (objs: Obj[]): Obj[] => objs.map((o) => (o.kind === 'ServiceAccount' ? { ...o, metadata: { ...o.metadata, annotations: undefined } } : o));
    expect(strip(irsa.objects)).toEqual(strip(base.objects));
    expect(irsa.objects.some((o) => o.kind === 'Secret')).toBe(false);

    const r = await kubectl(['apply', '--dry-run=server', '--validate=strict', '-f', '-'], { input: irsa.text });
    expect(r.stdout).toContain('serviceaccount/eks-log-forwarder configured (server dry run)');
    expect(r.stderr).not.toMatch(/PodSecurity/);
  });
});
