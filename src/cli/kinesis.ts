import os from 'node:os';
import type { Logger } from 'pino';
import type { CheckpointStore } from '../checkpoint/checkpoint.js';
import { checkpointKey } from '../checkpoint/key.js';
import { ConfigError } from '../config/errors.js';
import { runDoctor, type DoctorResult } from '../ops/doctor.js';
import { createSink, policyOf, sinkParts } from '../components.js';
import { Health } from '../ops/health.js';
import { startOpsServer, type OpsServer } from '../ops/http-server.js';
import { createMetricsRegistry } from '../ops/metrics.js';
import { statusSnapshot, type StatusSource } from '../ops/status.js';
import { pipelineMetrics } from '../pipeline/metrics.js';
import type { Control, Pipeline } from '../pipeline/pipeline.js';
import { runLoop } from '../pipeline/run.js';
import { Stats } from '../pipeline/stats.js';
import { SINKS } from '../registry.js';
import { resolveKinesisSettings, sinkKindOf, type KinesisRunSettings, type ProcessSettings, type RawSettings } from '../settings.js';
import { kinesis, LeaseCheckpointStore, type KinesisSource } from '../source/kinesis/index.js';
import { kubeApi } from '../kube/light-client.js';
import { ConfigMapLeaseStore } from '../source/kinesis/lease-store.js';
import type { LeaseTable } from '../source/kinesis/lease-table.js';
import { describeKinesisPosition } from '../source/kinesis/position.js';
import { FileSpool } from '../spool/file-spool.js';
import { compilePolicy } from '../transform/policy.js';

/**
 * `run` in push mode: this replica reads the shards its leases give it and forwards them through
 * the same transform and sink as the poller. The leases and per-shard checkpoints live in one
 * ConfigMap (KUBECONFIG, or the pod's ServiceAccount), shared by every replica of the stream.
 */
export async function runKinesis(env: RawSettings, flags: RawSettings, proc: ProcessSettings, log: Logger, control: Control): Promise<number> {
  const settings = resolveKinesisSettings(env, flags);
  const identity = process.env.POD_NAME || `${os.hostname()}-${process.pid}`;
  const leaseStore = new ConfigMapLeaseStore(kubeApi(), proc.namespace, settings.kinesis.stream);
  const health = new Health(Date.now, [kinesis.target, settings.sink]);
  health.setConfigured(true);
  health.setRole('single');
  const sink = createSink(settings, { log, health });
  const source = kinesis.create(settings.kinesis, { log, health }, { leaseStore, identity });
  const p: Pipeline<unknown> = {
    source: source as unknown as Pipeline['source'],
    sink,
    transform: { policy: compilePolicy(policyOf(settings as never)) },
    stats: new Stats(),
    log,
    health,
    spool: new FileSpool(settings.pipeline.stateDir, checkpointKey('run', 'kinesis', ...kinesis.identity(settings.kinesis), settings.sink)),
    spoolRetryMs: 60_000,
  };
  const ops = await startKinesisOps(proc.httpPort, health, p, source, settings, log);
  try {
    log.info({ identity, leases: leaseStore.location, stream: settings.kinesis.stream }, 'push mode: taking shard leases');
    await sink.prepare(control.stop);
    await source.leases.start();
    const store = new LeaseCheckpointStore(source.leases, leaseStore.location);
    await runLoop(p, store, control, { retryAfterMs: 5_000 });
    return 0;
  } finally {
    await source.leases.stop();
    await ops?.close();
    await sink.close();
    source.close();
  }
}

/** Which replica holds which shard, and where each shard's checkpoint stands. */
export function shardTable(table: LeaseTable, lags: Record<string, number | undefined> = {}): { shard: string; owner: string | null; counter: number; sequence: string | null; finished: boolean; lagMs?: number }[] {
  return Object.entries(table.shards)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([shard, l]) => ({ shard, owner: l.owner ?? null, counter: l.counter, sequence: l.sequence ?? null, finished: !!l.finished, ...(lags[shard] !== undefined ? { lagMs: lags[shard] } : {}) }));
}

