import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { ComponentSettings, SettingSpec } from './component.js';
import { SINK_KINDS, SINKS, SOURCE, type SinkKind } from './registry.js';
import { ConfigError, type ConfigIssue } from './config/errors.js';
import { instant, integerIn, lowerCaseName, optionalText } from './config/fields.js';
import { kinesisSettings, type KinesisSettings } from './source/kinesis/settings.js';

export interface PipelineSettings {
  stateDir: string;
  auditPolicyFile?: string;
  startFrom?: number;
}

type SettingsOf<C> = C extends { settings: ComponentSettings<infer S> } ? S : never;

/** The chosen sink and its settings, under its kind. */
export type SinkSettings = { [K in SinkKind]: { sink: K } & { [P in K]: SettingsOf<(typeof SINKS)[K]> } }[SinkKind];

/** Everything a forwarding process needs, validated once, per component (keyed by its kind). */
export type Settings = { pipeline: PipelineSettings } & { [K in (typeof SOURCE)['kind']]: SettingsOf<typeof SOURCE> } & SinkSettings;

/** Push mode's settings: the kinesis source in place of the poller, the same sinks and pipeline. */
export type KinesisRunSettings = { pipeline: PipelineSettings; kinesis: KinesisSettings } & SinkSettings;

const pipelineSpecs = {
  stateDir: { env: 'EKS_FORWARDER_STATE_DIR', flag: '--state-dir', default: '`~/.local/state/eks-log-forwarder`', meaning: 'checkpoint directory' },
  auditPolicyFile: {
    env: 'AUDIT_POLICY_FILE',
    flag: '--audit-policy',
    default: "Calico's published policy",
    meaning: 'Kubernetes audit `Policy` (YAML or JSON)',
  },
  startFrom: {
    env: 'EKS_FORWARDER_START_FROM',
    flag: '--start-from',
    default: 'one hour ago',
    meaning: 'where a first `run` starts when nothing is delivered yet',
    hidden: true,
  },
} as const satisfies Record<string, SettingSpec>;

const pipelineSchema = z.object({ stateDir: optionalText, auditPolicyFile: optionalText, startFrom: instant });

/** The pipeline's own settings: where checkpoints live, the policy, and where a first run starts. */
export const pipelineSettings: ComponentSettings<PipelineSettings> = {
  specs: pipelineSpecs,
  schema: pipelineSchema,
  resolve(raw) {
    const s = raw as z.infer<typeof pipelineSchema>;
    return { stateDir: s.stateDir ?? defaultStateDir(), auditPolicyFile: s.auditPolicyFile, startFrom: s.startFrom };
  },
};

/** The components whose settings make up `Settings`, by the key each takes there: the source, the chosen sink, the pipeline. */
function componentsFor(sink: SinkKind): Record<string, ComponentSettings<unknown>> {
  return { [SOURCE.kind]: SOURCE.settings, [sink]: SINKS[sink].settings as ComponentSettings<unknown>, pipeline: pipelineSettings };
}

const sinkSpecs = {
  sink: {
    env: 'EKS_FORWARDER_SINK',
    flag: '--sink',
    default: '`elasticsearch`; `linseed` when `LINSEED_ENDPOINT` is set and no `ELASTIC_*` is',
    meaning: '`elasticsearch`: write the indices directly (older Calico, self-managed stores); `linseed`: through Calico\'s log API (every current Calico release)',
  },
} as const satisfies Record<string, SettingSpec>;

