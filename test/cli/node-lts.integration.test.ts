import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNode, LTS_NODE_VERSIONS } from '../../scripts/node-runtime.js';
import { compileCli, imageNodeOptions, REPO_ROOT, runCli } from '../support/cli.js';
import { elasticClient, idDiff } from '../support/elastic.js';
import { auditIndexPattern, seedCluster, type SeededCluster } from '../support/scenario.js';

// The machines run Node 20, the image a current LTS, and the AWS SDK drops Node 20 in early 2027:
// the compiled CLI, as the image runs it (its NODE_OPTIONS), forwards exactly on each LTS line.
let dist: string;
let compiledBin: string;
beforeAll(() => {
  mkdirSync(path.join(REPO_ROOT, '.scratch'), { recursive: true });
  dist = mkdtempSync(path.join(REPO_ROOT, '.scratch', 'lts-dist-'));
  compiledBin = compileCli(dist);
}, 300_000);
afterAll(() => {
  if (dist) rmSync(dist, { recursive: true, force: true });
});

describe.each(LTS_NODE_VERSIONS)('the compiled CLI on Node %s', (version) => {
  let node: string;
  let es: Client;
  let seeded: SeededCluster;

  beforeAll(async () => {
    node = await ensureNode(version);
    es = elasticClient();
    seeded = await seedCluster({ prefix: `lts${version.split('.')[0]}`, events: 1_500, seed: 2200 + Number(version.split('.')[0]), truncated: 1, auditStreams: 2 });
  }, 600_000);
  afterAll(async () => {
    await es?.close();
  });

  it('reports its version, and backfills a seeded cluster exactly with the image NODE_OPTIONS', async () => {
    expect(execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()).toBe(`v${version}`);
    const result = await runCli(
      ['backfill', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json', '--no-progress'],
      { ...seeded.env, NODE_OPTIONS: imageNodeOptions() },
      { node, compiledBin },
    );
    expect(result.stderr).not.toMatch(/"level":50/);
    // The SDK warns on every start under Node 20; a supported line must start clean.
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
    expect(result.code, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ complete: true, forwarded: seeded.expected.size, deadLettered: 1 });
    const diff = await idDiff(es, auditIndexPattern(seeded.cluster), seeded.expected);
    expect(diff).toEqual({ missing: [], extra: [], duplicated: [] });
  });
});
