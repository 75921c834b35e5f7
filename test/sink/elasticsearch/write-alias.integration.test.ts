import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { elasticClient, idCounts } from '../../support/elastic.js';
import { auditIndexPattern, deadLetterIndex, seedCluster } from '../../support/scenario.js';

describe('Elasticsearch sink behind a write alias', () => {
  let es: Client;
  beforeAll(() => {
    es = elasticClient();
  });
  afterAll(async () => {
    await es.close();
  });

  it('counts dead letters written through an alias as dead letters, matched by position, not by the index the server names', async () => {
    const seeded = await seedCluster({ prefix: 'dlalias', events: 600, seed: 717, auditStreams: 2, truncated: 3 });
    const alias = deadLetterIndex(seeded.cluster);
    const backing = `${alias}-000001`;
    // The alias answers each write with the backing index's name.
    await es.indices.create({ index: backing, aliases: { [alias]: { is_write_index: true } } });

    const r = await runCli(['backfill', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json', '--no-progress'], {
      ...seeded.env,
      EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
    });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { complete: boolean; deadLettered: number; forwarded: number; created: number };
    expect(report.complete).toBe(true);
    expect(report.deadLettered).toBe(3);
    expect(report.created).toBe(seeded.expected.size);
    expect(report.forwarded).toBe(seeded.expected.size);

    await es.indices.refresh({ index: backing });
    expect((await es.count({ index: backing })).count).toBe(3);
    const ids = await idCounts(es, auditIndexPattern(seeded.cluster));
    expect([...ids.keys()].sort()).toEqual([...seeded.expected].sort());

    // A replay answers 409 through the alias too: already stored, nothing written twice.
    const again = await runCli(['backfill', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json', '--no-progress'], {
      ...seeded.env,
      EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
    });
    const second = JSON.parse(again.stdout) as { created: number; alreadyPresent: number; deadLettered: number };
    expect(second).toMatchObject({ created: 0, alreadyPresent: seeded.expected.size, deadLettered: 3 });
    await es.indices.refresh({ index: backing });
    expect((await es.count({ index: backing })).count).toBe(3);
  });
});
