import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { auditEvents } from '../../localstack/scenario.js';
import { parseAuditEvent } from '../../src/transform/audit-event.js';
import { calicoDocument } from '../../src/transform/calico-document.js';
import { applyPolicy, compilePolicy, DEFAULT_POLICY } from '../../src/transform/policy.js';
import { runCli, startCli } from '../support/cli.js';
import { elasticClient, eventually, keyCounts } from '../support/elastic.js';
import { auditIndexPattern, seedCluster, type SeededCluster } from '../support/scenario.js';

const LAG_MS = 8 * 60_000;

/**
 * The operator's old forwarder, as a cut-over finds it: its own index names, ids Elasticsearch
 * chose, one stream fully written and the other lagging LAG_MS behind (its last chunks unflushed).
 */
async function writeAsTheOldForwarder(es: Client, seeded: SeededCluster): Promise<number> {
  const policy = compilePolicy(DEFAULT_POLICY);
  const events = auditEvents(seeded.scenario);
  const streams = [...new Set(events.map((e) => e.stream))].sort();
  const newest = Math.max(...events.map((e) => e.timestamp));
  const index = `tigera_secure_ee_audit_kube.${seeded.cluster}.fluentd.20261201`;
  // Bodies kept unindexed (their field names break dynamic mapping), the rest mapped dynamically,
  // as an index made without Calico's template is: auditID becomes text with a keyword sub-field.
  const unindexed = { type: 'object', enabled: false } as const;
  await es.indices.create({ index, mappings: { properties: { requestObject: unindexed, responseObject: unindexed } } });
  const operations: object[] = [];
  for (const e of events) {
    if (e.stream === streams[1] && e.timestamp > newest - LAG_MS) continue;
    const parsed = parseAuditEvent(e.message);
    const kept = parsed.ok ? applyPolicy(policy, parsed.event) : null;
    if (kept) operations.push({ index: { _index: index } }, calicoDocument(kept));
  }
  const res = await es.bulk({ operations, refresh: true });
  expect(res.items.find((i) => i.index?.error)?.index?.error).toBeUndefined();
  return operations.length / 2;
}

describe('cut-over from the old forwarder: no gap, no duplicate', () => {
  let es: Client;
  beforeAll(() => {
    es = elasticClient();
  });
  afterAll(async () => {
    await es.close();
  });

  it('starts a lateness ceiling before its newest document, writes what it lacks and nothing it holds', async () => {
    const seeded = await seedCluster({ prefix: 'cutover', events: 1_500, seed: 515, auditStreams: 2, startMs: Date.now() - 40 * 60_000, spanMs: 35 * 60_000 });
    const old = await writeAsTheOldForwarder(es, seeded);
    expect(old).toBeLessThan(seeded.expected.size);

    const run = startCli(['run'], { ...seeded.env, EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1' });
    try {
      await eventually(async () => (await keyCounts(es, auditIndexPattern(seeded.cluster))).size >= seeded.expected.size, 'every event stored', 120_000);
      await eventually(async () => run.stderr().includes('"msg":"window drained"'), 'a drained window', 60_000);
    } finally {
      run.child.kill('SIGTERM');
    }
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/"from":"newest delivered document","minus":"the lateness ceiling"/);

    const keys = await keyCounts(es, auditIndexPattern(seeded.cluster));
    expect([...keys.keys()].sort()).toEqual([...seeded.expected].sort());
    expect([...keys.entries()].filter(([, n]) => n > 1)).toEqual([]);

    // verify over every index of the cluster judges the old forwarder's documents too.
    const window = ['--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json'];
    const all = JSON.parse((await runCli(['verify', ...window, '--all-indices'], seeded.env)).stdout);
    expect(all).toMatchObject({ scope: 'cluster', complete: true, expected: seeded.expected.size, missing: 0, unexpected: 0, duplicates: 0 });

    // One more copy of an old document under another id is a duplicate, and verify names it.
    const [copy] = (await es.search({ index: `tigera_secure_ee_audit_kube.${seeded.cluster}.fluentd.*`, size: 1 })).hits.hits;
    await es.index({ index: copy!._index, document: copy!._source, refresh: true });
    const twice = JSON.parse((await runCli(['verify', ...window, '--all-indices'], seeded.env)).stdout);
    expect(twice).toMatchObject({ complete: false, duplicates: 1, missing: 0, unexpected: 0 });
  });
});
