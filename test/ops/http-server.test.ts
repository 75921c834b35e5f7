import { afterEach, describe, expect, it } from 'vitest';
import { Health } from '../../src/ops/health.js';
import { startOpsServer, type OpsServer } from '../../src/ops/http-server.js';
import { createMetricsRegistry } from '../../src/ops/metrics.js';
import { statusSnapshot } from '../../src/ops/status.js';
import { metricSections, statusSource, healthTargets } from '../../src/components.js';
import { countersOnly, type CountersOnly } from '../support/components.js';

const GROUP = '/aws/eks/prod-east/cluster';
const NOW = Date.parse('2026-03-01T12:00:00Z');

/** Counters with a distinct value in each, so each metric's source is checked. */
function filledStats(budget = { spent: 321, perSecond: 2 }): CountersOnly {
  const c = countersOnly(GROUP, budget);
  const s = c.stats;
  Object.assign(s, {
    eventsRead: 1001,
    forwarded: 802,
    created: 700,
    alreadyPresent: 102,
    filtered: 150,
    deadLettered: 7,
    invalid: 5,
    rejected: 2,
    lateCaught: 11,
    pages: 44,
    newestForwarded: NOW - 90_000,
  });
  Object.assign(c.source, { otherStreamEvents: 33, bytesRead: 123456, throttles: 9, tokenRestarts: 1, overlapMs: 120_000 });
  c.source.retries += 2;
  c.sink.retries += 1;
  s.checkpointSaved(
    {
      version: 2,
      source: 'cloudwatch',
      position: { groupName: GROUP, streamPrefix: 'kube-apiserver-audit-', windowStart: NOW - 600_000, windowEnd: NOW - 60_000, nextToken: 'tok' },
      updatedAt: new Date(NOW - 30_000).toISOString(),
    },
    NOW - 30_000,
  );
  c.sink.observeBulk(0.003, true);
  c.sink.observeBulk(0.2, true);
  c.sink.observeBulk(0.2, false);
  c.sink.observeBulk(120, false);
  return c;
}

function setup(opts: { counters?: CountersOnly; health?: Health } = {}) {
  const counters = opts.counters ?? filledStats();
  const health = opts.health ?? new Health(() => NOW, healthTargets('elasticsearch'));
  const registry = createMetricsRegistry({ sections: metricSections(() => counters.pipeline, 'elasticsearch'), health, now: () => NOW });
  return { stats: counters.stats, counters, health, budget: counters.budget, registry };
}

