// The simulated cluster: its identity (account, nodes, users, service accounts, system components),
// its workloads, and the helpers every kind of request draws its names, times and latencies from.

import { isoSec, type J } from './format.js';
import type { Opts } from './options.js';
import { levelFor, type Level } from './resources.js';
import { fnv1a, K8S_ALNUM, Rng, UPPER_ALNUM } from './rng.js';

export interface Actor {
  user: J;
  ua: string;
  ips: readonly string[];
  allow: J; // the authorization annotations this actor's allowed requests carry
  human: boolean;
}

export interface Node {
  name: string;
  ip: string;
  instanceId: string;
  actor: Actor;
}

export interface Req {
  level: Level;
  verb: string;
  uri: string;
  actor: Actor;
  imp?: J;
  objectRef?: J;
  status: J;
  reqObj?: unknown;
  respObj?: unknown;
  annotations: J;
  recvUs: number;
  doneUs: number;
  /** Watches and upgraded connections (exec) log ResponseStarted first. */
  startedUs?: number;
  /** Never log the optional RequestReceived stage (leader-election noise). */
  noReceived?: boolean;
}

export const APPS: Record<string, readonly string[]> = {
  payments: ['payments-api', 'ledger', 'fraud-check'],
  checkout: ['checkout', 'cart', 'redis'],
  frontend: ['web', 'ingress-gateway'],
  catalog: ['catalog', 'search', 'postgres'],
  orders: ['orders', 'order-worker', 'kafka-connect'],
  identity: ['auth', 'session-store'],
  default: ['nginx', 'hello-world'],
};
export const APP_NAMESPACES = Object.keys(APPS);
export const TIERS = ['security', 'platform', 'application'] as const;
export const PORTS = [80, 443, 5432, 6379, 8080, 8443, 9090, 9092] as const;

/**
 * A generator's state: its own random stream (`rng`), the scenario's options, and the simulated
 * cluster. The request builders of the other modules are functions of it.
 */
export class Gen {
  readonly rng: Rng;
  /** Cluster identity: drawn from the seed alone, shared by every generator of a scenario. */
  readonly id: Rng;
  readonly o: Opts;
  private readonly startUs: number;
  private readonly endUs: number;
  private readonly sizeCache = new Map<string, { base: number; per: number }>();

  readonly account: string;
  readonly region: string;
  readonly minor: number;
  readonly kubeVersion: string;
  readonly kubeletUA: string;
  readonly nodes: Node[];
  readonly humans: { admin: Actor; alice: Actor; bob: Actor };
  readonly sa: Record<string, Actor>;
  readonly sys: Record<string, Actor>;

