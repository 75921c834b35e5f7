import { AppsV1Api, CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { operatorForwarderCheck } from '../../src/kube/operator-forwarder.js';

describe("the operator's own forwarder beside this one (real kube-apiserver)", () => {
  let kube: kubeApiserver.KubeApiServer;
  let kc: KubeConfig;
  beforeAll(async () => {
    kube = await kubeApiserver.start();
    kc = new KubeConfig();
    kc.loadFromFile(kube.kubeconfig);
  }, 300_000);
  afterAll(async () => {
    await kube?.stop();
  });

  it('passes with none, and fails naming the Deployment and the switch when the operator runs one', async () => {
    expect(await operatorForwarderCheck(kc, 'eks-log-forwarder-aws')).toMatchObject({ ok: true, detail: expect.stringMatching(/^none/) });

    await kc.makeApiClient(CoreV1Api).createNamespace({ body: { metadata: { name: 'calico-system' } } });
    const labels = { 'k8s-app': 'eks-log-forwarder' };
    await kc.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: 'calico-system',
      body: {
        metadata: { name: 'eks-log-forwarder' },
        spec: { selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'eks-log-forwarder', image: 'fluent-bit' }] } } },
      },
    });
    const check = await operatorForwarderCheck(kc, 'tigera-eks-log-forwarder-secret');
    expect(check).toMatchObject({ ok: false, detail: expect.stringContaining('calico-system/eks-log-forwarder is running') });
    expect(check.hint).toContain('EKS_FORWARDER_AWS_SECRET=eks-log-forwarder-aws');
    expect(check.hint).toContain('delete Deployment calico-system/eks-log-forwarder by hand');
    expect(check.hint).toContain('this forwarder reads tigera-eks-log-forwarder-secret now');
  });
});
