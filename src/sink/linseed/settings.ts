import { z } from 'zod';
import type { ComponentSettings, SettingSpec } from '../../component.js';
import { lowerCaseName, optionalText } from '../../config/fields.js';

export interface LinseedSettings {
  /** `https://tigera-linseed.tigera-elasticsearch.svc`, or the guardian proxy in a managed cluster. */
  endpoint: string;
  caFile?: string;
  certFile: string;
  keyFile: string;
  /** Read again for every request: the kubelet rotates a projected token. */
  tokenFile: string;
  tenantId?: string;
  /** Sent as `x-cluster-id`; Linseed's default (`cluster`) when absent. */
  clusterId?: string;
}

/** The operator's forwarder's environment, unchanged, so its Deployment's env works as is (linseed.md). */
const specs = {
  linseedEndpoint: {
    env: 'LINSEED_ENDPOINT',
    flag: '--linseed-endpoint',
    default: 'none',
    meaning: 'Linseed URL (`https://tigera-linseed.tigera-elasticsearch.svc`); with no `ELASTIC_*` setting it selects the Linseed sink',
  },
  linseedCa: { env: 'LINSEED_CA_PATH', default: 'system CAs', meaning: "CA bundle that verifies Linseed (the operator's `tigera-ca-bundle`)" },
  tlsCert: { env: 'TLS_CRT_PATH', default: 'required for Linseed', meaning: 'client certificate (PEM) Linseed requires, signed by the operator CA' },
  tlsKey: { env: 'TLS_KEY_PATH', default: 'required for Linseed', meaning: 'its private key (PEM)' },
  linseedToken: {
    env: 'LINSEED_TOKEN',
    default: '`/var/run/secrets/kubernetes.io/serviceaccount/token`',
    meaning: "file of the bearer token, read for every request (managed clusters: `/var/run/secrets/tigera.io/linseed/token`)",
  },
  tenantId: { env: 'TENANT_ID', default: 'none', meaning: 'sent as `x-tenant-id` (multi-tenant Linseed only)' },
  clusterId: {
    env: 'LINSEED_CLUSTER_ID',
    flag: '--cluster-id',
    default: "none (Linseed's `cluster`)",
    meaning: 'sent as `x-cluster-id`: the cluster name in `tigera_secure_ee_audit_kube.<cluster>.*`',
  },
} as const satisfies Record<string, SettingSpec>;

const schema = z.object({
  linseedEndpoint: optionalText.pipe(z.url({ protocol: /^https$/, error: 'must be an https URL like https://tigera-linseed.tigera-elasticsearch.svc' }).optional()),
  linseedCa: optionalText,
  tlsCert: optionalText,
  tlsKey: optionalText,
  linseedToken: optionalText,
  tenantId: optionalText,
  clusterId: optionalText.pipe(lowerCaseName('must be lower case letters, digits, "-", "_" or "."').optional()),
});

/** The Linseed sink's settings: the endpoint, the client keypair and token Linseed requires. */
export const linseedSettings: ComponentSettings<LinseedSettings> = {
  specs,
  schema,
  resolve(raw, issue) {
    const s = raw as z.infer<typeof schema>;
    if (!s.linseedEndpoint) issue('linseedEndpoint', 'is required (where Linseed listens)');
    // Linseed refuses a connection without a client certificate.
    if (!s.tlsCert) issue('tlsCert', 'is required: Linseed requires a client certificate');
    if (!s.tlsKey) issue('tlsKey', 'is required: the client certificate needs its key');
    if (!s.linseedEndpoint || !s.tlsCert || !s.tlsKey) return undefined;
    return {
      endpoint: s.linseedEndpoint.replace(/\/+$/, ''),
      caFile: s.linseedCa,
      certFile: s.tlsCert,
      keyFile: s.tlsKey,
      tokenFile: s.linseedToken ?? '/var/run/secrets/kubernetes.io/serviceaccount/token',
      tenantId: s.tenantId,
      clusterId: s.clusterId,
    };
  },
};
