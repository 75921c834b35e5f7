import type { ComponentContext, ComponentKind } from '../../component.js';
import { LinseedClient } from './client.js';
import { LINSEED_CHECKS, linseedDoctor } from './doctor.js';
import { LinseedByCluster } from './by-cluster.js';
import { linseedMetrics } from './metrics.js';
import { LinseedReader } from './reader.js';
import { linseedSettings, type LinseedSettings } from './settings.js';

/** Linseed, Calico's log API, as a sink kind: how every current Calico release stores audit logs. */
export const linseed = {
  kind: 'linseed' as const,
  settings: linseedSettings,
  target: 'linseed',
  /** Linseed has no dead-letter index: they are kept in the local spool. */
  keepsDeadLetters: false,
  checks: LINSEED_CHECKS,
  metrics: linseedMetrics,
  identity: (s) => [s.clusterId ?? 'cluster'],
  describe: (s) => `Linseed ${s.endpoint}, cluster ${s.clusterId ?? 'cluster'}${s.tenantId ? `, tenant ${s.tenantId}` : ''}`,
  async doctor(s, ctx) {
    const client = new LinseedClient(s, ctx.timeoutMs);
    try {
      return await linseedDoctor(s, client, ctx);
    } finally {
      client.close();
    }
  },
  counters: (sink) => ({ retriesLinseed: sink.stats.retries, linseedPartialFailures: sink.stats.partialFailures, linseedReadBacks: sink.stats.readBacks, linseedDeliveredKeys: sink.delivered.size }),
  create: (s: LinseedSettings, ctx: ComponentContext) => new LinseedByCluster({ settings: s, clientFor: (cs) => new LinseedClient(cs), ...ctx }),
  /** The read side, for the change views. */
  reader: (s: LinseedSettings) => new LinseedReader(s, new LinseedClient(s)),
} satisfies ComponentKind<LinseedSettings, LinseedByCluster> & { create: unknown; reader: unknown; keepsDeadLetters: boolean };

export { LinseedByCluster } from './by-cluster.js';
export { LinseedSink } from './linseed-sink.js';
export type { LinseedSettings } from './settings.js';
