import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, startCli } from '../support/cli.js';
import { elasticClient, eventually, idCounts, keyCounts } from '../support/elastic.js';
import { auditIndexPattern, seedCluster } from '../support/scenario.js';

/** The last commit of release 0.1.0, whose checkpoints (format v1) an upgrade must resume from. */
const RELEASE_0_1_0 = '6df0e7ee0e32a09764bbb2deb79a487868f60311';

/** The release's source, unpacked from git beside the repository's node_modules (same dependencies). */
function checkoutRelease(): string {
  const commit = execFileSync('git', ['rev-parse', '--verify', `${RELEASE_0_1_0}^{commit}`], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-release-'));
  execFileSync('sh', ['-c', `git archive ${commit} src tsconfig.json package.json | tar -x -C "${dir}"`], { cwd: REPO_ROOT });
  symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  return dir;
}

function readCheckpointFile(stateDir: string): Record<string, unknown> | undefined {
  const file = readdirSync(stateDir).find((f) => f.startsWith('run-') && f.endsWith('.json'));
  return file ? (JSON.parse(readFileSync(path.join(stateDir, file), 'utf8')) as Record<string, unknown>) : undefined;
}

describe('upgrade from release 0.1.0', () => {
  let es: Client;
  let release: string;
  beforeAll(() => {
    es = elasticClient();
    release = checkoutRelease();
  });
  afterAll(async () => {
    await es.close();
    rmSync(release, { recursive: true, force: true });
  });

  it('resumes exactly where the old release stopped, mid-window with a token: nothing lost, nothing twice', async () => {
    const seeded = await seedCluster({ prefix: 'upgrade', events: 3_000, seed: 515, auditStreams: 2 });
    const env = {
      ...seeded.env,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
      EKS_FORWARDER_PAGE_LIMIT: '60',
      EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString(),
    };
    const stateDir = seeded.env.EKS_FORWARDER_STATE_DIR!;

    // The old release runs until it has checkpointed part of the window, then dies.
    const old = spawn(process.execPath, ['--import', 'tsx', path.join(release, 'src', 'cli', 'bin.ts'), 'run'], {
      cwd: release,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', EKS_FORWARDER_HTTP_PORT: '0', ...env },
      stdio: 'ignore',
    });
    const oldExit = new Promise((resolve) => old.on('exit', resolve));
    try {
      // Mid-window, and past a page that wrote something (a first page may hold nothing the policy keeps).
      await eventually(
        // The checkpoint last, so the kill follows its check at once (the window could drain meanwhile).
        async () => (await idCounts(es, auditIndexPattern(seeded.cluster))).size > 0 && typeof readCheckpointFile(stateDir)?.nextToken === 'string',
        'a mid-window checkpoint of the old release after some documents',
        120_000,
      );
    } finally {
      old.kill('SIGKILL');
      await oldExit;
    }
    const v1 = readCheckpointFile(stateDir)!;
    expect(v1).toMatchObject({ version: 1, nextToken: expect.any(String), windowEnd: expect.any(Number) });
    const partial = await idCounts(es, auditIndexPattern(seeded.cluster));
    expect(partial.size).toBeGreaterThan(0);
    expect(partial.size).toBeLessThan(seeded.expected.size);

    // This release takes over the same state directory.
    const run = startCli(['run'], env);
    await eventually(async () => (await keyCounts(es, auditIndexPattern(seeded.cluster))).size >= seeded.expected.size, 'every document', 120_000);
    await eventually(async () => run.stderr().includes('"msg":"window drained"'), 'a drained window', 60_000);
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(0);

    // It started from the old token and window, not from the window's start or the newest document.
    const starting = run.stderr().split('\n').find((l) => l.includes('"msg":"starting"'));
    expect(JSON.parse(starting!)).toMatchObject({
      windowStart: new Date(v1.windowStart as number).toISOString(),
      windowEnd: new Date(v1.windowEnd as number).toISOString(),
      tokenPresent: true,
    });
    expect(run.stderr()).not.toMatch(/re-reading the window from its start/);

    // Release 0.1 wrote `auditID:stage` ids, this one writes dedup keys: no event is stored under both.
    expect([...(await idCounts(es, auditIndexPattern(seeded.cluster))).keys()].filter((id) => !seeded.expected.has(id)).length).toBeGreaterThan(0);
    const keys = await keyCounts(es, auditIndexPattern(seeded.cluster));
    expect([...keys.keys()].sort()).toEqual([...seeded.expected].sort());
    expect([...keys.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(readCheckpointFile(stateDir)).toMatchObject({ version: 2, source: 'cloudwatch', position: { groupName: v1.groupName } });
  });
});