  constructor(o: Opts, salt: number) {
    this.o = o;
    this.rng = new Rng(o.seed, salt);
    this.id = new Rng(o.seed, 1);
    this.startUs = o.startMs * 1000;
    this.endUs = (o.startMs + o.spanMs) * 1000;
    const id = this.id;

    this.account = String(id.range(100000000000, 999999999999));
    const region = id.pick([
      ['us-west-2', 'us-west-2.compute.internal'],
      ['us-east-1', 'ec2.internal'],
      ['eu-west-1', 'eu-west-1.compute.internal'],
    ] as const);
    this.region = region[0];
    this.minor = id.range(29, 32);
    const patch = id.range(0, 12);
    const build = id.hex(7);
    this.kubeVersion = `v1.${this.minor}.${patch}`;
    this.kubeletUA = `kubelet/v1.${this.minor}.${patch}-eks-${build} (linux/amd64) kubernetes/${build}`;
    const gitCommit = id.hex(7);
    const kcmUA = (sa: string): string => `kube-controller-manager/${this.kubeVersion} (linux/amd64) kubernetes/${gitCommit}/${sa}`;

    const allow = (reason: string): J => ({ 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': reason });
    const iamExtra = (arn: string, canonical: string, principal: string, session: string): J => ({
      accessKeyId: [`ASIA${id.chars(UPPER_ALNUM, 16)}`],
      arn: [arn],
      canonicalArn: [canonical],
      principalId: [principal],
      sessionName: [session],
    });

    const nodeRole = `eksctl-${o.cluster}-nodegroup-ng-1-NodeInstanceRole-${id.chars(UPPER_ALNUM, 12)}`;
    const nodeRoleId = `AROA${id.chars(UPPER_ALNUM, 17)}`;
    const nodeCount = id.range(3, 12);
    this.nodes = [];
    for (let i = 0; i < nodeCount; i++) {
      const ip = `10.0.${id.int(64)}.${id.range(2, 254)}`;
      const name = `ip-${ip.replaceAll('.', '-')}.${region[1]}`;
      const instanceId = `i-0${id.hex(16)}`;
      this.nodes.push({
        name,
        ip,
        instanceId,
        actor: {
          user: {
            username: `system:node:${name}`,
            uid: `aws-iam-authenticator:${this.account}:${nodeRoleId}`,
            groups: ['system:bootstrappers', 'system:nodes', 'system:authenticated'],
            extra: iamExtra(
              `arn:aws:sts::${this.account}:assumed-role/${nodeRole}/${instanceId}`,
              `arn:aws:iam::${this.account}:role/${nodeRole}`,
              `${nodeRoleId}:${instanceId}`,
              instanceId,
            ),
          },
          ua: this.kubeletUA,
          ips: [ip],
          allow: allow(''),
          human: false,
        },
      });
    }

    const kubectl = (v: string, os: string): string => `kubectl/v1.${v} (${os}) kubernetes/${fnv1a(v).toString(16).slice(0, 7)}`;
    const adminId = `AIDA${id.chars(UPPER_ALNUM, 17)}`;
    const ssoRole = `AWSReservedSSO_PlatformEngineers_${id.hex(16)}`;
    const ssoId = `AROA${id.chars(UPPER_ALNUM, 17)}`;
    const devId = `AROA${id.chars(UPPER_ALNUM, 17)}`;
    this.humans = {
      admin: {
        user: {
          username: 'kubernetes-admin',
          uid: `aws-iam-authenticator:${this.account}:${adminId}`,
          groups: ['system:masters', 'system:authenticated'],
          extra: iamExtra(`arn:aws:iam::${this.account}:user/admin`, `arn:aws:iam::${this.account}:user/admin`, adminId, ''),
        },
        ua: kubectl(`${this.minor}.${patch}`, 'darwin/arm64'),
        ips: ['203.0.113.24', '203.0.113.77'],
        allow: allow(''),
        human: true,
      },
      alice: {
        user: {
          username: 'platform:alice',
          uid: `aws-iam-authenticator:${this.account}:${ssoId}`,
          groups: ['platform-engineers', 'system:authenticated'],
          extra: iamExtra(
            `arn:aws:sts::${this.account}:assumed-role/${ssoRole}/alice@example.com`,
            `arn:aws:iam::${this.account}:role/${ssoRole}`,
            `${ssoId}:alice@example.com`,
            'alice@example.com',
          ),
        },
        ua: kubectl(`${this.minor - 1}.4`, 'linux/amd64'),
        ips: ['198.51.100.12'],
        allow: allow('RBAC: allowed by ClusterRoleBinding "platform-engineers" of ClusterRole "cluster-admin" to Group "platform-engineers"'),
        human: true,
      },
      bob: {
        user: {
          username: 'dev:bob',
          uid: `aws-iam-authenticator:${this.account}:${devId}`,
          groups: ['developers', 'system:authenticated'],
          extra: iamExtra(
            `arn:aws:sts::${this.account}:assumed-role/Developers/bob`,
            `arn:aws:iam::${this.account}:role/Developers`,
            `${devId}:bob`,
            'bob',
          ),
        },
        ua: kubectl(`${this.minor}.1`, 'darwin/amd64'),
        ips: ['198.51.100.201'],
        allow: allow('RBAC: allowed by RoleBinding "developers/payments" of ClusterRole "edit" to Group "developers"'),
        human: true,
      },
    };

    const kcmSa = (name: string): Actor => ({
      user: {
        username: `system:serviceaccount:kube-system:${name}`,
        uid: this.stableUid(`sa/kube-system/${name}`),
        groups: ['system:serviceaccounts', 'system:serviceaccounts:kube-system', 'system:authenticated'],
      },
      ua: kcmUA(`system:serviceaccount:kube-system:${name}`),
      ips: ['127.0.0.1'],
      allow: allow(
        `RBAC: allowed by ClusterRoleBinding "system:controller:${name}" of ClusterRole "system:controller:${name}" to ServiceAccount "${name}/kube-system"`,
      ),
      human: false,
    });
    const podSa = (ns: string, name: string, ua: string, binding: string): Actor => {
      const node = id.pick(this.nodes);
      const pod = `${name}-${id.chars(K8S_ALNUM, 10)}-${id.chars(K8S_ALNUM, 5)}`;
      return {
        user: {
          username: `system:serviceaccount:${ns}:${name}`,
          uid: this.stableUid(`sa/${ns}/${name}`),
          groups: ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'],
          extra: {
            'authentication.kubernetes.io/credential-id': [`JTI=${id.uuid()}`],
            'authentication.kubernetes.io/node-name': [node.name],
            'authentication.kubernetes.io/node-uid': [this.stableUid(`node/${node.name}`)],
            'authentication.kubernetes.io/pod-name': [pod],
            'authentication.kubernetes.io/pod-uid': [this.stableUid(`pod/${ns}/${pod}`)],
          },
        },
        ua,
        ips: [`10.0.${id.int(64)}.${id.range(2, 254)}`],
        allow: allow(`RBAC: allowed by ClusterRoleBinding "${binding}" of ClusterRole "${binding}" to ServiceAccount "${name}/${ns}"`),
        human: false,
      };
    };
    this.sa = {
      replicaset: kcmSa('replicaset-controller'),
      deployment: kcmSa('deployment-controller'),
      daemonset: kcmSa('daemon-set-controller'),
      endpoint: kcmSa('endpoint-controller'),
      endpointslice: kcmSa('endpointslice-controller'),
      namespace: kcmSa('namespace-controller'),
      gc: kcmSa('generic-garbage-collector'),
      quota: kcmSa('resourcequota-controller'),
      tokens: kcmSa('service-account-controller'),
      tigeraOperator: podSa('tigera-operator', 'tigera-operator', 'operator/v1.36.2 (linux/amd64) kubernetes/$Format', 'tigera-operator'),
      calicoKc: podSa('calico-system', 'calico-kube-controllers', 'kube-controllers/v3.29.1 (linux/amd64) kubernetes/$Format', 'calico-kube-controllers'),
      calicoNode: podSa('calico-system', 'calico-node', 'calico-node/v3.29.1 (linux/amd64) kubernetes/$Format', 'calico-node'),
      intrusion: podSa(
        'tigera-intrusion-detection',
        'intrusion-detection-controller',
        'intrusion-detection-controller/v3.20.1 (linux/amd64) kubernetes/$Format',
        'intrusion-detection-controller',
      ),
      argocd: podSa('argocd', 'argocd-application-controller', 'argocd-application-controller/v2.13.1 (linux/amd64) kubernetes/$Format', 'argocd-application-controller'),
      awsNode: podSa('kube-system', 'aws-node', 'aws-node/v1.19.0 (linux/amd64) kubernetes/$Format', 'aws-node'),
      coredns: podSa('kube-system', 'coredns', 'coredns/v1.11.3 (linux/amd64) kubernetes/$Format', 'system:coredns'),
      lbc: podSa('kube-system', 'aws-load-balancer-controller', 'aws-load-balancer-controller/v2.9.2 (linux/amd64) kubernetes/$Format', 'aws-load-balancer-controller-role'),
      metrics: podSa('kube-system', 'metrics-server', 'metrics-server/v0.7.2 (linux/amd64) kubernetes/$Format', 'system:metrics-server'),
      prometheus: podSa('monitoring', 'prometheus-k8s', 'Prometheus/2.54.1', 'prometheus-k8s'),
    };
    const plain = (username: string, ua: string, reason: string, groups = ['system:authenticated'], ips = ['127.0.0.1']): Actor => ({
      user: { username, groups },
      ua,
      ips,
      allow: allow(reason),
      human: false,
    });
    const rb = (u: string): string => `RBAC: allowed by ClusterRoleBinding "${u}" of ClusterRole "${u}" to User "${u}"`;
    this.sys = {
      kcm: plain('system:kube-controller-manager', kcmUA('leader-election'), rb('system:kube-controller-manager')),
      scheduler: plain(
        'system:kube-scheduler',
        `kube-scheduler/${this.kubeVersion} (linux/amd64) kubernetes/${gitCommit}/scheduler`,
        rb('system:kube-scheduler'),
      ),
      apiserver: {
        user: { username: 'system:apiserver', uid: this.stableUid('apiserver'), groups: ['system:authenticated', 'system:masters'] },
        ua: `kube-apiserver/${this.kubeVersion} (linux/amd64) kubernetes/${gitCommit}`,
        ips: ['::1'],
        allow: allow(''),
        human: false,
      },
      certs: plain('eks:certificate-controller', 'eks-certificates-controller/v0.0.0 (linux/amd64) kubernetes/$Format', rb('eks:certificate-controller')),
      addons: plain('eks:addon-manager', `eks-addon-manager/v1.${this.minor}.0 (linux/amd64)`, rb('eks:addon-manager'), ['system:authenticated'], [
        '172.16.45.12',
      ]),
      ccm: plain(
        'eks:cloud-controller-manager',
        `aws-cloud-controller-manager/v1.${this.minor}.2 (linux/amd64) kubernetes/$Format/leader-election`,
        rb('eks:cloud-controller-manager'),
      ),
      k8sMetrics: plain('eks:k8s-metrics', 'eks-k8s-metrics/v0.0.0 (linux/amd64)', rb('eks:k8s-metrics')),
      anonymous: plain(
        'system:anonymous',
        'Go-http-client/1.1',
        'RBAC: allowed by ClusterRoleBinding "system:public-info-viewer" of ClusterRole "system:public-info-viewer" to Group "system:unauthenticated"',
        ['system:unauthenticated'],
        ['172.16.12.10', '172.16.77.134'],
      ),
    };
  }

  // --- helpers -------------------------------------------------------------------------------

  stableUid(key: string): string {
    const s = `${this.o.seed}/${this.o.cluster}/${key}`;
    const a = fnv1a(s);
    const b = fnv1a(s, a ^ 0x9e3779b9);
    const c = fnv1a(s, b ^ 0x85ebca6b);
    const d = fnv1a(s, c ^ 0xc2b2ae35);
    const h = [a, b, c, d].map((x) => x.toString(16).padStart(8, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20)}`;
  }

  timeUs(): number {
    return this.startUs + Math.floor(this.rng.next() * (this.endUs - this.startUs));
  }

  /** Clamp into the window, so every event's CloudWatch timestamp lies in [startMs, startMs+spanMs). */
  done(t: number, latencyUs: number): number {
    return Math.min(t + latencyUs, this.endUs - 1);
  }

  /** resourceVersion grows with time, like etcd's revision. */
  rv(t: number): string {
    return String(40_000_000 + Math.floor((t - this.startUs) / 2000) + this.rng.int(7));
  }

  createdBefore(key: string): string {
    return isoSec(this.o.startMs - 3_600_000 - (fnv1a(key) % (90 * 86_400)) * 1000);
  }

  ip(a: Actor): string {
    return a.ips.length === 1 ? a.ips[0]! : this.rng.pick(a.ips);
  }

  app(ns: string): string {
    return this.rng.pick(APPS[ns] ?? ['app']);
  }

  appNs(): string {
    return this.rng.pick(APP_NAMESPACES);
  }

  node(): Node {
    return this.rng.pick(this.nodes);
  }

  podName(app: string): string {
    return `${app}-${this.podHash(app)}-${this.rng.chars(K8S_ALNUM, 5)}`;
  }

  podHash(app: string): string {
    // A couple of ReplicaSet generations per app.
    const h = fnv1a(`${this.o.seed}/${app}/${this.rng.int(2)}`);
    let s = '';
    for (let i = 0, x = h; i < 10; i++, x = Math.floor(x / 27) + i * 7919) s += K8S_ALNUM[x % 27];
    return s;
  }

  latency(lo: number, hi: number): number {
    return lo + Math.floor(this.rng.next() ** 3 * (hi - lo)); // long-tailed
  }

  /** Completes a request: its audit level, annotations and (clamped) completion time. */
  req(p: Omit<Req, 'level' | 'annotations' | 'doneUs'> & { annotations?: J; lat: number; level?: Level }): Req {
    const r = p as unknown as Req;
    r.level = p.level ?? levelFor(p.objectRef, p.verb, p.actor);
    r.annotations = p.annotations ?? p.actor.allow;
    r.doneUs = this.done(p.recvUs, p.lat);
    return r;
  }

  /** Number of repeated units that brings a kind's body to about `target` bytes. */
  units(key: string, target: number, build: (n: number) => unknown): number {
    let c = this.sizeCache.get(key);
    if (!c) {
      const s1 = JSON.stringify(build(1)).length;
      const s5 = JSON.stringify(build(5)).length;
      c = { base: s1, per: Math.max(1, (s5 - s1) / 4) };
      this.sizeCache.set(key, c);
    }
    return Math.max(1, Math.round(1 + (target - c.base) / c.per));
  }
}
