import { z } from 'zod';
import type { ComponentSettings, SettingSpec } from '../../component.js';
import { boolean, integerIn, lowerCaseName, optionalText } from '../../config/fields.js';

export interface ElasticsearchSettings {
  node: string;
  auth?: { username: string; password: string } | { apiKey: string };
  caFile?: string;
  sslVerify: boolean;
  /** The cluster name in `tigera_secure_ee_audit_kube.<suffix>.*`. */
  indexSuffix: string;
  installTemplate: boolean;
  ilmPolicy?: string;
  deadLetterIndex: string;
}

const specs = {
  elasticUrl: { env: 'ELASTIC_URL', flag: '--elastic-url', default: 'none', meaning: 'Elasticsearch URL; or the three below' },
  elasticScheme: { env: 'ELASTIC_SCHEME', default: '`https`', meaning: 'Elasticsearch scheme (with `ELASTIC_HOST`)' },
  elasticHost: { env: 'ELASTIC_HOST', default: 'none', meaning: 'Elasticsearch host, when no `ELASTIC_URL`' },
  elasticPort: { env: 'ELASTIC_PORT', default: '`9200`', meaning: 'Elasticsearch port (with `ELASTIC_HOST`)' },
  elasticUser: {
    env: 'ELASTIC_USER',
    default: 'none',
    meaning: 'Elasticsearch user (with `ELASTIC_PASSWORD`)',
    cluster: 'Secret `tigera-eks-log-forwarder-elasticsearch-access`',
  },
  elasticPassword: {
    env: 'ELASTIC_PASSWORD',
    default: 'none',
    meaning: 'Elasticsearch password',
    cluster: 'Secret `tigera-eks-log-forwarder-elasticsearch-access`',
  },
  elasticApiKey: { env: 'ELASTIC_API_KEY', default: 'none', meaning: 'Elasticsearch API key, instead of user and password' },
  elasticCa: { env: 'ELASTIC_CA', default: 'system CAs', meaning: 'CA bundle file' },
  elasticSslVerify: { env: 'ELASTIC_SSL_VERIFY', default: '`true`', meaning: 'verify the server certificate' },
  indexSuffix: {
    env: 'ELASTIC_INDEX_SUFFIX',
    flag: '--index-suffix',
    default: '`cluster`',
    meaning: 'the cluster name in `tigera_secure_ee_audit_kube.<suffix>.*`',
  },
  installTemplate: {
    env: 'ELASTIC_INSTALL_TEMPLATE',
    flag: '--install-template',
    default: '`true`',
    meaning: 'install the index templates when absent (`false` where the operator manages them)',
  },
  ilmPolicy: { env: 'ELASTIC_ILM_POLICY', flag: '--ilm-policy', default: 'none', meaning: 'ILM policy name set on new audit indices' },
  deadLetterIndex: {
    env: 'ELASTIC_DEAD_LETTER_INDEX',
    flag: '--dead-letter-index',
    default: '`eks-log-forwarder-deadletter.<suffix>`',
    meaning: 'where undeliverable events are kept whole',
  },
} as const satisfies Record<string, SettingSpec & { cluster?: string }>;

const schema = z.object({
  elasticUrl: optionalText.pipe(z.url({ error: 'must be a URL like https://host:9200' }).optional()),
  elasticScheme: optionalText.pipe(z.enum(['http', 'https'], { error: 'must be http or https' }).optional()),
  elasticHost: optionalText,
  elasticPort: integerIn(1, 65_535),
  elasticUser: optionalText,
  elasticPassword: optionalText,
  elasticApiKey: optionalText,
  elasticCa: optionalText,
  elasticSslVerify: boolean(true),
  indexSuffix: optionalText.transform((v) => v ?? 'cluster').pipe(lowerCaseName('must be lower case letters, digits, "-", "_" or "."')),
  installTemplate: boolean(true),
  ilmPolicy: optionalText,
  deadLetterIndex: optionalText.pipe(lowerCaseName('must be a lower-case index name').optional()),
});

/** The Elasticsearch sink's settings: where it listens, how to log in, and the index names. */
export const elasticsearchSettings: ComponentSettings<ElasticsearchSettings> = {
  specs,
  schema,
  resolve(raw, issue) {
    const s = raw as z.infer<typeof schema>;
    let node = s.elasticUrl;
    if (node === undefined) {
      if (s.elasticHost) node = `${s.elasticScheme ?? 'https'}://${s.elasticHost}:${s.elasticPort ?? 9200}`;
      else issue(['elasticUrl', 'elasticHost'], 'is required (where Elasticsearch listens)');
    }
    let auth: ElasticsearchSettings['auth'];
    if (s.elasticApiKey) {
      if (s.elasticUser) issue('elasticApiKey', `cannot be combined with ${specs.elasticUser.env}`);
      auth = { apiKey: s.elasticApiKey };
    } else if (s.elasticUser || s.elasticPassword) {
      if (!s.elasticUser || !s.elasticPassword) {
        issue(s.elasticUser ? 'elasticPassword' : 'elasticUser', `is required when ${s.elasticUser ? specs.elasticUser.env : specs.elasticPassword.env} is set`);
      } else {
        auth = { username: s.elasticUser, password: s.elasticPassword };
      }
    }
    if (node === undefined) return undefined;
    return {
      node,
      auth,
      caFile: s.elasticCa,
      sslVerify: s.elasticSslVerify,
      indexSuffix: s.indexSuffix,
      installTemplate: s.installTemplate,
      ilmPolicy: s.ilmPolicy,
      deadLetterIndex: s.deadLetterIndex ?? `eks-log-forwarder-deadletter.${s.indexSuffix}`,
    };
  },
};
