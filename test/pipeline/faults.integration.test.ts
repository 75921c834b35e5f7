import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import * as elasticsearch from '../../scripts/services/elasticsearch.js';
import { readRunCheckpoint, runCli, startCli } from '../support/cli.js';
import { elasticClient, eventually, idCounts, idDiff } from '../support/elastic.js';
import { startFaultProxy, throttlingFault, type FaultProxy } from '../support/fault-proxy.js';
import { auditIndexPattern, seedCluster, type SeededCluster } from '../support/scenario.js';

async function expectExactly(es: Client, seeded: SeededCluster): Promise<void> {
  expect(await idDiff(es, auditIndexPattern(seeded.cluster), seeded.expected)).toEqual({ missing: [], extra: [], duplicated: [] });
}

const windowArgs = (s: SeededCluster) => ['--from', new Date(s.window.from).toISOString(), '--to', new Date(s.window.to).toISOString()];

describe('CloudWatch faults through a fault-injecting proxy in front of LocalStack', () => {
  let es: Client;
  let proxy: FaultProxy;
  beforeAll(async () => {
    es = elasticClient();
    proxy = await startFaultProxy({ target: process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS!, seed: 7 });
  });
  afterAll(async () => {
    await proxy.close();
    await es.close();
  });

  it('rides through throttling, 5xx, resets and slow answers without loss, never above the request budget', async () => {
    const seeded = await seedCluster({ prefix: 'cwfault', events: 3_000, seed: 505, auditStreams: 3 });
    const read = { target: 'FilterLogEvents' };
    proxy.setRules([
      { match: read, probability: 0.3, fault: throttlingFault() },
      { match: read, probability: 0.15, fault: { kind: 'status', status: 503, body: '{"__type":"ServiceUnavailableException","message":"injected"}' } },
      { match: read, probability: 0.05, fault: { kind: 'status', status: 500, body: '{"__type":"InternalFailure"}' } },
      { match: read, probability: 0.05, fault: { kind: 'reset' } },
      { match: read, probability: 0.05, fault: { kind: 'delay', ms: 1_500 } },
    ]);
    const budget = 2;
    const result = await runCli(['backfill', ...windowArgs(seeded), '--json', '--page-limit', '250'], {
      ...seeded.env,
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: proxy.url,
      EKS_FORWARDER_REQUESTS_PER_SECOND: String(budget),
    }, { timeoutMs: 300_000 });
    expect(result.code).toBe(0);
    await expectExactly(es, seeded);

    const reads = proxy.requests.filter((r) => r.target?.includes('FilterLogEvents'));
    const faulted = reads.filter((r) => r.fault);
    expect(faulted.length).toBeGreaterThan(reads.length * 0.3);
    expect(proxy.maxPerWindow(1_000, (r) => Boolean(r.target?.includes('FilterLogEvents')))).toBeLessThanOrEqual(budget);
    expect(JSON.parse(result.stdout).retries).toBeGreaterThan(0);
  }, 360_000);
});

describe('Elasticsearch faults', () => {
  let es: Client;
  beforeAll(() => {
    es = elasticClient();
  });
  afterAll(async () => {
    await es.close();
  });

  it('retries items answered 429 and bulk requests answered 5xx until every document is in', async () => {
    const seeded = await seedCluster({ prefix: 'esfault', events: 3_000, seed: 606, auditStreams: 2 });
    const proxy = await startFaultProxy({
      target: process.env.ELASTIC_URL!,
      seed: 3,
      rules: [
        { match: { pathPrefix: '/_bulk' }, probability: 0.2, fault: { kind: 'status', status: 503, body: '{"error":"injected"}' } },
        { match: { pathPrefix: '/_bulk' }, fault: { kind: 'bulkItems', status: 429, share: 0.3 } },
      ],
    });
    try {
      const result = await runCli(['backfill', ...windowArgs(seeded), '--json', '--page-limit', '300'], { ...seeded.env, ELASTIC_URL: proxy.url });
      expect(result.code).toBe(0);
      expect(proxy.requests.some((r) => (r.rejectedItems?.length ?? 0) > 0)).toBe(true);
      expect(proxy.requests.some((r) => r.fault === 'status')).toBe(true);
      await expectExactly(es, seeded);
    } finally {
      await proxy.close();
    }
  }, 300_000);

  it('stops reading while Elasticsearch is down, keeps its checkpoint, and resumes with nothing lost when it is back', async () => {
    const own = await elasticsearch.start();
    let current = own;
    const ownClient = new (await import('@elastic/elasticsearch')).Client({ node: own.url });
    try {
      const seeded = await seedCluster({ prefix: 'esdown', events: 4_000, seed: 707, auditStreams: 2 });
      const env = {
        ...seeded.env,
        ELASTIC_URL: own.url,
        EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
        EKS_FORWARDER_PAGE_LIMIT: '100',
        EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString(),
      };
      const stateDir = seeded.env.EKS_FORWARDER_STATE_DIR!;
      const run = startCli(['run'], env);
      await eventually(async () => Boolean(readRunCheckpoint(stateDir)?.nextToken), 'progress before the outage', 90_000);

      await own.halt();
      await eventually(async () => /Elasticsearch write failed; retrying/.test(run.stderr()), 'the forwarder to notice the outage', 60_000);
      const during = readRunCheckpoint(stateDir);
      // Still alive and not moving: no page is acknowledged while nothing can be written.
      await eventually(async () => (run.stderr().match(/Elasticsearch write failed; retrying/g) ?? []).length >= 3, 'several retries', 60_000);
      expect(run.child.exitCode).toBeNull();
      expect(readRunCheckpoint(stateDir)).toEqual(during);

      current = await elasticsearch.start({ reuse: { port: own.port!, dataDir: own.dataDir } });
      await eventually(async () => (await idCounts(ownClient, auditIndexPattern(seeded.cluster))).size >= seeded.expected.size, 'every document after the outage', 180_000);
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
      await expectExactly(ownClient, seeded);
    } finally {
      await ownClient.close();
      await current.stop();
    }
  }, 600_000);
});
