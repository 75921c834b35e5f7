import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { parseCheckpoint, type Checkpoint, type CheckpointStore } from './checkpoint.js';

export const CHECKPOINT_CONFIGMAP = 'eks-log-forwarder-checkpoint';

/** Another writer saved since this one loaded: this one is stale and must stop. */
export class StaleCheckpointError extends Error {
  constructor(location: string) {
    super(`checkpoint ${location} was changed by another writer; this one is stale`);
    this.name = 'StaleCheckpointError';
  }
}

/**
 * A checkpoint kept in a ConfigMap, so it survives the pod without a volume. Every save is a
 * replace conditioned on the resourceVersion this writer last saw (optimistic concurrency): a
 * stale writer, such as a former leader, can never move the checkpoint backwards. A conflict
 * caused by anyone else (a label on re-apply, GitOps drift repair, `kubectl annotate`) is not a
 * stale checkpoint: when the key still holds what this writer last read or wrote, it saves again.
 */
export class ConfigMapCheckpointStore implements CheckpointStore {
  readonly location: string;
  private readonly api: CoreV1Api;
  private resourceVersion: string | undefined;
  /** The key's content as this writer last read or wrote it. */
  private known: string | undefined;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    private readonly key: string,
    private readonly name = CHECKPOINT_CONFIGMAP,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
    this.location = `configmap/${name} in ${namespace}, key ${key}.json`;
  }

  async load(): Promise<Checkpoint | undefined> {
    const cm = await this.read();
    this.resourceVersion = cm?.metadata?.resourceVersion;
    const text = cm?.data?.[`${this.key}.json`];
    this.known = text;
    if (!text) return undefined;
    return parseCheckpoint(JSON.parse(text), this.location);
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    if (this.resourceVersion === undefined) await this.load();
    const text = JSON.stringify(checkpoint);
    // A few outside writes in a row are possible (apply, then a controller's label): try again each time.
    for (let attempt = 0; ; attempt++) {
      try {
        await this.saveOnce(text);
        this.known = text;
        return;
      } catch (err) {
        if (!(err instanceof ApiException && err.code === 409)) throw err;
        const current = await this.read();
        const mine = current?.data?.[`${this.key}.json`];
        if (mine !== this.known || attempt >= 5) throw new StaleCheckpointError(this.location);
        // Someone changed something else: the checkpoint is still this writer's.
        this.resourceVersion = current?.metadata?.resourceVersion;
      }
    }
  }

  private async saveOnce(text: string): Promise<void> {
    const current = await this.read();
    if (!current) {
      // The manifests ship this ConfigMap so the forwarder needs no create rights (which
      // Kubernetes cannot narrow to one name); without them, say what to do.
      try {
        const created = await this.api.createNamespacedConfigMap({
          namespace: this.namespace,
          body: { metadata: { name: this.name }, data: { [`${this.key}.json`]: text } },
        });
        this.resourceVersion = created.metadata?.resourceVersion;
        return;
      } catch (err) {
        if (err instanceof ApiException && err.code === 403) {
          throw new Error(`ConfigMap ${this.name} is missing in ${this.namespace} and may not be created by this account: re-apply deploy/`);
        }
        throw err;
      }
    }
    const replaced = await this.api.replaceNamespacedConfigMap({
      name: this.name,
      namespace: this.namespace,
      body: {
        ...current,
        // Conditioned on what this writer last saw, not on what was just read.
        metadata: { ...current.metadata, resourceVersion: this.resourceVersion },
        data: { ...current.data, [`${this.key}.json`]: text },
      },
    });
    this.resourceVersion = replaced.metadata?.resourceVersion;
  }

  private async read(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.api.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }
}
