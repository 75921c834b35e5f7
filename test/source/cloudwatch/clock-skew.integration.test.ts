import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startCli } from '../../support/cli.js';
import { startCloudWatchEmulator, type CloudWatchEmulator } from '../../support/cloudwatch-emulator.js';
import { keptPodCreate, keyOf } from '../../support/corpus.js';
import { elasticClient, eventually, idDiff } from '../../support/elastic.js';
import { auditIndexPattern, forwarderEnv, uniqueCluster } from '../../support/scenario.js';

const template = keptPodCreate();

const SHIFT_CLOCK = path.join(REPO_ROOT, 'test', 'support', 'shift-clock.mjs');

describe("windows follow AWS's clock, not the pod's (FilterLogEvents emulator, the forwarder's clock shifted)", () => {
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

  it.each([
    ['3 minutes ahead', 180_000],
    ['3 minutes behind', -180_000],
  ])('with the pod %s, delivers every event, the late ones too, and says the clocks differ', async (_name, shiftMs) => {
    const cluster = uniqueCluster('skew');
    const group = `/aws/eks/${cluster}/cluster`;
    const t0 = Date.now() + 2_000;
    const expected = new Set<string>();
    for (let t = t0; t <= t0 + 12_000; t += 200) {
      // Most events land at once; every fifth is 4-6 s late.
      const late = (t - t0) % 1_000 === 0 ? 4_000 + ((t - t0) % 3_000) : 300;
      const event = structuredClone(template);
      event.auditID = randomUUID();
      expected.add(keyOf(event));
      cw.put(group, 'kube-apiserver-audit-1', [{ timestamp: t, ingestionTime: t + late, message: JSON.stringify(event) }]);
    }
    const run = startCli(
      ['run'],
      {
        ...forwarderEnv(group, cluster),
        AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url,
        EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '0.5',
        EKS_FORWARDER_LATENESS_FLOOR: '2s',
        EKS_FORWARDER_LATENESS_CEILING: '10s',
        EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
        EKS_FORWARDER_START_FROM: new Date(t0 - 1_000).toISOString(),
        EKS_FORWARDER_TEST_CLOCK_SHIFT_MS: String(shiftMs),
      },
      ['--import', SHIFT_CLOCK],
    );
    try {
      await eventually(async () => (await idDiff(es, auditIndexPattern(cluster), expected)).missing.length === 0, 'every event', 60_000).catch(() => undefined);
      const diff = await idDiff(es, auditIndexPattern(cluster), expected);
      expect({ lost: diff.missing.length, of: expected.size, extra: diff.extra.length, duplicated: diff.duplicated.length }).toEqual({ lost: 0, of: expected.size, extra: 0, duplicated: 0 });
      await eventually(async () => run.stderr().includes("differs from AWS's"), 'the skew warning', 10_000);
      expect(JSON.parse(run.stderr().split('\n').find((l) => l.includes("differs from AWS's"))!).skewSeconds).toBeCloseTo(shiftMs / 1000, -1);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
