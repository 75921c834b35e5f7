import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { closePipeline, createPipeline, metricSections, statusSource, healthTargets, type RunningPipeline } from '../../src/components.js';
import { resolveSettings, settingsFromEnv, type Settings } from '../../src/settings.js';
import { Health } from '../../src/ops/health.js';
import { startOpsServer, type OpsServer } from '../../src/ops/http-server.js';
import { createMetricsRegistry } from '../../src/ops/metrics.js';
import { statusSnapshot } from '../../src/ops/status.js';
import type { CheckpointStore } from '../../src/checkpoint/checkpoint.js';
import { backfill } from '../../src/pipeline/backfill.js';
import type { Control } from '../../src/pipeline/pipeline.js';
import { ensureIndexTemplates } from '../../src/sink/elasticsearch/index-template.js';
import type { CloudWatchPosition } from '../../src/source/cloudwatch/position.js';
import { eventually } from '../support/elastic.js';
import { startFaultProxy, throttlingFault, type FaultProxy } from '../support/fault-proxy.js';
import { seedCluster } from '../support/scenario.js';
import { elasticsearchOf, elasticsearchSinkOf } from '../support/components.js';

/**
 * The pipeline wired the way the CLI wires it: the CloudWatch source counts throttles through
 * its client's onAttempt hook, both components report into Health, and the registry reads them.
 */
function pipelineFor(settings: Settings, cloudwatchEndpoint: string, window: { to: number }): { p: RunningPipeline; budget: RunningPipeline['budget']; health: Health } {
  vi.stubEnv('AWS_ENDPOINT_URL_CLOUDWATCH_LOGS', cloudwatchEndpoint);
  const health = new Health(Date.now, healthTargets('elasticsearch'));
  health.setConfigured(true);
  // The SDK reads its endpoint lazily: the stub stays until the test ends (afterEach).
  const p = createPipeline(settings, { log: pino({ level: 'silent' }), health, mode: { kind: 'window', to: window.to } });
  return { p, budget: p.budget, health };
}

/** Forwards one closed window once, as `backfill` does. */
async function forwardOnce(p: RunningPipeline, window: { from: number; to: number }, store: CheckpointStore, c: Control): Promise<boolean> {
  return (await backfill([{ window, pipeline: p, store }], c)).complete;
}

