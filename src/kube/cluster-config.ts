import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  ListWatch,
  Watch,
  type KubernetesObject,
  type V1Secret,
} from '@kubernetes/client-node';
import { z } from 'zod';
import type { RawSettings } from '../settings.js';

export const LOG_COLLECTOR = 'tigera-secure';
/** The Secret the seeds and the operator name; with it present the operator runs its own forwarder too. */
export const AWS_SECRET = 'tigera-eks-log-forwarder-secret';
const FIELD = 'LogCollector tigera-secure spec.additionalSources.eksCloudwatchLog';

/** What the cluster says about the forwarder, with the operator's own rules and wording. */
export type ClusterConfig =
  | { state: 'ready'; settings: RawSettings; credentials: 'secret' | 'default-chain' }
  | { state: 'idle'; reason: string }
  | { state: 'invalid'; reason: string };

const eksCloudwatchLogSchema = z.object({
  region: z.string().optional(),
  groupName: z.string().optional(),
  streamPrefix: z.string().optional(),
  fetchInterval: z.number().int().optional(),
});

type LogCollector = KubernetesObject & { spec?: { additionalSources?: { eksCloudwatchLog?: unknown } } };

/**
 * Derives the forwarder's cluster settings from the LogCollector and the Secret, following the
 * operator: region and groupName required, an empty streamPrefix means the default, a
 * fetchInterval of 0 means 60; negatives, which the CRD lets through, are rejected here.
 */
export function clusterConfig(
  logCollector: LogCollector | undefined,
  secret: V1Secret | undefined,
  defaultChainHasCredentials: boolean,
  secretName = AWS_SECRET,
): ClusterConfig {
  const source = logCollector?.spec?.additionalSources?.eksCloudwatchLog;
  if (!logCollector) return { state: 'idle', reason: `LogCollector ${LOG_COLLECTOR} not found` };
  if (source === undefined || source === null) return { state: 'idle', reason: `${FIELD} is not set: nothing to forward` };
  const parsed = eksCloudwatchLogSchema.safeParse(source);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { state: 'invalid', reason: `${FIELD}.${issue.path.join('.')}: ${issue.message}` };
  }
  const { region, groupName, streamPrefix, fetchInterval } = parsed.data;
  if (!region) return { state: 'invalid', reason: `${FIELD}.region: missing AWS region info` };
  if (!groupName) return { state: 'invalid', reason: `${FIELD}.groupName: missing Cloudwatch log group name` };
  if (fetchInterval !== undefined && fetchInterval < 0) {
    return { state: 'invalid', reason: `${FIELD}.fetchInterval: must not be negative, got ${fetchInterval}` };
  }
  const settings: RawSettings = {
    region,
    groupName,
    streamPrefix: streamPrefix || undefined,
    fetchInterval: fetchInterval ? String(fetchInterval) : undefined,
  };

  if (!secret) {
    if (defaultChainHasCredentials) return { state: 'ready', settings, credentials: 'default-chain' };
    return { state: 'idle', reason: `disabled: Secret ${secretName} not found (and no IRSA or Pod Identity credentials)` };
  }
  const id = decode(secret.data?.['aws-id']);
  const key = decode(secret.data?.['aws-key']);
  if (!id || !key) {
    const missing = [!id && 'aws-id', !key && 'aws-key'].filter(Boolean).join(' and ');
    return { state: 'invalid', reason: `Secret ${secretName}: incomplete Cloudwatch credentials (${missing} empty or missing)` };
  }
  return { state: 'ready', settings: { ...settings, awsAccessKeyId: id, awsSecretAccessKey: key }, credentials: 'secret' };
}

function decode(b64: string | undefined): string | undefined {
  return b64 ? Buffer.from(b64, 'base64').toString('utf8').trim() || undefined : undefined;
}

/**
 * Watches the LogCollector and the one Secret (by name: the RBAC grants nothing else) and
 * calls `onChange` with the derived configuration whenever either changes. Informers re-list
 * after a dropped watch, so an API server restart is ridden through.
 */
export class ClusterConfigWatcher {
  private logCollector: LogCollector | undefined;
  private secret: V1Secret | undefined;
  private readonly informers: ListWatch<KubernetesObject>[] = [];
  private stopped = false;
  private synced = 0;

  constructor(
    private readonly kc: KubeConfig,
    private readonly namespace: string,
    private readonly defaultChainHasCredentials: () => Promise<boolean>,
    private readonly onChange: (config: ClusterConfig) => void,
    private readonly onError: (err: unknown) => void,
    private readonly secretName = AWS_SECRET,
  ) {}

  async start(): Promise<void> {
    const core = this.kc.makeApiClient(CoreV1Api);
    const custom = this.kc.makeApiClient(CustomObjectsApi);
    const watch = new Watch(this.kc);
    const byName = (name: string) => `metadata.name=${name}`;

    const logCollectors = new ListWatch<LogCollector>(
      '/apis/operator.tigera.io/v1/logcollectors',
      watch,
      async () =>
        (await custom.listClusterCustomObject({
          group: 'operator.tigera.io',
          version: 'v1',
          plural: 'logcollectors',
          fieldSelector: byName(LOG_COLLECTOR),
        })) as never,
      false,
      undefined,
      byName(LOG_COLLECTOR),
    );
    const secrets = new ListWatch<V1Secret>(
      `/api/v1/namespaces/${this.namespace}/secrets`,
      watch,
      () => core.listNamespacedSecret({ namespace: this.namespace, fieldSelector: byName(this.secretName) }) as never,
      false,
      undefined,
      byName(this.secretName),
    );
    this.follow(logCollectors, (o) => (this.logCollector = o as LogCollector | undefined));
    this.follow(secrets, (o) => (this.secret = o as V1Secret | undefined));
    await Promise.all(this.informers.map((i) => i.start()));
    this.synced = this.informers.length;
    await this.emit();
  }

  private follow<T extends KubernetesObject>(informer: ListWatch<T>, set: (o: T | undefined) => void): void {
    const update = () => {
      set(informer.list()[0]);
      if (this.synced === this.informers.length) void this.emit();
    };
    informer.on('add', update);
    informer.on('update', update);
    informer.on('delete', update);
    informer.on('error', (err) => {
      if (this.stopped) return;
      this.onError(err);
      // A dropped watch stops the informer; start it again after a pause.
      setTimeout(() => {
        if (!this.stopped) informer.start().catch((e) => this.onError(e));
      }, 2_000).unref();
    });
    this.informers.push(informer as unknown as ListWatch<KubernetesObject>);
  }

  private async emit(): Promise<void> {
    const chain = this.secret ? false : await this.defaultChainHasCredentials();
    this.onChange(clusterConfig(this.logCollector, this.secret, chain, this.secretName));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.informers.map((i) => i.stop()));
  }
}

/** Reads the LogCollector and Secret once (for `doctor` and `status`). */
export async function readClusterConfig(kc: KubeConfig, namespace: string, defaultChainHasCredentials: () => Promise<boolean>, secretName = AWS_SECRET): Promise<ClusterConfig> {
  const notFound = (err: unknown) => {
    if ((err as { code?: number }).code === 404) return undefined;
    throw err;
  };
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const [logCollector, secret] = await Promise.all([
    custom
      .getClusterCustomObject({ group: 'operator.tigera.io', version: 'v1', plural: 'logcollectors', name: LOG_COLLECTOR })
      .then((o) => o as LogCollector, notFound),
    core.readNamespacedSecret({ name: secretName, namespace }).catch(notFound),
  ]);
  return clusterConfig(logCollector, secret, secret ? false : await defaultChainHasCredentials(), secretName);
}
