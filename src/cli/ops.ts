import type { Logger } from 'pino';
import { maxStallFor, type Health } from '../ops/health.js';
import { startOpsServer, type OpsServer } from '../ops/http-server.js';
import { createMetricsRegistry } from '../ops/metrics.js';
import { statusSnapshot } from '../ops/status.js';
import type { BuiltPipeline } from '../pipeline/create-pipeline.js';

/** Where the ops endpoints read from: the pipeline running now (none on a standby). */
export interface OpsSources {
  pipeline(): BuiltPipeline | undefined;
  checkpointLocation(): string | undefined;
}

/** Starts /healthz, /readyz, /metrics and /status unless the port is 0. */
export async function startOps(port: number, health: Health, sources: OpsSources, log: Logger, fetchIntervalMs?: number): Promise<OpsServer | undefined> {
  if (port === 0) return undefined;
  const registry = createMetricsRegistry({
    stats: () => sources.pipeline()?.stats,
    budget: () => sources.pipeline()?.budget,
    group: () => sources.pipeline()?.transform.groupName,
    health,
  });
  const server = await startOpsServer({
    port,
    health,
    registry,
    maxStallMs: fetchIntervalMs ? maxStallFor(fetchIntervalMs) : undefined,
    statusJson: () => {
      const p = sources.pipeline();
      return statusSnapshot({ stats: p?.stats, health, group: p?.transform.groupName, checkpointLocation: sources.checkpointLocation(), budget: p?.budget });
    },
  });
  log.info({ port: server.port }, 'ops endpoints listening (/healthz /readyz /metrics /status)');
  return server;
}

