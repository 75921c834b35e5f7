import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { parseDuration, parseInstant } from './time.js';

/**
 * Every setting, with the environment variable and flag it comes from. The environment names
 * are those of Calico's original forwarder so manifests carry over. This table is the single
 * source for validation messages and the README's configuration table.
 */
export const SETTING_SPECS = {
  region: { env: 'AWS_REGION', flag: '--region' },
  groupName: { env: 'EKS_CLOUDWATCH_LOG_GROUP', flag: '--group' },
  streamPrefix: { env: 'EKS_CLOUDWATCH_LOG_STREAM_PREFIX', flag: '--stream-prefix' },
  fetchInterval: { env: 'EKS_CLOUDWATCH_LOG_FETCH_INTERVAL', flag: '--fetch-interval' },
  requestsPerSecond: { env: 'EKS_FORWARDER_REQUESTS_PER_SECOND', flag: '--requests-per-second' },
  pageLimit: { env: 'EKS_FORWARDER_PAGE_LIMIT', flag: '--page-limit' },
  prefilter: { env: 'EKS_FORWARDER_PREFILTER', flag: '--prefilter' },
  latenessFloor: { env: 'EKS_FORWARDER_LATENESS_FLOOR', flag: '--lateness-floor' },
  latenessCeiling: { env: 'EKS_FORWARDER_LATENESS_CEILING', flag: '--lateness-ceiling' },
  awsAccessKeyId: { env: undefined, flag: undefined, source: 'Secret key aws-id' },
  awsSecretAccessKey: { env: undefined, flag: undefined, source: 'Secret key aws-key' },
  elasticUrl: { env: 'ELASTIC_URL', flag: '--elastic-url' },
  elasticScheme: { env: 'ELASTIC_SCHEME', flag: undefined },
  elasticHost: { env: 'ELASTIC_HOST', flag: undefined },
  elasticPort: { env: 'ELASTIC_PORT', flag: undefined },
  elasticUser: { env: 'ELASTIC_USER', flag: undefined },
  elasticPassword: { env: 'ELASTIC_PASSWORD', flag: undefined },
  elasticApiKey: { env: 'ELASTIC_API_KEY', flag: undefined },
  elasticCa: { env: 'ELASTIC_CA', flag: undefined },
  elasticSslVerify: { env: 'ELASTIC_SSL_VERIFY', flag: undefined },
  indexSuffix: { env: 'ELASTIC_INDEX_SUFFIX', flag: '--index-suffix' },
  installTemplate: { env: 'ELASTIC_INSTALL_TEMPLATE', flag: '--install-template' },
  ilmPolicy: { env: 'ELASTIC_ILM_POLICY', flag: '--ilm-policy' },
  deadLetterIndex: { env: 'ELASTIC_DEAD_LETTER_INDEX', flag: '--dead-letter-index' },
  stateDir: { env: 'EKS_FORWARDER_STATE_DIR', flag: '--state-dir' },
  auditPolicyFile: { env: 'AUDIT_POLICY_FILE', flag: '--audit-policy' },
  startFrom: { env: 'EKS_FORWARDER_START_FROM', flag: '--start-from' },
  configSource: { env: 'EKS_FORWARDER_CONFIG_SOURCE', flag: '--config-source' },
  namespace: { env: 'EKS_FORWARDER_NAMESPACE', flag: '--namespace' },
  httpPort: { env: 'EKS_FORWARDER_HTTP_PORT', flag: '--http-port' },
} as const satisfies Record<string, { env: string | undefined; flag: string | undefined; source?: string }>;

export type SettingKey = keyof typeof SETTING_SPECS;
/** Raw, unvalidated values of one configuration source (environment, flags, the cluster). */
export type RawSettings = Partial<Record<SettingKey, string | undefined>>;

export function settingLabel(key: SettingKey): string {
  const spec: { env: string | undefined; flag: string | undefined; source?: string } = SETTING_SPECS[key];
  return [spec.env, spec.flag, spec.source].filter(Boolean).join(' / ') || key;
}

const text = z.string().trim();
const optionalText = text.optional().transform((v) => (v === '' ? undefined : v));
const required = (what: string) => z.string({ error: `is required (${what})` }).trim().min(1, `is required (${what})`);