export const SOURCE_KINDS = ['cloudwatch', 'kinesis'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const sourceSpecs = {
  source: {
    env: 'EKS_FORWARDER_SOURCE',
    flag: '--source',
    default: '`cloudwatch`',
    meaning: '`cloudwatch`: poll FilterLogEvents (one process); `kinesis`: read the Kinesis stream a subscription filter writes into (push mode, several replicas, many clusters)',
  },
} as const satisfies Record<string, SettingSpec>;

const sourceSchema = optionalText.pipe(z.enum(SOURCE_KINDS, { error: `must be one of ${SOURCE_KINDS.join(', ')}` }).optional());

/** The source the configuration chooses; throws ConfigError for an unknown one. */
export function sourceKindOf(...layers: RawSettings[]): SourceKind {
  const parsed = sourceSchema.safeParse(merge(layers).source);
  if (!parsed.success) throw new ConfigError([{ setting: settingLabel('source'), message: parsed.error.issues[0]!.message }]);
  return parsed.data ?? 'cloudwatch';
}

const sinkSchema = optionalText.pipe(z.enum(SINK_KINDS as [SinkKind, ...SinkKind[]], { error: `must be one of ${SINK_KINDS.join(', ')}` }).optional());

/** The sink the configuration sources choose (an invalid choice falls back to Elasticsearch; validation reports it). */
export function sinkKindOf(...layers: RawSettings[]): SinkKind {
  return chosenSink(merge(layers), []);
}

/** The sink `raw` chooses: named, or Linseed when only its endpoint is configured. */
function chosenSink(raw: RawSettings, issues: { key: string[]; message: string }[]): SinkKind {
  const named = sinkSchema.safeParse(raw.sink);
  if (!named.success) {
    issues.push({ key: ['sink'], message: named.error.issues[0]!.message });
    return 'elasticsearch';
  }
  if (named.data) return named.data;
  const elastic = Object.keys(SINKS.elasticsearch.settings.specs).some((k) => raw[k]?.trim());
  return raw.linseedEndpoint?.trim() && !elastic ? 'linseed' : 'elasticsearch';
}

/** How the process runs, as opposed to what it forwards. */
export interface ProcessSettings {
  /** `environment`: everything from env and flags; `kubernetes`: the LogCollector and Secret. */
  configSource: 'environment' | 'kubernetes';
  namespace: string;
  /** Port of /healthz, /readyz, /metrics and /status; 0 turns the server off. */
  httpPort: number;
  /** The Secret with the AWS keys, in `namespace`. */
  awsSecret: string;
}

const processSpecs = {
  configSource: {
    env: 'EKS_FORWARDER_CONFIG_SOURCE',
    flag: '--config-source',
    default: '`environment`',
    meaning: '`kubernetes`: take region, group, prefix, interval from the LogCollector and the keys from the Secret, watched live; leader election; checkpoint in a ConfigMap',
  },
  namespace: {
    env: 'EKS_FORWARDER_NAMESPACE',
    flag: '--namespace',
    default: '`tigera-operator`',
    meaning: 'namespace of the Secret, the Lease and the checkpoint ConfigMap',
  },
  awsSecret: {
    env: 'EKS_FORWARDER_AWS_SECRET',
    flag: '--aws-secret',
    default: '`tigera-eks-log-forwarder-secret`',
    meaning: "the Secret with keys `aws-id`, `aws-key` (`kubernetes` mode). Beside the operator use another name (`eks-log-forwarder-aws`) or IRSA: with the operator's Secret present, the operator runs its own forwarder too",
  },
  httpPort: {
    env: 'EKS_FORWARDER_HTTP_PORT',
    flag: '--http-port',
    default: '`9090`',
    meaning: '`/healthz`, `/readyz`, `/metrics`, `/status` of `run` (0: off)',
  },
} as const satisfies Record<string, SettingSpec>;

const processSchema = z.object({
  configSource: optionalText.pipe(z.enum(['environment', 'kubernetes'], { error: 'must be environment or kubernetes' }).optional()),
  namespace: optionalText,
  httpPort: integerIn(0, 65_535),
  awsSecret: optionalText.pipe(lowerCaseName('must be a Secret name (lower case letters, digits, "-", ".")').optional()),
});

/** Read by libraries or the runtime rather than validated here; listed so the README stays whole. */
const RUNTIME_SPECS = {
  awsEndpoint: {
    env: 'AWS_ENDPOINT_URL_CLOUDWATCH_LOGS',
    default: 'AWS',
    meaning: 'CloudWatch Logs endpoint override (LocalStack); also `AWS_ENDPOINT_URL`',
  },
  podName: { env: 'POD_NAME', default: 'host name', meaning: 'identity in the leader Lease' },
  logLevel: { env: 'LOG_LEVEL', default: '`info`', meaning: '`debug`, `info`, `warn`, `error`' },
  nodeOptions: {
    env: 'NODE_OPTIONS',
    default: 'image: `--max-old-space-size=160 --max-semi-space-size=8`',
    meaning: 'V8 heap caps that keep peak RSS near 125 MB (see Operations)',
  },
} as const satisfies Record<string, SettingSpec>;

/** Every setting with its environment variable, flag, default and meaning, in README order. */
export const SETTING_SPECS = {
  ...sourceSpecs,
  ...SOURCE.settings.specs,
  ...kinesisSettings.specs,
  ...sinkSpecs,
  ...SINKS.elasticsearch.settings.specs,
  ...SINKS.linseed.settings.specs,
  ...pipelineSpecs,
  ...processSpecs,
  ...RUNTIME_SPECS,
} as Readonly<Record<string, SettingSpec>>;

export type SettingKey = string;
/** Raw, unvalidated values of one configuration source (environment, flags, the cluster). */
export type RawSettings = Partial<Record<SettingKey, string | undefined>>;

export function settingLabel(key: SettingKey): string {
  const spec = SETTING_SPECS[key];
  return (spec && [spec.env, spec.flag, spec.source].filter(Boolean).join(' / ')) || key;
}

/** Reads the settings of the environment (names as in SETTING_SPECS). */
export function settingsFromEnv(env: NodeJS.ProcessEnv): RawSettings {
  const raw: RawSettings = {};
  for (const [key, spec] of Object.entries(SETTING_SPECS)) {
    if (spec.env && env[spec.env] !== undefined) raw[key] = env[spec.env];
  }
  return raw;
}

function merge(layers: RawSettings[]): RawSettings {
  const merged: RawSettings = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/**
 * Validates one component's part of `raw`, adding every issue: each field on its own (a bad one
 * stands in with its default, so the cross-field checks still run), then the component's checks.
 */
function resolveComponent<T>(component: ComponentSettings<T>, raw: RawSettings, issues: { key: string[]; message: string }[]): T | undefined {
  const before = issues.length;
  const failed = new Set<string>();
  const parsed: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(component.schema.shape) as [string, z.ZodType][]) {
    const result = field.safeParse(raw[key]);
    if (result.success) {
      parsed[key] = result.data;
      continue;
    }
    for (const i of result.error.issues) issues.push({ key: [key], message: i.message });
    failed.add(key);
    const fallback = field.safeParse(undefined);
    parsed[key] = fallback.success ? fallback.data : undefined;
  }
  const value = component.resolve(parsed, (key, message) => {
    const keys = typeof key === 'string' ? [key] : [...key];
    // A setting already reported as invalid is not reported again as missing.
    if (!keys.some((k) => failed.has(k))) issues.push({ key: keys, message });
  });
  return issues.length === before ? value : undefined;
}

export interface ResolveOptions {
  /** Settings the cluster supplies later: their absence is not an error yet. */
  suppliedLater?: readonly SettingKey[];
}

/**
 * Validates the merged configuration sources (later layers win) once, at the edge. Throws one
 * ConfigError naming every bad setting.
 */
export function resolveSettings(...layers: RawSettings[]): Settings {
  const result = validateSettings(layers);
  if (result instanceof ConfigError) throw result;
  return result!;
}

/**
 * Like `resolveSettings`, but returns the error, and with `suppliedLater` it checks what is
 * known now (returning undefined when all of that is valid but the rest is still to come).
 */
export function validateSettings(layers: RawSettings[], opts: ResolveOptions = {}): Settings | ConfigError | undefined {
  return validateWith(layers, opts, componentsFor) as Settings | ConfigError | undefined;
}

/** Push mode's settings (EKS_FORWARDER_SOURCE=kinesis): the poller's are not required. Throws one ConfigError naming every bad setting. */
export function resolveKinesisSettings(...layers: RawSettings[]): KinesisRunSettings {
  const result = validateWith(layers, {}, (sink) => ({ kinesis: kinesisSettings, [sink]: SINKS[sink].settings as ComponentSettings<unknown>, pipeline: pipelineSettings }));
  if (result instanceof ConfigError) throw result;
  return result as KinesisRunSettings;
}

/** The kinesis source's settings alone (`setup-subscription` writes nothing to a sink). */
export function resolveKinesisSourceSettings(...layers: RawSettings[]): KinesisSettings {
  const result = validateWith(layers, {}, () => ({ kinesis: kinesisSettings }));
  if (result instanceof ConfigError) throw result;
  return (result as { kinesis: KinesisSettings }).kinesis;
}

function validateWith(layers: RawSettings[], opts: ResolveOptions, components: (sink: SinkKind) => Record<string, ComponentSettings<unknown>>): unknown {
  const raw = merge(layers);
  const later = new Set(opts.suppliedLater ?? []);
  const issues: { key: string[]; message: string }[] = [];
  const sink = chosenSink(raw, issues);
  const out: Record<string, unknown> = { sink };
  for (const [name, component] of Object.entries(components(sink))) {
    (out as Record<string, unknown>)[name] = resolveComponent(component, raw, issues);
  }
  const reported = issues.filter((i) => !(i.key.length === 1 && later.has(i.key[0]!) && !raw[i.key[0]!]?.trim()));
  if (reported.length > 0) {
    // In the order of the configuration table.
    const order = Object.keys(SETTING_SPECS);
    reported.sort((a, b) => order.indexOf(a.key[0]!) - order.indexOf(b.key[0]!));
    return new ConfigError(reported.map((i): ConfigIssue => ({ setting: i.key.map(settingLabel).join(' or '), message: i.message })));
  }
  if (issues.length > 0) return undefined;
  return out;
}

/**
 * The chosen sink's settings alone, for the commands that only read the store (`changes`, `ui`).
 * Throws one ConfigError naming every bad setting.
 */
export function resolveSinkSettings(...layers: RawSettings[]): SinkSettings {
  const raw = merge(layers);
  const issues: { key: string[]; message: string }[] = [];
  const sink = chosenSink(raw, issues);
  const settings = resolveComponent(SINKS[sink].settings as ComponentSettings<unknown>, raw, issues);
  if (issues.length > 0) throw new ConfigError(issues.map((i): ConfigIssue => ({ setting: i.key.map(settingLabel).join(' or '), message: i.message })));
  return { sink, [sink]: settings } as unknown as SinkSettings;
}

function defaultStateDir(): string {
  const base = process.env.XDG_STATE_HOME || path.join(os.homedir(), '.local', 'state');
  return path.join(base, 'eks-log-forwarder');
}

export function resolveProcessSettings(...layers: RawSettings[]): ProcessSettings {
  const merged = merge(layers);
  const parsed = processSchema.safeParse({ configSource: merged.configSource, namespace: merged.namespace, httpPort: merged.httpPort, awsSecret: merged.awsSecret });
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => ({ setting: settingLabel(String(i.path[0])), message: i.message })));
  }
  return {
    configSource: parsed.data.configSource ?? 'environment',
    namespace: parsed.data.namespace ?? 'tigera-operator',
    httpPort: parsed.data.httpPort ?? 9090,
    awsSecret: parsed.data.awsSecret ?? 'tigera-eks-log-forwarder-secret',
  };
}
