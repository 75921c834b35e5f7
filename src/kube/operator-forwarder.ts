import { AppsV1Api, type KubeConfig } from '@kubernetes/client-node';
import type { DoctorResult } from '../component.js';
import { errorText } from '../error-text.js';
import { AWS_SECRET } from './cluster-config.js';

/** Where the operator renders its own EKS forwarder (fluent-bit since June 2026, fluentd before). */
export const OPERATOR_FORWARDERS = [
  { namespace: 'calico-system', name: 'eks-log-forwarder' },
  { namespace: 'tigera-fluentd', name: 'eks-log-forwarder' },
] as const;

export const OPERATOR_FORWARDER_CHECK = "the operator's forwarder";

/**
 * The operator's forwarder polls the same log group and writes the same events: beside it, both
 * spend the quota and everything is stored twice. The operator renders it while Secret
 * `tigera-eks-log-forwarder-secret` in `tigera-operator` holds both keys (and leaves it behind
 * when the Secret goes), so this forwarder takes its keys elsewhere and the Deployment is removed.
 */
export async function operatorForwarderCheck(kc: KubeConfig, awsSecret: string): Promise<DoctorResult> {
  const apps = kc.makeApiClient(AppsV1Api);
  const found: string[] = [];
  const unknown: string[] = [];
  for (const d of OPERATOR_FORWARDERS) {
    try {
      await apps.readNamespacedDeployment({ name: d.name, namespace: d.namespace });
      found.push(`${d.namespace}/${d.name}`);
    } catch (err) {
      const code = (err as { code?: number }).code;
      if (code !== 404) unknown.push(`${d.namespace}/${d.name}: ${code === 403 ? 'no permission to read it' : errorText(err)}`);
    }
  }
  if (found.length > 0) {
    return {
      name: OPERATOR_FORWARDER_CHECK,
      ok: false,
      detail: `Deployment ${found.join(', ')} is running: it polls the same log group and writes every event a second time`,
      // The operator stops rendering it once its Secret is gone, but never deletes what it rendered.
      hint:
        `give this forwarder its AWS keys in another Secret (EKS_FORWARDER_AWS_SECRET=eks-log-forwarder-aws) or IRSA / Pod Identity, delete Secret ${AWS_SECRET} in tigera-operator, ` +
        `then delete Deployment ${found.join(', ')} by hand (README: switching from the operator's forwarder)` +
        (awsSecret === AWS_SECRET ? `; this forwarder reads ${AWS_SECRET} now` : ''),
    };
  }
  if (unknown.length > 0) return { name: OPERATOR_FORWARDER_CHECK, ok: true, warning: true, detail: `not known: ${unknown.join('; ')}` };
  return { name: OPERATOR_FORWARDER_CHECK, ok: true, detail: `none (${OPERATOR_FORWARDERS.map((d) => `${d.namespace}/${d.name}`).join(', ')} absent)` };
}
