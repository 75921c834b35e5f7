// Other EKS component streams (not audit): klog lines, authenticator logfmt, and a few JSON
// audit-looking lines, so a forwarder that ignores the stream name forwards something wrong.
// Each stream comes back unsorted; the caller sorts it like the audit streams.

import { APP_NAMESPACES, APPS, Gen, type Node } from './cluster.js';
import { isoMicro, isoSec } from './format.js';
import { keptMutation } from './mutations.js';
import type { Opts } from './options.js';
import { K8S_ALNUM, Rng } from './rng.js';
import { stages, type Pending } from './serialize.js';

export function otherStreams(o: Opts, apiservers: number): { name: string; pending: Pending[] }[] {
  const gen = new Gen(o, 4);
  const rng = gen.rng;
  const id = new Rng(o.seed, 5);
  const mk = (prefix: string): { name: string; pending: Pending[] } => ({ name: `${prefix}${id.hex(32)}`, pending: [] });
  const apis = Array.from({ length: apiservers }, () => mk('kube-apiserver-'));
  const auths = Array.from({ length: apiservers }, () => mk('authenticator-'));
  const kcm = mk('kube-controller-manager-');
  const sched = mk('kube-scheduler-');
  const ccm = mk('cloud-controller-manager-');
  const startUs = o.startMs * 1000;
  const spanUs = o.spanMs * 1000;
  const total = Math.max(20, Math.round(o.events * 0.08));
  const decoys = Math.max(3, Math.round(total * 0.03));
  let seq = 0;

  const klog = (us: number, sev: string, tid: number, file: string, msg: string): string => {
    const iso = isoMicro(us); // 2025-11-22T02:47:12.123456Z
    return `${sev}${iso.slice(5, 7)}${iso.slice(8, 10)} ${iso.slice(11, 26)} ${String(tid).padStart(7)} ${file}] ${msg}`;
  };
  const node = (): Node => rng.pick(gen.nodes);
  const ns = (): string => rng.pick(APP_NAMESPACES);
  const pod = (n: string): string => `${rng.pick(APPS[n] ?? ['app'])}-${rng.chars(K8S_ALNUM, 10)}-${rng.chars(K8S_ALNUM, 5)}`;

  for (let i = 0; i < total; i++) {
    const us = startUs + Math.floor(rng.next() * spanUs);
    let target: { pending: Pending[] };
    let line: string;
    if (i < decoys) {
      // A real-looking, kept-shaped audit event in the wrong stream.
      target = i % 2 === 0 ? rng.pick(apis) : kcm;
      const [[evUs, ev]] = stages(gen, keptMutation(gen, us), 1) as [[number, string]];
      target.pending.push({ us: evUs, seq: seq++, message: ev });
      continue;
    }
    const which = rng.int(100);
    if (which < 38) {
      target = rng.pick(auths);
      const n = node();
      const iso = isoSec(Math.floor(us / 1000));
      const u = n.actor.user as { username: string; uid: string; extra: { arn: string[]; canonicalArn: string[] } };
      line = rng.chance(0.97)
        ? `time="${iso}" level=info msg="access granted" arn="${u.extra.canonicalArn[0]}" client="127.0.0.1:${rng.range(32768, 60999)}" groups="[system:bootstrappers system:nodes]" method=POST path=/authenticate uid="${u.uid}" username="${u.username}"`
        : `time="${iso}" level=warning msg="access denied" client="127.0.0.1:${rng.range(32768, 60999)}" error="sts getCallerIdentity failed: error from AWS (expected 200, got 403). Body: {\\"Error\\":{\\"Code\\":\\"InvalidClientTokenId\\",\\"Message\\":\\"The security token included in the request is invalid.\\"}}" method=POST path=/authenticate`;
    } else if (which < 63) {
      target = rng.pick(apis);
      const n = node();
      line = rng.pick([
        () => klog(us, 'I', 10, `controller.go:${rng.range(100, 700)}`, 'quota admission added evaluator for: leases.coordination.k8s.io'),
        () => klog(us, 'I', 10, 'alloc.go:330', `"allocated clusterIPs" service="${ns()}/${rng.pick(['web', 'api', 'cart'])}" clusterIPs={"IPv4":"172.20.${rng.int(256)}.${rng.int(256)}"}`),
        () =>
          klog(
            us,
            'I',
            10,
            'trace.go:236',
            `Trace[${rng.range(100000000, 999999999)}]: "Update" accept:application/vnd.kubernetes.protobuf, */*,audit-id:${rng.uuid()},client:${n.ip},api-group:coordination.k8s.io,api-version:v1,name:${n.name},subresource:,namespace:kube-node-lease,protocol:HTTP/2.0,resource:leases,scope:resource,url:/apis/coordination.k8s.io/v1/namespaces/kube-node-lease/leases/${n.name},user-agent:${gen.kubeletUA},verb:PUT (total time: ${rng.range(500, 2500)}ms):`,
          ),
        () => klog(us, 'W', 10, 'dispatcher.go:225', 'Failed calling webhook, failing closed vpc-resource-mutating-webhook.k8s.aws: failed calling webhook "vpc-resource-mutating-webhook.k8s.aws": context deadline exceeded'),
        () => klog(us, 'E', 10, 'status.go:71', 'apiserver received an error that is not an metav1.Status: context.deadlineExceededError{}: context deadline exceeded'),
        () => klog(us, 'I', 10, 'handler.go:286', 'Adding GroupVersion projectcalico.org v3 to ResourceManager'),
        () => klog(us, 'I', 10, 'cacher.go:847', `cacher (pods): ${rng.range(1, 20)} objects queued in incoming channel.`),
      ])();
    } else if (which < 83) {
      target = kcm;
      const n1 = ns();
      const p = pod(n1);
      line = rng.pick([
        () => klog(us, 'I', 11, 'replica_set.go:676', `"Finished syncing" logger="replicaset-controller" kind="ReplicaSet" key="${n1}/${p.slice(0, -6)}" duration="${rng.range(20, 900)}.${rng.int(1000)}µs"`),
        () =>
          klog(
            us,
            'I',
            11,
            'event.go:389',
            `"Event occurred" object="${n1}/${p.slice(0, -6)}" fieldPath="" kind="ReplicaSet" apiVersion="apps/v1" type="Normal" reason="SuccessfulCreate" message="Created pod: ${p}"`,
          ),
        () => klog(us, 'I', 11, 'garbagecollector.go:549', `"Processing item" logger="garbage-collector-controller" item="[v1/Pod, namespace: ${n1}, name: ${p}, uid: ${rng.uuid()}]" virtual=false`),
        () => klog(us, 'E', 11, 'leaderelection.go:429', 'Failed to update lock optimitically: Operation cannot be fulfilled on leases.coordination.k8s.io "kube-controller-manager": the object has been modified; please apply your changes to the latest version and try again, falling back to slow path'),
      ])();
    } else if (which < 93) {
      target = sched;
      const n1 = ns();
      line = klog(
        us,
        'I',
        12,
        'schedule_one.go:314',
        `"Successfully bound pod to node" pod="${n1}/${pod(n1)}" node="${node().name}" evaluatedNodes=${gen.nodes.length} feasibleNodes=${rng.range(1, gen.nodes.length)}`,
      );
    } else {
      target = ccm;
      const n = node();
      line = rng.chance(0.5)
        ? klog(us, 'I', 1, 'node_controller.go:431', `"Initializing node" node="${n.name}" instanceID="aws:///${gen.region}a/${n.instanceId}"`)
        : klog(us, 'I', 1, 'instances.go:102', `Node ${n.name} has provider ID aws:///${gen.region}a/${n.instanceId}`);
    }
    target.pending.push({ us, seq: seq++, message: line });
  }
  return [...apis, ...auths, kcm, sched, ccm];
}