const control = (): Control & { abort(): void } => {
  const ac = new AbortController();
  return { signal: ac.signal, stop: ac.signal, abort: () => ac.abort(new Error('test over')) };
};

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('pipeline → Stats/Health → metrics', () => {
  let server: OpsServer | undefined;
  let proxy: FaultProxy | undefined;
  const cleanup: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    await server?.close();
    await proxy?.close();
    for (const fn of cleanup.splice(0)) await fn();
    vi.unstubAllEnvs();
    server = undefined;
    proxy = undefined;
  });

  it('a backfill through throttling shows up in the scraped metrics and /status', async () => {
    const seeded = await seedCluster({ prefix: 'opsmetrics', events: 1_500, seed: 909, auditStreams: 2, truncated: 3 });
    const settings = resolveSettings(settingsFromEnv({ ...seeded.env, EKS_FORWARDER_PAGE_LIMIT: '200' }));
    proxy = await startFaultProxy({
      target: process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS!,
      seed: 11,
      rules: [{ match: { target: 'FilterLogEvents' }, probability: 0.3, fault: throttlingFault() }],
    });
    const { p, budget, health } = pipelineFor(settings, proxy.url, seeded.window);
    cleanup.push(() => closePipeline(p));
    await ensureIndexTemplates(elasticsearchSinkOf(p).client, elasticsearchOf(settings));
    const store = new FileCheckpointStore(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-ops-')), 'backfill-ops');

    expect(await forwardOnce(p, seeded.window, store, control())).toBe(true);

    const registry = createMetricsRegistry({ sections: metricSections(() => p, 'elasticsearch'), health });
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      health,
      registry,
      statusJson: () => statusSnapshot({ pipeline: statusSource(p), health, checkpointLocation: store.location }),
    });
    const base = `http://127.0.0.1:${server.port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    const g = `{group="${settings.cloudwatch.groupName}"}`;

    const throttled = proxy.requests.filter((r) => r.fault === 'status').length;
    expect(throttled).toBeGreaterThan(0);
    expect(sample(text, 'eks_log_forwarder_cloudwatch_throttles_total')).toBe(throttled);
    expect(sample(text, 'eks_log_forwarder_cloudwatch_requests_total')).toBe(budget.spent);
    expect(budget.spent).toBe(proxy.requests.length);
    expect(sample(text, 'eks_log_forwarder_events_forwarded_total')).toBe(seeded.expected.size);
    expect(sample(text, 'eks_log_forwarder_events_read_total')).toBe(p.stats.eventsRead);
    expect(sample(text, 'eks_log_forwarder_events_dead_lettered_total')).toBe(3);
    expect(sample(text, 'eks_log_forwarder_pages_total')).toBeGreaterThan(1);
    // One bulk request per page with documents (none retried), all of them fine.
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_count')).toBeGreaterThan(0);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_count')).toBeLessThanOrEqual(p.stats.pages);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'eks_log_forwarder_bulk_failures_total')).toBe(0);
    expect(sample(text, 'eks_log_forwarder_retries_total{target="elasticsearch"}')).toBe(0);
    expect(sample(text, `eks_log_forwarder_lag_seconds${g}`)).toBeGreaterThan(0);
    expect(sample(text, `eks_log_forwarder_checkpoint_age_seconds${g}`)).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'eks_log_forwarder_ready')).toBe(1);

    expect(health.target('cloudwatch').ok).toBe(true);
    expect(health.target('cloudwatch').lastOkAt).toBeDefined();
    expect(health.target('elasticsearch')).toMatchObject({ ok: true, lastOkAt: expect.any(String) });
    const status = (await (await fetch(`${base}/status`)).json()) as { checkpoint: { done: boolean; location: string } };
    expect(status.checkpoint).toMatchObject({ done: true, location: store.location });
    expect((p.stats.checkpoint?.position as CloudWatchPosition).done).toBe(true);
  });

  it('an Elasticsearch that drops every bulk request makes the process unready, counts retries and failed bulks, and never shows the password', async () => {
    const seeded = await seedCluster({ prefix: 'opsdown', events: 300, seed: 910, auditStreams: 1 });
    // Searches (the lookup of documents under other ids, before a backfill writes) go through; every bulk is reset.
    const proxy = await startFaultProxy({ target: process.env.ELASTIC_URL!, rules: [{ match: { pathPrefix: '/_bulk' }, fault: { kind: 'reset' } }] });
    cleanup.push(() => proxy.close());
    const closed = Number(new URL(proxy.url).port);
    const settings = resolveSettings(settingsFromEnv({ ...seeded.env, ELASTIC_URL: `http://forwarder:Sup3rSecret@127.0.0.1:${closed}` }));
    const { p, health } = pipelineFor(settings, process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS!, seeded.window);
    cleanup.push(() => closePipeline(p));
    const registry = createMetricsRegistry({ sections: metricSections(() => p, 'elasticsearch'), health });
    server = await startOpsServer({ port: 0, host: '127.0.0.1', health, registry, statusJson: () => statusSnapshot({ pipeline: statusSource(p), health }) });
    const base = `http://127.0.0.1:${server.port}`;

    const c = control();
    const store = new FileCheckpointStore(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-ops-')), 'backfill-down');
    const running = forwardOnce(p, seeded.window, store, c).catch((err: unknown) => err);
    await eventually(async () => elasticsearchSinkOf(p).stats.retries >= 2, 'Elasticsearch retries', 60_000);

    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { reasons: string[] };
    expect(body.reasons).toHaveLength(1);
    expect(body.reasons[0]).toMatch(/^elasticsearch failing since .*: ConnectionError: /);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'eks_log_forwarder_ready')).toBe(0);
    expect(sample(text, 'eks_log_forwarder_retries_total{target="elasticsearch"}')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'eks_log_forwarder_bulk_failures_total')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_count')).toBeGreaterThanOrEqual(2);
    const status = await (await fetch(`${base}/status`)).text();
    for (const out of [JSON.stringify(body), text, status]) expect(out).not.toContain('Sup3rSecret');
    // Nothing was acknowledged, so nothing was checkpointed.
    expect(p.stats.lastCheckpointAt).toBeUndefined();
    expect(await store.load()).toBeUndefined();

    c.abort();
    expect(await running).toBeInstanceOf(Error);
  });
});