/** The value of one sample line in Prometheus text, e.g. `name{a="b"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('ops HTTP server', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves metrics named as documented, with the values of Stats, Health and the budget', async () => {
    const { stats, counters, health, registry } = setup();
    health.setConfigured(true);
    health.setRole('leader');
    server = await startOpsServer({ port: 0, host: '127.0.0.1', health, registry, statusJson: () => statusSnapshot({ pipeline: statusSource(counters.pipeline), health, now: NOW }) });
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();

    const g = `{group="${GROUP}"}`;
    expect({
      read: sample(text, 'eks_log_forwarder_events_read_total'),
      forwarded: sample(text, 'eks_log_forwarder_events_forwarded_total'),
      filtered: sample(text, 'eks_log_forwarder_events_filtered_total'),
      deadLettered: sample(text, 'eks_log_forwarder_events_dead_lettered_total'),
      late: sample(text, 'eks_log_forwarder_events_late_caught_total'),
      present: sample(text, 'eks_log_forwarder_documents_already_present_total'),
      other: sample(text, 'eks_log_forwarder_other_stream_events_total'),
      pages: sample(text, 'eks_log_forwarder_pages_total'),
      requests: sample(text, 'eks_log_forwarder_cloudwatch_requests_total'),
      throttles: sample(text, 'eks_log_forwarder_cloudwatch_throttles_total'),
      retriesCw: sample(text, 'eks_log_forwarder_retries_total{target="cloudwatch"}'),
      retriesEs: sample(text, 'eks_log_forwarder_retries_total{target="elasticsearch"}'),
      bulkFailures: sample(text, 'eks_log_forwarder_bulk_failures_total'),
      lag: sample(text, `eks_log_forwarder_lag_seconds${g}`),
      checkpointAge: sample(text, `eks_log_forwarder_checkpoint_age_seconds${g}`),
      overlap: sample(text, 'eks_log_forwarder_overlap_seconds'),
      ready: sample(text, 'eks_log_forwarder_ready'),
      leader: sample(text, 'eks_log_forwarder_leader'),
      budget: sample(text, 'eks_log_forwarder_cloudwatch_request_budget'),
    }).toEqual({
      read: 1001,
      forwarded: 802,
      filtered: 150,
      deadLettered: 7,
      late: 11,
      present: 102,
      other: 33,
      pages: 44,
      requests: 321,
      throttles: 9,
      retriesCw: 2,
      retriesEs: 1,
      bulkFailures: 2,
      lag: 90,
      checkpointAge: 30,
      overlap: 120,
      ready: 1,
      leader: 1,
      budget: 2,
    });
    expect(text).toMatch(/^# TYPE eks_log_forwarder_bulk_duration_seconds histogram$/m);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_bucket{le="0.005"}')).toBe(1);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_bucket{le="0.25"}')).toBe(3);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_bucket{le="60"}')).toBe(3);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_bucket{le="+Inf"}')).toBe(4);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_count')).toBe(4);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_sum')).toBeCloseTo(120.403, 6);
    expect(text).toMatch(/^# TYPE eks_log_forwarder_events_read_total counter$/m);
    // prom-client's default process metrics are there too.
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);

    // Read at scrape time: a later change shows in the next scrape.
    stats.eventsRead += 9;
    health.setRole('standby');
    const again = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(sample(again, 'eks_log_forwarder_events_read_total')).toBe(1010);
    expect(sample(again, 'eks_log_forwarder_leader')).toBe(0);
  });

  it('leaves lag and checkpoint age out while they are unknown', async () => {
    const { registry } = setup({ counters: countersOnly(GROUP) });
    const text = await registry.metrics();
    expect(text).toMatch(/^# TYPE eks_log_forwarder_lag_seconds gauge$/m);
    expect(text).not.toMatch(/^eks_log_forwarder_lag_seconds\{/m);
    expect(text).not.toMatch(/^eks_log_forwarder_checkpoint_age_seconds\{/m);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_count')).toBe(0);
  });

  it('follows the pipeline running now when given getters (in the cluster, each settings change builds a new one)', async () => {
    const health = new Health(() => NOW);
    let current: CountersOnly | undefined;
    const registry = createMetricsRegistry({ sections: metricSections(() => current?.pipeline, 'elasticsearch'), health, now: () => NOW, defaultMetrics: false });
    // A standby: no pipeline, counters at 0, nothing per group.
    let text = await registry.metrics();
    expect(sample(text, 'eks_log_forwarder_events_read_total')).toBe(0);
    expect(sample(text, 'eks_log_forwarder_cloudwatch_requests_total')).toBe(0);
    expect(text).not.toMatch(/^eks_log_forwarder_lag_seconds\{/m);
    expect(statusSnapshot({ pipeline: undefined, health, now: NOW })).toMatchObject({ role: 'single', counters: { eventsRead: 0 } });
    expect(statusSnapshot({ pipeline: undefined, health, now: NOW }).group).toBeUndefined();

    current = filledStats({ spent: 5, perSecond: 1 });
    text = await registry.metrics();
    expect(sample(text, 'eks_log_forwarder_events_read_total')).toBe(1001);
    expect(sample(text, 'eks_log_forwarder_cloudwatch_requests_total')).toBe(5);
    expect(sample(text, `eks_log_forwarder_lag_seconds{group="${GROUP}"}`)).toBe(90);
    expect(sample(text, 'eks_log_forwarder_bulk_duration_seconds_count')).toBe(4);
    expect(text).not.toMatch(/^process_cpu/m);
  });

  it('answers /healthz, /readyz and /status from Health, 404 elsewhere, 405 for other methods', async () => {
    let now = NOW;
    const health = new Health(() => now, healthTargets('elasticsearch'));
    const { counters, registry } = setup({ health });
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      health,
      registry,
      statusJson: () => statusSnapshot({ pipeline: statusSource(counters.pipeline), health, checkpointLocation: '/state/run-x.json', now }),
      maxStallMs: 60_000,
    });
    const base = `http://127.0.0.1:${server.port}`;
    const get = async (path: string, init?: RequestInit) => {
      const res = await fetch(base + path, init);
      const body = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), body, json: () => JSON.parse(body) };
    };

    // Not configured yet: live, not ready.
    expect((await get('/healthz')).status).toBe(200);
    let ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.type).toMatch(/^application\/json/);
    expect(ready.json()).toEqual({ ready: false, reasons: ['not configured: configuration not loaded yet'], role: 'single' });

    health.setConfigured(true);
    ready = await get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ ready: true, reasons: [], role: 'single' });

    // Elasticsearch fails, with a URL carrying credentials in its message.
    health.failed('elasticsearch', Object.assign(new Error('connect ECONNREFUSED https://fwd:Sup3rSecret@es:9200'), { name: 'ConnectionError' }));
    ready = await get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.json().reasons).toEqual([`elasticsearch failing since ${new Date(now).toISOString()}: ConnectionError: connect ECONNREFUSED https://***@es:9200`]);
    const metrics = await get('/metrics');
    expect(sample(metrics.body, 'eks_log_forwarder_ready')).toBe(0);

    const status = await get('/status');
    expect(status.status).toBe(200);
    const body = status.json();
    expect(body).toMatchObject({
      group: GROUP,
      role: 'single',
      ready: false,
      checkpoint: {
        location: '/state/run-x.json',
        windowStart: new Date(NOW - 600_000).toISOString(),
        windowEnd: new Date(NOW - 60_000).toISOString(),
        tokenPresent: true,
      },
      lagSeconds: 90,
      checkpointAgeSeconds: 30,
      overlapSeconds: 120,
      targets: { cloudwatch: { ok: true }, elasticsearch: { ok: false, lastErrorAt: new Date(NOW).toISOString() } },
      counters: { eventsRead: 1001, forwarded: 802, retriesCloudwatch: 2, retriesElasticsearch: 1, throttles: 9, cloudwatchRequests: 321 },
    });
    expect(body.checkpoint.nextToken).toBeUndefined();
    for (const r of [ready, metrics, status]) expect(r.body).not.toMatch(/Sup3rSecret|"tok"/);

    // The loop stalls past the limit: not live; a tick makes it live again.
    now += 61_000;
    const stalled = await get('/healthz');
    expect(stalled.status).toBe(503);
    expect(stalled.json()).toMatchObject({ live: false, reason: 'no loop activity for 61 s (limit 60 s)' });
    health.tick();
    expect((await get('/healthz')).status).toBe(200);

    const head = await fetch(`${base}/readyz`, { method: 'HEAD' });
    expect(head.status).toBe(503);
    expect(await head.text()).toBe('');
    expect((await get('/nope')).status).toBe(404);
    expect((await get('/')).status).toBe(404);
    const post = await get('/metrics', { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
  });

  it('answers 500 without leaking when a status source throws, and keeps serving', async () => {
    const { health, registry } = setup();
    server = await startOpsServer({
      port: 0,
      host: '127.0.0.1',
      health,
      registry,
      statusJson: () => {
        throw new Error('state read failed for https://u:pw@host');
      },
    });
    const res = await fetch(`http://127.0.0.1:${server.port}/status`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'Error: state read failed for https://***@host' });
    expect((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status).toBe(200);
  });

  it('refuses a port that is taken, and frees its port on close', async () => {
    const { health, registry } = setup();
    server = await startOpsServer({ port: 0, host: '127.0.0.1', health, registry, statusJson: () => ({}) });
    await expect(startOpsServer({ port: server.port, host: '127.0.0.1', health, registry, statusJson: () => ({}) })).rejects.toThrow(/EADDRINUSE/);
    const port = server.port;
    await server.close();
    server = await startOpsServer({ port, host: '127.0.0.1', health, registry, statusJson: () => ({}) });
    expect(server.port).toBe(port);
  });
});
