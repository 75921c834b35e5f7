import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { Health } from '../../src/ops/health.js';
import { startOpsServer, type OpsServer } from '../../src/ops/http-server.js';
import { createMetricsRegistry } from '../../src/ops/metrics.js';
import { collectStatus, fetchStatus, formatStatus, statusSnapshot } from '../../src/ops/status.js';
import { metricSections, positionFormat, statusSource, healthTargets } from '../../src/components.js';
import { countersOnly } from '../support/components.js';
import { freePort } from '../support/cli.js';

const GROUP = '/aws/eks/status-test/cluster';
const T0 = Date.parse('2026-03-01T12:00:00Z');

function storeWith(): FileCheckpointStore {
  return new FileCheckpointStore(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-status-')), 'run-status-test');
}

describe('status', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('without a reachable process, shows the checkpoint alone and says so', async () => {
    const store = storeWith();
    await store.save({
      version: 2,
      source: 'cloudwatch',
      position: {
        groupName: GROUP,
        streamPrefix: 'kube-apiserver-audit-',
        windowStart: T0 - 600_000,
        windowEnd: T0 - 60_000,
        nextToken: 'opaque-token-value',
        readUpTo: T0 - 700_000,
      },
      newestForwarded: T0 - 120_000,
      updatedAt: new Date(T0 - 30_000).toISOString(),
    });
    const url = `http://127.0.0.1:${await freePort()}`;
    const report = await collectStatus({ store, format: positionFormat, url, now: T0 });
    expect(report.remote).toMatchObject({ reachable: false, url });
    const text = formatStatus(report, positionFormat);
    expect(text).toContain(`process        not reachable at ${url} (`);
    expect(text).toContain('ECONNREFUSED');
    expect(text).toContain('showing the checkpoint alone');
    expect(text).toContain(`checkpoint     ${store.location}`);
    expect(text).toContain('window       2026-03-01T11:50:00.000Z .. 2026-03-01T11:59:00.000Z');
    expect(text).toContain('next page    token saved (resumes mid-window)');
    expect(text).toContain('read up to   2026-03-01T11:48:20.000Z');
    expect(text).toContain('updated      2026-03-01T11:59:30.000Z (30 s ago)');
    expect(text).toContain('lag            2 min (newest forwarded event 2026-03-01T11:58:00.000Z)');
    expect(text).toContain('last errors    unknown: the process was not reachable');
    expect(text).not.toContain('opaque-token-value');
  });

  it('with no checkpoint yet, says where a first run starts', async () => {
    const text = formatStatus(await collectStatus({ store: storeWith(), format: positionFormat, url: `http://127.0.0.1:${await freePort()}`, now: T0 }), positionFormat);
    expect(text).toMatch(/none yet {5}a first run starts a lateness ceiling before the newest indexed document/);
    expect(text).toContain('lag            unknown (nothing forwarded yet)');
  });

  it('from a running process, shows its checkpoint, lag, readiness and last errors', async () => {
    const c = countersOnly(GROUP, { spent: 3, perSecond: 2 });
    const stats = c.stats;
    const health = new Health(() => T0, healthTargets('elasticsearch'));
    health.setConfigured(true);
    health.setRole('leader');
    stats.eventsRead = 50;
    stats.forwarded = 40;
    stats.newestForwarded = T0 - 45_000;
    stats.rangesVerified = 4;
    stats.rangesIncomplete = 1;
    // Within the first minute, rates are per the first minute: 120 pages read again is 7,200 an hour.
    c.pipeline.source.stats.sweepPages = 120;
    c.pipeline.source.stats.sweepBytes = 60e6;
    stats.checkpointSaved(
      { version: 2, source: 'cloudwatch', position: { groupName: GROUP, streamPrefix: 'kube-apiserver-audit-', windowStart: T0 - 300_000 }, updatedAt: new Date(T0 - 5_000).toISOString() },
      T0 - 5_000,
    );
    health.ok('cloudwatch');
    health.failed('elasticsearch', Object.assign(new Error('Response Error 503'), { name: 'ResponseError' }));
    const registry = createMetricsRegistry({ sections: metricSections(() => c.pipeline, 'elasticsearch'), health, defaultMetrics: false });
    server = await startOpsServer({ port: 0, host: '127.0.0.1', health, registry, statusJson: () => statusSnapshot({ pipeline: statusSource(c.pipeline), health, checkpointLocation: '/state/run.json', now: T0 }) });
    const url = `http://127.0.0.1:${server.port}`;

    const remote = await fetchStatus(url);
    expect(remote.reachable).toBe(true);
    const text = formatStatus(await collectStatus({ store: storeWith(), format: positionFormat, url, now: T0 }), positionFormat);
    expect(text).toContain(`process        running at ${url}: leader, NOT READY (elasticsearch failing since 2026-03-01T12:00:00.000Z: ResponseError: Response Error 503)`);
    expect(text).toContain('checkpoint     /state/run.json');
    expect(text).toContain('window       2026-03-01T11:55:00.000Z .. (none open: the next starts here)');
    expect(text).toContain('next page    none');
    expect(text).toContain('lag            45 s behind the newest forwarded event');
    expect(text).toMatch(/cloudwatch {5}ok; no errors/);
    expect(text).toContain('elasticsearch  FAILING; last error 2026-03-01T12:00:00.000Z: ResponseError: Response Error 503');
    expect(text).toContain('counters       50 read, 40 forwarded, 0 filtered, 0 dead-lettered, 0 pages since');
    expect(text).toContain('late arrivals  0 caught (0 beyond the ceiling); sweeps 7200 calls/h, 3600 MB/h');
    expect(text).toContain('re-count       4 closed ranges proved, 1 incomplete (their missing documents delivered)');
  });

  it('treats a non-200 answer as not reachable', async () => {
    const health = new Health();
    const registry = createMetricsRegistry({ sections: metricSections(() => countersOnly(GROUP).pipeline, 'elasticsearch'), health, defaultMetrics: false });
    server = await startOpsServer({ port: 0, host: '127.0.0.1', health, registry, statusJson: () => ({}) });
    // A URL whose /status is 404: the base path is wrong.
    const remote = await fetchStatus(`http://127.0.0.1:${server.port}/elsewhere`);
    expect(remote).toEqual({ reachable: false, url: `http://127.0.0.1:${server.port}/elsewhere`, error: `HTTP 404 from http://127.0.0.1:${server.port}/elsewhere/status` });
  });
});
