import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Health } from '../../src/ops/health.js';
import { createMetricsRegistry } from '../../src/ops/metrics.js';
import { metricSections } from '../../src/components.js';
import { countersOnly } from '../support/components.js';
import { REPO_ROOT } from '../support/cli.js';

const DASHBOARD = path.join(REPO_ROOT, 'deploy', 'grafana', 'eks-log-forwarder-dashboard.json');

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

/** Every metric name a PromQL expression refers to (ours and prom-client's defaults). */
function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b((?:eks_log_forwarder|process|nodejs)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
}

/** Sample names and the label names each carries, from Prometheus text. */
function exposed(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? /.exec(line);
    if (!m) continue;
    const labels = out.get(m[1]!) ?? new Set<string>();
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_]+)="/g)) labels.add(l[1]!);
    out.set(m[1]!, labels);
  }
  return out;
}

describe('Grafana dashboard', () => {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { title: string; uid: string; panels: Panel[]; templating: { list: { name: string; query?: unknown; definition?: string }[] } };
  const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');

  it('is a dashboard whose every panel queries something', () => {
    expect(dashboard.title).toBe('eks-log-forwarder');
    expect(dashboard.uid).toBe('eks-log-forwarder');
    expect(queryPanels.length).toBeGreaterThanOrEqual(10);
    for (const p of queryPanels) expect(p.targets?.length, p.title).toBeGreaterThan(0);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'instance', 'group']);
  });

  it('queries only metrics, and labels, the registry exposes', async () => {
    const c = countersOnly('/aws/eks/c/cluster', { spent: 1, perSecond: 2 });
    c.stats.newestForwarded = Date.now() - 1_000;
    c.stats.lastCheckpointAt = Date.now();
    c.sink.observeBulk(0.1, true);
    const registry = createMetricsRegistry({ sections: metricSections(() => c.pipeline, 'elasticsearch'), health: new Health() });
    const series = exposed(await registry.metrics());

    const exprs = [
      ...queryPanels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: p.title, expr: t.expr }))),
      ...dashboard.templating.list.filter((v) => v.definition).map((v) => ({ where: `variable ${v.name}`, expr: v.definition! })),
    ];
    const unknown: string[] = [];
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      for (const name of metricNames(expr)) {
        used.add(name);
        if (!series.has(name)) unknown.push(`${where}: ${name}`);
      }
      // Labels the panel filters or groups by must exist on the metric (Prometheus adds instance/job).
      for (const m of expr.matchAll(/(?:by \(([^)]*)\))|(?:\b([a-z_]+)=~?")/g)) {
        const labels = (m[1] ?? m[2] ?? '').split(',').map((s) => s.trim()).filter((l) => l && l !== 'instance' && l !== 'job');
        for (const label of labels) {
          const owners = metricNames(expr).filter((n) => series.get(n)?.has(label));
          if (owners.length === 0) unknown.push(`${where}: label ${label}`);
        }
      }
    }
    expect(unknown).toEqual([]);

    // The panels the dashboard promises.
    for (const name of [
      'eks_log_forwarder_events_read_total',
      'eks_log_forwarder_events_forwarded_total',
      'eks_log_forwarder_events_filtered_total',
      'eks_log_forwarder_events_dead_lettered_total',
      'eks_log_forwarder_lag_seconds',
      'eks_log_forwarder_checkpoint_age_seconds',
      'eks_log_forwarder_cloudwatch_requests_total',
      'eks_log_forwarder_cloudwatch_throttles_total',
      'eks_log_forwarder_cloudwatch_request_budget',
      'eks_log_forwarder_bulk_duration_seconds_bucket',
      'eks_log_forwarder_retries_total',
      'eks_log_forwarder_ready',
      'eks_log_forwarder_leader',
    ]) {
      expect(used, name).toContain(name);
    }
    const quantiles = exprs.map((e) => e.expr).filter((e) => e.includes('histogram_quantile'));
    expect(quantiles.some((e) => e.startsWith('histogram_quantile(0.5,'))).toBe(true);
    expect(quantiles.some((e) => e.startsWith('histogram_quantile(0.99,'))).toBe(true);
  });
});
