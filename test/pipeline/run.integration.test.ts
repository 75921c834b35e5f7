import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { readRunCheckpoint as readCheckpoint, startCli } from '../support/cli.js';
import { elasticClient, eventually, idCounts } from '../support/elastic.js';
import { auditIndexPattern, seedCluster } from '../support/scenario.js';

describe('run: restart in the middle of a window', () => {
  let es: Client;
  beforeAll(() => {
    es = elasticClient();
  });
  afterAll(async () => {
    await es.close();
  });

  it('loses nothing and duplicates nothing across SIGKILLs mid-window, and stops cleanly on SIGTERM', async () => {
    const seeded = await seedCluster({ prefix: 'restart', events: 4_000, seed: 303, auditStreams: 3 });
    const env = {
      ...seeded.env,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
      EKS_FORWARDER_PAGE_LIMIT: '60',
      EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString(),
    };
    const stateDir = seeded.env.EKS_FORWARDER_STATE_DIR!;

    // Kill it twice while it is part-way through the window (a saved token means pages are acknowledged).
    let lastToken: string | undefined;
    for (let kill = 0; kill < 2; kill++) {
      const run = startCli(['run'], env);
      await eventually(async () => {
        const cp = readCheckpoint(stateDir);
        return Boolean(cp?.nextToken && cp.nextToken !== lastToken);
      }, 'a mid-window checkpoint', 90_000);
      lastToken = readCheckpoint(stateDir)?.nextToken;
      run.child.kill('SIGKILL');
      await run.exited;
    }
    const partial = await idCounts(es, auditIndexPattern(seeded.cluster));
    expect(partial.size).toBeLessThan(seeded.expected.size);

    // The last start drains the window, then stops on SIGTERM with status 0.
    const run = startCli(['run'], env);
    await eventually(async () => (await idCounts(es, auditIndexPattern(seeded.cluster))).size >= seeded.expected.size, 'every document', 120_000);
    await eventually(async () => readCheckpoint(stateDir)?.windowEnd === undefined, 'the window to be drained', 60_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);
    expect(run.stderr()).toMatch(/"msg":"stopped"/);

    const ids = await idCounts(es, auditIndexPattern(seeded.cluster));
    expect([...ids.keys()].sort()).toEqual([...seeded.expected].sort());
    expect([...ids.values()].every((n) => n === 1)).toBe(true);
    // The head has read past the whole seeded window (a sweep may be in progress behind it).
    expect(readCheckpoint(stateDir)!.readUpTo).toBeGreaterThan(seeded.window.to);
  });
});
