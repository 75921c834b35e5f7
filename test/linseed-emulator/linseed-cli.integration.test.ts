import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../scripts/services/cache.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { elasticClient, keyCounts } from '../support/elastic.js';
import { auditIndexPattern, seedCluster } from '../support/scenario.js';

const CLI = path.join(REPO_ROOT, 'scripts', 'services', 'linseed-cli.ts');

/** `npm run linseed:up | env | down`, in a run directory of its own so a person's emulator is never touched. */
describe('the Linseed emulator started by the project scripts', () => {
  let es: Client;
  let runDir: string;
  const linseedCli = async (command: string) =>
    (await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, command], { cwd: REPO_ROOT, env: { ...process.env, EKSFWD_RUN_DIR: runDir }, timeout: 300_000 })).stdout;
  const parseEnv = (text: string) => Object.fromEntries(text.trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));

  beforeAll(() => {
    es = elasticClient();
    runDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-rundir-'));
  });
  afterAll(async () => {
    await linseedCli('down').catch(() => undefined);
    await es.close();
    rmSync(runDir, { recursive: true, force: true });
  });

  it('prints an environment the forwarder delivers through exactly once, reprints it, and stops', async () => {
    const env = parseEnv(await linseedCli('up'));
    expect(Object.keys(env).sort()).toEqual(['EKS_FORWARDER_SINK', 'LINSEED_CA_PATH', 'LINSEED_ENDPOINT', 'LINSEED_TOKEN', 'TLS_CRT_PATH', 'TLS_KEY_PATH']);
    expect(env.LINSEED_ENDPOINT).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);

    const seeded = await seedCluster({ prefix: 'lsup', events: 400, seed: 616, auditStreams: 2 });
    const { ELASTIC_URL: _e, ELASTIC_INDEX_SUFFIX: _s, ...rest } = seeded.env;
    const through = { ...rest, ...env, LINSEED_CLUSTER_ID: seeded.cluster };
    const result = await runCli(['backfill', '--from', new Date(seeded.window.from).toISOString(), '--to', new Date(seeded.window.to).toISOString(), '--json'], through);
    expect(result.stderr).not.toMatch(/"level":50/);
    expect(result.code).toBe(0);
    const keys = await keyCounts(es, auditIndexPattern(seeded.cluster));
    expect([...keys.keys()].sort()).toEqual([...seeded.expected].sort());
    expect([...keys.values()].every((n) => n === 1)).toBe(true);

    expect(parseEnv(await linseedCli('env'))).toEqual(env);
    const state = JSON.parse(readFileSync(path.join(runDir, 'linseed-state.json'), 'utf8')) as { linseed: { pid: number }; kube: { pid: number; etcdPid: number } };
    // A second `up` finds it healthy and starts nothing.
    expect(parseEnv(await linseedCli('up'))).toEqual(env);
    expect(JSON.parse(readFileSync(path.join(runDir, 'linseed-state.json'), 'utf8')).linseed.pid).toBe(state.linseed.pid);
    await linseedCli('down');
    expect(isAlive(state.linseed.pid)).toBe(false);
    expect(isAlive(state.kube.pid)).toBe(false);
    expect(isAlive(state.kube.etcdPid)).toBe(false);
    await expect(linseedCli('env')).rejects.toThrow(/not up: run `npm run linseed:up`/);
  });
});
