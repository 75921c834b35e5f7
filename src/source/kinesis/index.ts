import type { ComponentContext, ComponentKind } from '../../component.js';
import { createKinesisClient } from './client.js';
import { KINESIS_CHECKS, kinesisDoctor } from './doctor.js';
import { KinesisSource, KinesisStats } from './kinesis-source.js';
import { LeaseCoordinator } from './lease-coordinator.js';
import type { LeaseStore } from './lease-store.js';
import { kinesisMetrics } from './metrics.js';
import { kinesisSettings, type KinesisSettings } from './settings.js';

export interface KinesisOptions {
  /** Where the replicas of this stream keep their leases and checkpoints. */
  leaseStore: LeaseStore;
  /** This replica's name in the lease table. */
  identity: string;
}

/** A Kinesis stream fed by CloudWatch Logs subscription filters, as a source kind (push mode). */
export const kinesis = {
  kind: 'kinesis' as const,
  settings: kinesisSettings,
  target: 'kinesis',
  checks: KINESIS_CHECKS,
  metrics: kinesisMetrics,
  identity: (s) => [s.stream, s.streamPrefix],
  describe: (s) => `region ${s.region}, stream ${s.stream}, prefix ${s.streamPrefix}`,
  async doctor(s, ctx) {
    const client = createKinesisClient({ region: s.region, credentials: s.awsCredentials });
    try {
      return await kinesisDoctor(s, client, ctx);
    } finally {
      client.destroy();
    }
  },
  counters: (source) => ({
    kinesisRecords: source.stats.records,
    kinesisGetRecords: source.stats.getRecordsCalls,
    throttles: source.stats.throttles,
    throttledAttempts: source.stats.throttledAttempts,
    controlMessages: source.stats.controlMessages,
    otherStreamEvents: source.stats.otherStreamEvents,
    iteratorsRenewed: source.stats.iteratorsRenewed,
    checkpointsRefused: source.leases.refusedCheckpoints,
  }),
  create(s: KinesisSettings, ctx: ComponentContext, opts: KinesisOptions): KinesisSource {
    const stats = new KinesisStats();
    const client = createKinesisClient({ region: s.region, credentials: s.awsCredentials, onThrottle: () => (stats.throttledAttempts += 1) });
    let source: KinesisSource | undefined;
    const leases = new LeaseCoordinator({ store: opts.leaseStore, identity: opts.identity, leaseMs: s.leaseMs, listShards: () => source!.listShards(), log: ctx.log });
    source = new KinesisSource({ settings: s, client, leases, stats, ...ctx });
    return source;
  },
} satisfies ComponentKind<KinesisSettings, KinesisSource> & { create: unknown };

export { KinesisSource } from './kinesis-source.js';
export { LeaseCheckpointStore } from './lease-checkpoint-store.js';
export type { KinesisSettings } from './settings.js';
