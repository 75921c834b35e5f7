import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { expectedDocuments } from '../../localstack/expected.js';
import { generateScenario } from '../../localstack/scenario.js';
import { seedScenario } from '../../localstack/seed.js';
import { runCli } from '../support/cli.js';
import { elasticClient } from '../support/elastic.js';
import { auditIndexPattern, cloudwatchClient, seedCluster, type SeededCluster } from '../support/scenario.js';

describe('verify proves a window complete, or names what is missing or extra', () => {
  let es: Client;
  let seeded: SeededCluster;
  const verify = () =>
    runCli(['verify', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json'], seeded.env);

  beforeAll(async () => {
    es = elasticClient();
    seeded = await seedCluster({ prefix: 'verify', events: 2_000, seed: 808, auditStreams: 2, truncated: 1 });
    const forwarded = await runCli(['backfill', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString()], seeded.env);
    expect(forwarded.code).toBe(0);
  });
  afterAll(async () => {
    await es.close();
  });

  it('passes on a completely forwarded window', async () => {
    const result = await verify();
    const report = JSON.parse(result.stdout);
    expect(report).toMatchObject({ complete: true, scope: 'forwarder', expected: seeded.expected.size, found: seeded.expected.size, missing: 0, unexpected: 0, duplicates: 0, deadLettersExpected: 1, deadLettersMissing: 0 });
    expect(result.code).toBe(0);
  });

  it('fails naming documents deleted from Elasticsearch and events added to CloudWatch, and documents nobody expects', async () => {
    const deleted = [...seeded.expected].slice(0, 3);
    await es.indices.refresh({ index: auditIndexPattern(seeded.cluster) });
    const hits = await es.search({ index: auditIndexPattern(seeded.cluster), query: { ids: { values: deleted } }, _source: false });
    for (const h of hits.hits.hits) await es.delete({ index: h._index, id: h._id!, refresh: true });
    expect(hits.hits.hits).toHaveLength(deleted.length);

    // New events in the window that were never forwarded.
    const added = generateScenario({
      cluster: seeded.cluster,
      seed: 909,
      events: 60,
      startMs: seeded.window.from + 60_000,
      spanMs: 60_000,
      auditStreams: 1,
      otherStreams: false,
    });
    const cw = cloudwatchClient();
    await seedScenario(cw, added);
    cw.destroy();
    const addedIds = [...expectedDocuments(added).expected];
    expect(addedIds.length).toBeGreaterThan(0);
    expect(deleted.length + addedIds.length).toBeLessThanOrEqual(20);

    // A document in the window that no CloudWatch event accounts for.
    const [someIndex] = Object.keys(await es.indices.get({ index: auditIndexPattern(seeded.cluster) }));
    await es.index({
      index: someIndex!,
      id: 'forged-audit-id:ResponseComplete',
      document: { auditID: 'forged-audit-id', stage: 'ResponseComplete', stageTimestamp: new Date(seeded.window.from + 120_000).toISOString() },
      refresh: true,
    });

    const result = await verify();
    const report = JSON.parse(result.stdout);
    expect(result.code).toBe(1);
    expect(report.complete).toBe(false);
    expect(report.missing).toBe(deleted.length + addedIds.length);
    // Few enough to fit the sample, so every one of them must be named.
    expect([...report.sampleMissing].sort()).toEqual([...deleted, ...addedIds].sort());
    expect(report.unexpected).toBe(1);
    expect(report.sampleUnexpected).toEqual([`${someIndex}/forged-audit-id:ResponseComplete`]);

    const text = await runCli(['verify', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString()], seeded.env);
    expect(text.stdout).toMatch(/INCOMPLETE/);
    expect(text.stdout).toContain('forged-audit-id:ResponseComplete');
  });
});