const positiveSeconds = (fallback: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallback * 1000;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive number of seconds, got "${v}"` });
      return z.NEVER;
    }
    return n * 1000;
  });

const duration = (fallbackMs: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallbackMs;
    const parsed = parseDuration(v);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like 90s, 15m or 2h, got "${v}"` });
      return z.NEVER;
    }
    return parsed;
  });

const boolean = (fallback: boolean) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallback;
    if (/^(true|1|yes)$/i.test(v)) return true;
    if (/^(false|0|no)$/i.test(v)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
    return z.NEVER;
  });

const integerIn = (min: number, max: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

const rawSchema = z.object({
  region: required('the AWS region of the log group'),
  groupName: required('the CloudWatch log group, e.g. /aws/eks/<cluster>/cluster'),
  streamPrefix: optionalText.transform((v) => v ?? 'kube-apiserver-audit-'),
  fetchInterval: positiveSeconds(60),
  requestsPerSecond: optionalText.transform((v, ctx) => {
    if (v === undefined) return 2;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0 || n > 5) {
      ctx.addIssue({ code: 'custom', message: `must be above 0 and at most 5 (the account's shared quota), got "${v}"` });
      return z.NEVER;
    }
    return n;
  }),
  pageLimit: integerIn(1, 10_000),
  prefilter: boolean(false),
  latenessFloor: duration(2 * 60_000),
  latenessCeiling: duration(15 * 60_000),
  awsAccessKeyId: optionalText,
  awsSecretAccessKey: optionalText,
  elasticUrl: optionalText.pipe(z.url({ error: 'must be a URL like https://host:9200' }).optional()),
  elasticScheme: optionalText.pipe(z.enum(['http', 'https'], { error: 'must be http or https' }).optional()),
  elasticHost: optionalText,
  elasticPort: integerIn(1, 65_535),
  elasticUser: optionalText,
  elasticPassword: optionalText,
  elasticApiKey: optionalText,
  elasticCa: optionalText,
  elasticSslVerify: boolean(true),
  indexSuffix: optionalText
    .transform((v) => v ?? 'cluster')
    .pipe(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be lower case letters, digits, "-", "_" or "."')),
  installTemplate: boolean(true),
  ilmPolicy: optionalText,
  deadLetterIndex: optionalText.pipe(
    z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'must be a lower-case index name').optional(),
  ),
  stateDir: optionalText,
  auditPolicyFile: optionalText,
  startFrom: optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const t = parseInstant(v);
    if (t === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be ISO 8601 or a duration ago like 1h, got "${v}"` });
      return z.NEVER;
    }
    return t;
  }),
});

export interface ElasticSettings {
  node: string;
  auth?: { username: string; password: string } | { apiKey: string };
  caFile?: string;
  sslVerify: boolean;
  indexSuffix: string;
  installTemplate: boolean;
  ilmPolicy?: string;
  deadLetterIndex: string;
}

export interface Settings {
  region: string;
  groupName: string;
  streamPrefix: string;
  fetchIntervalMs: number;
  requestsPerSecond: number;
  /** Fixed FilterLogEvents `limit`; when unset, pages are sized to about 1 MB. */
  pageLimit?: number;
  /** Let CloudWatch filter by a pattern compiled from the policy (fewer bytes on the wire). */
  prefilter: boolean;
  latenessFloorMs: number;
  latenessCeilingMs: number;
  /** Only when given by the cluster's Secret; otherwise the SDK's default credential chain. */
  awsCredentials?: { accessKeyId: string; secretAccessKey: string };
  elastic: ElasticSettings;
  stateDir: string;
  auditPolicyFile?: string;
  startFrom?: number;
}

/** Reads the settings of the environment (names as in SETTING_SPECS). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const raw: RawSettings = {};
  for (const [key, spec] of Object.entries(SETTING_SPECS) as [SettingKey, { env?: string }][]) {
    if (spec.env && env[spec.env] !== undefined) raw[key] = env[spec.env];
  }
  return raw;
}

/**
 * Validates the merged configuration sources (later layers win) once, at the edge.
 * Throws ConfigError naming the first bad setting.
 */
export function resolveSettings(...layers: RawSettings[]): Settings {
  const merged: RawSettings = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer) as [SettingKey, string | undefined][]) {
      if (value !== undefined) merged[key] = value;
    }
  }
  const parsed = rawSchema.safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const key = issue.path[0] as SettingKey;
    throw new ConfigError(settingLabel(key), issue.message);
  }
  const s = parsed.data;
  if (s.latenessFloor > s.latenessCeiling) {
    throw new ConfigError(settingLabel('latenessFloor'), `must not exceed ${settingLabel('latenessCeiling')}`);
  }
  return {
    region: s.region,
    groupName: s.groupName,
    streamPrefix: s.streamPrefix,
    fetchIntervalMs: s.fetchInterval,
    requestsPerSecond: s.requestsPerSecond,
    pageLimit: s.pageLimit,
    prefilter: s.prefilter,
    latenessFloorMs: s.latenessFloor,
    latenessCeilingMs: s.latenessCeiling,
    awsCredentials: awsCredentials(s.awsAccessKeyId, s.awsSecretAccessKey),
    elastic: elasticSettings(s),
    stateDir: s.stateDir ?? defaultStateDir(),
    auditPolicyFile: s.auditPolicyFile,
    startFrom: s.startFrom,
  };
}

function awsCredentials(accessKeyId?: string, secretAccessKey?: string): Settings['awsCredentials'] {
  if (accessKeyId === undefined && secretAccessKey === undefined) return undefined;
  if (!accessKeyId || !secretAccessKey) {
    const missing = accessKeyId ? 'awsSecretAccessKey' : 'awsAccessKeyId';
    throw new ConfigError(settingLabel(missing), 'incomplete Cloudwatch credentials: both aws-id and aws-key are needed');
  }
  return { accessKeyId, secretAccessKey };
}

function elasticSettings(s: z.infer<typeof rawSchema>): ElasticSettings {
  let node = s.elasticUrl;
  if (node === undefined) {
    if (!s.elasticHost) {
      throw new ConfigError(`${settingLabel('elasticUrl')} or ${settingLabel('elasticHost')}`, 'is required (where Elasticsearch listens)');
    }
    node = `${s.elasticScheme ?? 'https'}://${s.elasticHost}:${s.elasticPort ?? 9200}`;
  }
  let auth: ElasticSettings['auth'];
  if (s.elasticApiKey) {
    if (s.elasticUser) throw new ConfigError(settingLabel('elasticApiKey'), `cannot be combined with ${settingLabel('elasticUser')}`);
    auth = { apiKey: s.elasticApiKey };
  } else if (s.elasticUser || s.elasticPassword) {
    if (!s.elasticUser || !s.elasticPassword) {
      throw new ConfigError(settingLabel(s.elasticUser ? 'elasticPassword' : 'elasticUser'), `is required when ${settingLabel(s.elasticUser ? 'elasticUser' : 'elasticPassword')} is set`);
    }
    auth = { username: s.elasticUser, password: s.elasticPassword };
  }
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
}

function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'eks-log-forwarder');
}

/** How the process runs, as opposed to what it forwards. */
export interface ProcessSettings {
  /** `environment`: everything from env and flags; `kubernetes`: the LogCollector and Secret. */
  configSource: 'environment' | 'kubernetes';
  namespace: string;
  /** Port of /healthz, /readyz, /metrics and /status; 0 turns the server off. */
  httpPort: number;
}

const processSchema = z.object({
  configSource: optionalText.pipe(z.enum(['environment', 'kubernetes'], { error: 'must be environment or kubernetes' }).optional()),
  namespace: optionalText,
  httpPort: integerIn(0, 65_535),
});

export function resolveProcessSettings(...layers: RawSettings[]): ProcessSettings {
  const merged: RawSettings = Object.assign({}, ...layers.map((l) => Object.fromEntries(Object.entries(l).filter(([, v]) => v !== undefined))));
  const parsed = processSchema.safeParse({ configSource: merged.configSource, namespace: merged.namespace, httpPort: merged.httpPort });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(settingLabel(issue.path[0] as SettingKey), issue.message);
  }
  return {
    configSource: parsed.data.configSource ?? 'environment',
    namespace: parsed.data.namespace ?? 'tigera-operator',
    httpPort: parsed.data.httpPort ?? 9090,
  };
}
