import type { KubeApi } from '../../kube/light-client.js';
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

interface ConfigMap {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string; [k: string]: unknown };
  data?: Record<string, string>;
  [k: string]: unknown;
}

/**
 * The lease table in one ConfigMap key per stream, written with the resourceVersion read
 * (optimistic concurrency). The manifests ship the ConfigMap, so replicas need only get and
 * update on that one name: no `create` on Leases, which Kubernetes cannot narrow to a name.
 */
export class ConfigMapLeaseStore implements LeaseStore {
  readonly location: string;
  private readonly key: string;
  private readonly path: string;

  constructor(
    private readonly api: KubeApi,
    private readonly namespace: string,
    stream: string,
    private readonly name = LEASE_CONFIGMAP,
  ) {
    // ConfigMap keys allow [-._a-zA-Z0-9]: a stream ARN's ':' and '/' are not.
    this.key = `${stream.replace(/[^-._a-zA-Z0-9]/g, '_')}.json`;
    this.location = `configmap/${name} in ${namespace}, key ${this.key}`;
    this.path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps`;
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
    if (version === undefined) {
      const res = await this.api.request('POST', this.path, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: this.name }, data: { [this.key]: text } });
      if (res.status === 409) return { ok: false };
      if (res.status === 403) throw new Error(`ConfigMap ${this.name} is missing in ${this.namespace} and may not be created by this account: re-apply deploy/`);
      return { ok: true, version: this.answer(res, 'create').metadata!.resourceVersion! };
    }
    const current = await this.get();
    // Conditioned on the version read, not on what was just fetched: a write in between fails with 409.
    const res = await this.api.request('PUT', `${this.path}/${encodeURIComponent(this.name)}`, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      ...current,
      metadata: { ...current?.metadata, name: this.name, resourceVersion: version },
      data: { ...current?.data, [this.key]: text },
    });
    if (res.status === 409 || res.status === 404) return { ok: false };
    return { ok: true, version: this.answer(res, 'update').metadata!.resourceVersion! };
  }

  private async get(): Promise<ConfigMap | undefined> {
    const res = await this.api.request('GET', `${this.path}/${encodeURIComponent(this.name)}`);
    if (res.status === 404) return undefined;
    return this.answer(res, 'get');
  }

  /** The ConfigMap of a 2xx answer; anything else is an error naming the status and the API's message. */
  private answer(res: { status: number; body: unknown }, verb: string): ConfigMap {
    const cm = res.body as ConfigMap | undefined;
    if (res.status >= 200 && res.status < 300 && typeof cm === 'object' && typeof cm?.metadata?.resourceVersion === 'string') return cm;
    const message = (res.body as { message?: string } | undefined)?.message ?? String(res.body).slice(0, 200);
    throw new Error(`${verb} ${this.location} on ${this.api.server}: ${res.status} ${message}`);
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
