import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { runCli } from '../support/cli.js';
import { docCount, elasticClient, idCounts } from '../support/elastic.js';
import { auditIndexPattern, deadLetterIndex, seedCluster, type SeededCluster } from '../support/scenario.js';
import { ensureIndexTemplates } from '../../src/sink/elasticsearch/index-template.js';

/** Through real LocalStack and Elasticsearch, with the real CLI in its own process. */
describe('backfill through LocalStack into Elasticsearch', () => {
  let es: Client;
  let seeded: SeededCluster;

  beforeAll(async () => {
    es = elasticClient();
    seeded = await seedCluster({ prefix: 'bf', events: 3_000, seed: 101, truncated: 3, auditStreams: 3 });
  });
  afterAll(async () => {
    await es.close();
  });

  const backfill = (extra: string[] = [], env: Record<string, string> = {}) =>
    runCli(
      ['backfill', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json', ...extra],
      { ...seeded.env, ...env },
    );

  it('indexes exactly the events the default policy selects from the audit streams, once each', async () => {
    const result = await backfill();
    expect(result.stderr).not.toMatch(/"level":50/);
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.complete).toBe(true);

    const ids = await idCounts(es, auditIndexPattern(seeded.cluster));
    expect(seeded.expected.size).toBeGreaterThan(100);
    expect([...ids.keys()].sort()).toEqual([...seeded.expected].sort());
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(summary.forwarded).toBe(seeded.expected.size);
    // The emulator ignores logStreamNamePrefix: the other components' events came back and were left out.
    expect(summary.otherStreamEvents).toBeGreaterThan(0);
  });

  it('keeps every truncated event in the dead-letter index with its stream and eventId', async () => {
    await es.indices.refresh({ index: deadLetterIndex(seeded.cluster) });
    const dead = await es.search<{ logStream: string; eventId: string; reason: string; message: string; auditID?: string }>({
      index: deadLetterIndex(seeded.cluster),
      size: 100,
    });
    const docs = dead.hits.hits.map((h) => h._source!);
    expect(seeded.invalidMessages.length).toBe(3);
    expect(docs.map((d) => d.message).sort()).toEqual([...seeded.invalidMessages].sort());
    for (const d of docs) {
      expect(d.logStream).toMatch(/^kube-apiserver-audit-/);
      expect(d.eventId).not.toBe('');
      expect(d.reason).toMatch(/truncated by CloudWatch/);
      expect(d.auditID).toBeTruthy();
    }
  });

  it('changes nothing when run again over the same window', async () => {
    const before = await docCount(es, auditIndexPattern(seeded.cluster));
    const deadBefore = await docCount(es, deadLetterIndex(seeded.cluster));
    const result = await backfill();
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.created).toBe(0);
    expect(summary.alreadyPresent).toBe(seeded.expected.size);
    expect(await docCount(es, auditIndexPattern(seeded.cluster))).toBe(before);
    expect(await docCount(es, deadLetterIndex(seeded.cluster))).toBe(deadBefore);
  });

  it('forwards the same exact set when the window is split into concurrent slices', async () => {
    const other = await seedCluster({ prefix: 'slices', events: 2_000, seed: 303, auditStreams: 3 });
    const result = await runCli(
      ['backfill', '--from', new Date(other.window.from).toISOString(), '--to', new Date(other.window.to).toISOString(), '--json', '--slices', '4'],
      other.env,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, slices: 4, forwarded: other.expected.size });
    const ids = await idCounts(es, auditIndexPattern(other.cluster));
    expect([...ids.keys()].sort()).toEqual([...other.expected].sort());
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
  });

  it('with the CloudWatch prefilter on, still forwards the exact set and dead-letters truncated events', async () => {
    // LocalStack ignores filter patterns, so this proves the two-pass mechanics, not the savings.
    const other = await seedCluster({ prefix: 'prefilter', events: 1_500, seed: 404, auditStreams: 2, truncated: 2 });
    const result = await runCli(
      ['backfill', '--from', new Date(other.window.from).toISOString(), '--to', new Date(other.window.to).toISOString(), '--json', '--prefilter', 'true'],
      { ...other.env, LOG_LEVEL: 'info' },
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toMatch(/CloudWatch prefilter on/);
    expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, created: other.expected.size, deadLettered: 4 });
    const ids = await idCounts(es, auditIndexPattern(other.cluster));
    expect([...ids.keys()].sort()).toEqual([...other.expected].sort());
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    expect(await docCount(es, deadLetterIndex(other.cluster))).toBe(2);
  });

  it('reads many small pages without losing or repeating an event', async () => {
    const other = await seedCluster({ prefix: 'pages', events: 2_000, seed: 202, auditStreams: 4 });
    const result = await runCli(
      ['backfill', '--from', new Date(other.window.from).toISOString(), '--to', new Date(other.window.to).toISOString(), '--json', '--page-limit', '37'],
      other.env,
    );
    expect(result.code).toBe(0);
    const summary = JSON.parse(result.stdout);
    expect(summary.pages).toBeGreaterThan(2_000 / 37);
    const ids = await idCounts(es, auditIndexPattern(other.cluster));
    expect([...ids.keys()].sort()).toEqual([...other.expected].sort());
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
  });

  it('leaves what it wrote searchable when it completes, so verify or changes right after see all of it', async () => {
    const other = await seedCluster({ prefix: 'visible', events: 300, seed: 505, auditStreams: 1, truncated: 1 });
    // Indices that never refresh by themselves: only the backfill's own refresh makes its documents searchable.
    await ensureIndexTemplates(es, { indexSuffix: other.cluster, deadLetterIndex: deadLetterIndex(other.cluster) });
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
    const days = new Set([day(other.window.from - 86_400_000), day(other.window.from), day(other.window.to), day(other.window.to + 86_400_000)]);
    for (const d of days) await es.indices.create({ index: `tigera_secure_ee_audit_kube.${other.cluster}.eks-${d}`, settings: { refresh_interval: '-1' } });
    await es.indices.create({ index: deadLetterIndex(other.cluster), settings: { refresh_interval: '-1' } });

    const result = await runCli(['backfill', '--from', new Date(other.window.from).toISOString(), '--to', new Date(other.window.to).toISOString(), '--json'], other.env);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, created: other.expected.size, deadLettered: 1 });
    // No refresh here: a search sees only what the backfill made searchable.
    expect((await es.count({ index: auditIndexPattern(other.cluster) })).count).toBe(other.expected.size);
    expect((await es.count({ index: deadLetterIndex(other.cluster) })).count).toBe(1);
  });
});
