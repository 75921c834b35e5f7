import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sweepsFor } from '../../../src/source/cloudwatch/schedule.js';
import { freePort, readRunCheckpoint, startCli } from '../../support/cli.js';
import { startCloudWatchEmulator, type CloudWatchEmulator } from '../../support/cloudwatch-emulator.js';
import { keptPodCreate, keyOf } from '../../support/corpus.js';
import { elasticClient, eventually, idDiff } from '../../support/elastic.js';
import { auditIndexPattern, forwarderEnv, uniqueCluster } from '../../support/scenario.js';

const template = keptPodCreate();

function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.split(' ')[1]) : Number.NaN;
}

describe('the re-count of closed ranges (FilterLogEvents emulator)', () => {
  let es: Client;
  let cw: CloudWatchEmulator;
  beforeAll(async () => {
    es = elasticClient();
    cw = await startCloudWatchEmulator();
  });
  afterAll(async () => {
    await es.close();
    await cw.close();
  });

  it('finds documents the store lost after the ceiling, delivers them, and counts the ranges', async () => {
    const cluster = uniqueCluster('recount');
    const group = `/aws/eks/${cluster}/cluster`;
    const t0 = Date.now() + 2_000;
    const expected = new Map<string, number>();
    for (let t = t0; t <= t0 + 40_000; t += 250) {
      const event = structuredClone(template);
      event.auditID = randomUUID();
      expected.set(keyOf(event), t);
      cw.put(group, 'kube-apiserver-audit-1', [{ timestamp: t, ingestionTime: t + 300, message: JSON.stringify(event) }]);
    }
    const port = await freePort();
    const env: Record<string, string> = {
      ...forwarderEnv(group, cluster),
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
      EKS_FORWARDER_LATENESS_FLOOR: '2s',
      EKS_FORWARDER_LATENESS_CEILING: '6s',
      EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
      EKS_FORWARDER_RECOUNT_SHARE: '0.5',
      EKS_FORWARDER_HTTP_PORT: String(port),
      EKS_FORWARDER_START_FROM: new Date(t0 - 1_000).toISOString(),
    };
    // Sweep ages at a 1 s interval, the sweeps prefiltered (the default): the ceiling's at 6 s + 2 s, the re-count its `everyMs` after it.
    const [, ceiling, recount] = sweepsFor({ latenessFloorMs: 2_000, latenessCeilingMs: 6_000, fetchIntervalMs: 1_000, recountShare: 0.5 }, true);
    expect([ceiling!.ageMs, recount!.recount]).toEqual([8_000, true]);
    const swept = (age: number) => readRunCheckpoint(env.EKS_FORWARDER_STATE_DIR!)?.sweptUpTo?.[String(age)] ?? 0;
    const ceilingSwept = () => swept(ceiling!.ageMs);
    const recounted = () => swept(recount!.ageMs);

    // Stopped when the ceiling's sweep has passed events the re-count has not reached yet.
    let lost: string[] = [];
    for (let attempt = 0; attempt < 5 && lost.length < 3; attempt++) {
      const first = startCli(['run'], env);
      await eventually(async () => ceilingSwept() >= t0 + 8_000 && ceilingSwept() - recounted() >= 1_500, 'the ceiling sweep ahead of the re-count', 60_000);
      first.child.kill('SIGTERM');
      expect(await first.exited).toBe(0);
      lost = [...expected].filter(([, t]) => t > recounted() && t <= ceilingSwept()).map(([key]) => key).slice(0, 3);
    }
    expect(lost).toHaveLength(3);
    // The store loses them: only the re-count can find that out now.
    await es.indices.refresh({ index: auditIndexPattern(cluster) });
    const hits = await es.search({ index: auditIndexPattern(cluster), query: { ids: { values: lost } }, _source: false });
    for (const h of hits.hits.hits) await es.delete({ index: h._index, id: h._id!, refresh: true });
    expect(hits.hits.hits).toHaveLength(3);

    const run = startCli(['run'], env);
    const metrics = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    try {
      await eventually(async () => (await idDiff(es, auditIndexPattern(cluster), new Set(expected.keys()))).missing.length === 0, 'the lost documents delivered again', 90_000);
      await eventually(async () => metric(await metrics(), 'eks_log_forwarder_ranges_incomplete_total') >= 1, 'an incomplete range counted', 30_000);
      const text = await metrics();
      expect(metric(text, 'eks_log_forwarder_ranges_verified_total')).toBeGreaterThan(metric(text, 'eks_log_forwarder_ranges_incomplete_total'));
      expect(run.stderr()).toMatch(/re-count of a closed range found documents missing from the store; delivered them/);
      const diff = await idDiff(es, auditIndexPattern(cluster), new Set(expected.keys()));
      expect({ missing: diff.missing.length, extra: diff.extra.length, duplicated: diff.duplicated.length }).toEqual({ missing: 0, extra: 0, duplicated: 0 });
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
