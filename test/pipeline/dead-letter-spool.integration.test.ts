import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRunCheckpoint, startCli } from '../support/cli.js';
import { elasticClient, eventually, idDiff } from '../support/elastic.js';
import { auditIndexPattern, deadLetterIndex, seedCluster } from '../support/scenario.js';

describe('a dead letter the store refuses as well', () => {
  let es: Client;
  beforeAll(() => {
    es = elasticClient();
  });
  afterAll(async () => {
    await es.close();
  });

  it('is kept in the local spool while the pipe goes on, and delivered once the store takes it', async () => {
    const seeded = await seedCluster({ prefix: 'spool', events: 600, seed: 919, auditStreams: 2, truncated: 2 });
    // A dead-letter index that refuses every document (strict mapping, no fields).
    const dl = deadLetterIndex(seeded.cluster);
    await es.indices.create({ index: dl, mappings: { dynamic: 'strict', properties: {} } });
    const stateDir = seeded.env.EKS_FORWARDER_STATE_DIR!;
    const run = startCli(['run'], {
      ...seeded.env,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
      EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
      // The spool is offered again after an acknowledged batch. These events were seeded hours
      // late, so the head settles up to half the floor behind AWS's now: a small floor keeps
      // batches coming every second or so rather than after a one-off wait of a minute.
      EKS_FORWARDER_LATENESS_FLOOR: '10s',
      EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString(),
    });
    try {
      // Every audit document arrives and the window is drained: nothing is stuck behind the poison.
      await eventually(async () => (await idDiff(es, auditIndexPattern(seeded.cluster), seeded.expected)).missing.length === 0, 'every audit document', 120_000);
      await eventually(async () => readRunCheckpoint(stateDir)?.readUpTo !== undefined && readRunCheckpoint(stateDir)!.readUpTo! > seeded.window.to, 'the window drained', 60_000);
      const spoolFile = () => path.join(stateDir, readdirSpool(stateDir)!);
      await eventually(async () => readdirSpool(stateDir) !== undefined && lines(spoolFile()) === 2, 'two dead letters in the spool', 30_000);
      expect(run.stderr()).toMatch(/the store refused a dead letter; kept in the local spool/);

      // The store takes dead letters again: the spool drains into the index.
      await es.indices.delete({ index: dl });
      await eventually(async () => lines(spoolFile()) === 0, 'the spool drained', 60_000);
      await es.indices.refresh({ index: dl });
      expect((await es.count({ index: dl })).count).toBe(2);
      expect(await idDiff(es, auditIndexPattern(seeded.cluster), seeded.expected)).toEqual({ missing: [], extra: [], duplicated: [] });
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});

function readdirSpool(dir: string): string | undefined {
  return readdirSync(dir).find((f) => f.endsWith('.deadletters.jsonl'));
}

function lines(file: string): number {
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean).length : 0;
}
