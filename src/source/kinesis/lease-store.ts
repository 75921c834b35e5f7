import { ApiException, CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { emptyLeaseTable, leaseTableSchema, type LeaseTable } from './lease-table.js';

/** A read of the table and the version a conditional write must name. */
export interface VersionedTable {
  table: LeaseTable;
  version: string | undefined;
}

/**
 * Where the replicas of one stream keep their lease table. `write` is conditional: it succeeds
 * only if nobody wrote since `version` was read, and answers false otherwise (read again).
 */
export interface LeaseStore {
  readonly location: string;
  read(): Promise<VersionedTable>;
  write(table: LeaseTable, version: string | undefined): Promise<{ ok: true; version: string } | { ok: false }>;
}

export const LEASE_CONFIGMAP = 'eks-log-forwarder-kinesis-leases';

/**
 * The lease table in one ConfigMap key per stream, written with the resourceVersion read
 * (optimistic concurrency). The manifests ship the ConfigMap, so replicas need only get and
 * update on that one name: no `create` on Leases, which Kubernetes cannot narrow to a name.
 */
export class ConfigMapLeaseStore implements LeaseStore {
  readonly location: string;
  private readonly api: CoreV1Api;
  private readonly key: string;

  constructor(
    kc: KubeConfig,
    private readonly namespace: string,
    stream: string,
    private readonly name = LEASE_CONFIGMAP,
  ) {
    this.api = kc.makeApiClient(CoreV1Api);
    // ConfigMap keys allow [-._a-zA-Z0-9]: a stream ARN's ':' and '/' are not.
    this.key = `${stream.replace(/[^-._a-zA-Z0-9]/g, '_')}.json`;
    this.location = `configmap/${name} in ${namespace}, key ${this.key}`;
  }

  async read(): Promise<VersionedTable> {
    const cm = await this.get();
    const text = cm?.data?.[this.key];
    if (!text) return { table: emptyLeaseTable(), version: cm?.metadata?.resourceVersion };
    const parsed = leaseTableSchema.safeParse(JSON.parse(text));
    if (!parsed.success) throw new Error(`lease table ${this.location} is not valid: ${parsed.error.issues[0]?.path.join('.')}: ${parsed.error.issues[0]?.message}`);
    return { table: parsed.data, version: cm?.metadata?.resourceVersion };
  }

  async write(table: LeaseTable, version: string | undefined): Promise<{ ok: true; version: string } | { ok: false }> {
    const text = JSON.stringify(table);
    try {
      if (version === undefined) {
        const created = await this.api.createNamespacedConfigMap({ namespace: this.namespace, body: { metadata: { name: this.name }, data: { [this.key]: text } } });
        return { ok: true, version: created.metadata!.resourceVersion! };
      }
      const current = await this.get();
      // Conditioned on the version read, not on what was just fetched: a write in between fails with 409.
      const replaced = await this.api.replaceNamespacedConfigMap({
        name: this.name,
        namespace: this.namespace,
        body: { ...current, metadata: { ...current?.metadata, name: this.name, resourceVersion: version }, data: { ...current?.data, [this.key]: text } },
      });
      return { ok: true, version: replaced.metadata!.resourceVersion! };
    } catch (err) {
      if (err instanceof ApiException && (err.code === 409 || (err.code === 404 && version !== undefined))) return { ok: false };
      if (err instanceof ApiException && err.code === 403 && version === undefined) {
        throw new Error(`ConfigMap ${this.name} is missing in ${this.namespace} and may not be created by this account: re-apply deploy/`);
      }
      throw err;
    }
  }

  private async get(): Promise<V1ConfigMap | undefined> {
    try {
      return await this.api.readNamespacedConfigMap({ name: this.name, namespace: this.namespace });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return undefined;
      throw err;
    }
  }
}

/** A lease table in memory, shared by sources of one process: for tests of balancing without a cluster. */
export class MemoryLeaseStore implements LeaseStore {
  readonly location = 'memory';
  private table: LeaseTable = emptyLeaseTable();
  private version = 0;

  async read(): Promise<VersionedTable> {
    return { table: structuredClone(this.table), version: this.version === 0 ? undefined : String(this.version) };
  }

  async write(table: LeaseTable, version: string | undefined): Promise<{ ok: true; version: string } | { ok: false }> {
    if ((version ?? '0') !== String(this.version)) return { ok: false };
    this.table = structuredClone(table);
    this.version += 1;
    return { ok: true, version: String(this.version) };
  }
}