async function startKinesisOps(port: number, health: Health, p: Pipeline<unknown>, source: KinesisSource, settings: KinesisRunSettings, log: Logger): Promise<OpsServer | undefined> {
  if (port === 0) return undefined;
  const sink = sinkParts(settings.sink);
  const registry = createMetricsRegistry({
    health,
    sections: [
      { definitions: pipelineMetrics, state: () => ({ stats: p.stats, group: settings.kinesis.stream, spooled: p.spool?.size() ?? 0 }) },
      { definitions: kinesis.metrics, state: () => source },
      { definitions: sink.metrics, state: () => p.sink },
    ],
  });
  const status: StatusSource = {
    stats: p.stats,
    group: settings.kinesis.stream,
    format: { describe: (position) => describeKinesisPosition(position as never), lines: (s) => Object.entries(s).map(([k, v]) => [k, String(v)]) },
    fields: () => ({}),
    counters: () => ({ ...kinesis.counters(source), ...sink.counters(p.sink as never) }),
  };
  const server = await startOpsServer({
    port,
    health,
    registry,
    statusJson: () => {
      const lags = Object.fromEntries([...source.stats.shards].map(([id, s]) => [id, s.lagMs]));
      return { ...statusSnapshot({ pipeline: status, health, checkpointLocation: undefined }), replica: source.leases.identity, shards: shardTable(source.leases.snapshot(), lags) };
    },
  });
  log.info({ port: server.port }, 'ops endpoints listening (/healthz /readyz /metrics /status)');
  return server;
}

export interface KinesisStatusReport {
  stream: string;
  leases: string;
  replicas: string[];
  shards: ReturnType<typeof shardTable>;
  reachableReplica?: string;
}

export function formatKinesisStatus(r: KinesisStatusReport): string {
  const lines = [`stream ${r.stream} (leases: ${r.leases})`, `replicas: ${r.replicas.join(', ') || 'none'}`, 'shard                    owner                    counter  lag      checkpoint'];
  for (const s of r.shards) {
    const lag = s.lagMs === undefined ? '-' : `${(s.lagMs / 1000).toFixed(1)}s`;
    lines.push(`${s.shard.padEnd(24)} ${(s.finished ? '(finished)' : (s.owner ?? '(free)')).padEnd(24)} ${String(s.counter).padEnd(8)} ${lag.padEnd(8)} ${s.sequence ?? 'start'}`);
  }
  if (r.reachableReplica) lines.push(`lag as seen by ${r.reachableReplica} (its own shards)`);
  return `${lines.join('\n')}\n`;
}

/** `status` in push mode: the lease table as stored, and the running replica's lags when reachable. */
export async function kinesisStatus(env: RawSettings, flags: RawSettings, proc: ProcessSettings, url: string): Promise<KinesisStatusReport> {
  const settings = resolveKinesisSettings(env, flags);
  const store = new ConfigMapLeaseStore(kubeApi(), proc.namespace, settings.kinesis.stream);
  const { table } = await store.read();
  let remote: { replica?: string; shards?: { shard: string; lagMs?: number }[] } | undefined;
  try {
    const res = await fetch(`${url.replace(/\/+$/, '')}/status`, { signal: AbortSignal.timeout(3_000) });
    if (res.ok) remote = (await res.json()) as typeof remote;
  } catch {
    remote = undefined;
  }
  const lags = Object.fromEntries((remote?.shards ?? []).map((s) => [s.shard, s.lagMs]));
  return { stream: settings.kinesis.stream, leases: store.location, replicas: Object.keys(table.replicas).sort(), shards: shardTable(table, lags), ...(remote?.replica ? { reachableReplica: remote.replica } : {}) };
}

/** `doctor` in push mode: the settings, the stream, the sink, and the lease table (who holds what). */
export async function kinesisDoctor(env: RawSettings, flags: RawSettings, proc: ProcessSettings): Promise<DoctorResult[]> {
  const checkNames = ['configuration', ...kinesis.checks, ...SINKS[sinkKindOf(env, flags)].checks, 'checkpoint'];
  let settings: KinesisRunSettings;
  try {
    settings = resolveKinesisSettings(env, flags);
  } catch (err) {
    if (err instanceof ConfigError) return runDoctor(err, { checkNames });
    throw err;
  }
  const leases = new ConfigMapLeaseStore(kubeApi(), proc.namespace, settings.kinesis.stream);
  const checkpoint: CheckpointStore = {
    location: leases.location,
    async load() {
      const { table } = await leases.read();
      if (Object.keys(table.shards).length === 0) return undefined;
      return { version: 2, source: 'kinesis', position: table, updatedAt: new Date().toISOString() };
    },
    async save() {
      throw new Error('doctor writes no checkpoint');
    },
  };
  const sinkDoctor = sinkParts(settings.sink).doctor;
  return runDoctor(
    {
      configuration: `${kinesis.describe(settings.kinesis)}, sink ${settings.sink}`,
      components: [(ctx) => kinesis.doctor(settings.kinesis, ctx), (ctx) => sinkDoctor(settings, ctx)],
      checkpoint,
      describe: (position) => {
        const rows = shardTable(position as LeaseTable);
        return `${rows.length} shard(s): ${rows.map((r) => `${r.shard} ${r.finished ? 'finished' : (r.owner ?? 'free')}`).join(', ')}`;
      },
    },
    { checkNames },
  );
}
