import type { Logger } from 'pino';
import { metricSections, statusSource, type RunningPipeline } from '../components.js';
import type { SinkKind } from '../registry.js';
import { maxStallFor, type Health } from '../ops/health.js';
import { startOpsServer, type OpsServer } from '../ops/http-server.js';
import { createMetricsRegistry } from '../ops/metrics.js';
import { statusSnapshot } from '../ops/status.js';

/** Where the ops endpoints read from: the pipeline running now (none on a standby). */
export interface OpsSources {
  pipeline(): RunningPipeline | undefined;
  checkpointLocation(): string | undefined;
  /** The configured sink, whose metrics are exposed. */
  sink: SinkKind;
}

/** Starts /healthz, /readyz, /metrics and /status unless the port is 0. */
export async function startOps(port: number, health: Health, sources: OpsSources, log: Logger, fetchIntervalMs?: number): Promise<OpsServer | undefined> {
  if (port === 0) return undefined;
  const registry = createMetricsRegistry({ sections: metricSections(sources.pipeline, sources.sink), health });
  const server = await startOpsServer({
    port,
    health,
    registry,
    maxStallMs: fetchIntervalMs ? maxStallFor(fetchIntervalMs) : undefined,
    statusJson: () => {
      const p = sources.pipeline();
      return statusSnapshot({ pipeline: p && statusSource(p), health, checkpointLocation: sources.checkpointLocation() });
    },
  });
  log.info({ port: server.port }, 'ops endpoints listening (/healthz /readyz /metrics /status)');
  return server;
}
