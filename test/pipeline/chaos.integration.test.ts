import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { expectedDocuments } from '../../localstack/expected.js';
import { generateScenario } from '../../localstack/scenario.js';
import { seedScenario } from '../../localstack/seed.js';
import { readRunCheckpoint, runCli, startCli } from '../support/cli.js';
// Seeded, so a failing run can be replayed with the same kill moments.
import { prng } from '../support/fault-proxy.js';
import { elasticClient, eventually, idCounts, idDiff } from '../support/elastic.js';
import { auditIndexPattern, cloudwatchClient, seedCluster } from '../support/scenario.js';

const KILLS = 22;
const APPENDS = 10;

describe('chaos: SIGKILL at random moments while events, some late, keep arriving', () => {
  let es: Client;
  beforeAll(() => {
    es = elasticClient();
  });
  afterAll(async () => {
    await es.close();
  });

  it(`ends with exactly the expected documents after ${KILLS} kills`, async () => {
    const seed = Number(process.env.CHAOS_SEED ?? 4242);
    const random = prng(seed);
    const started = Date.now();
    const seeded = await seedCluster({ prefix: 'chaos', events: 30_000, seed, auditStreams: 4, startMs: Date.now() - 25 * 60_000, spanMs: 20 * 60_000 });
    const env = {
      ...seeded.env,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
      EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString(),
    };
    const stateDir = seeded.env.EKS_FORWARDER_STATE_DIR!;
    const expected = new Set(seeded.expected);

    // Events keep arriving while the forwarder is being killed; each batch is timestamped up to
    // 90 s in the past, behind the head the forwarder has already read: late arrivals.
    const appender = (async () => {
      const cw = cloudwatchClient();
      try {
        for (let i = 0; i < APPENDS; i++) {
          const now = Date.now();
          const late = generateScenario({
            cluster: seeded.cluster,
            seed: seed * 100 + i,
            events: 300,
            startMs: now - 90_000,
            spanMs: 80_000,
            auditStreams: 1,
            otherStreams: false,
          });
          await seedScenario(cw, late);
          for (const id of expectedDocuments(late).expected) expected.add(id);
          await sleep(1_500 + random() * 1_500);
        }
      } finally {
        cw.destroy();
      }
    })();

    let kills = 0;
    for (; kills < KILLS; kills++) {
      const run = startCli(['run'], env);
      // Random moments: during start-up, mid-page, mid-checkpoint-write, while sleeping.
      await sleep(300 + random() * 3_500);
      run.child.kill('SIGKILL');
      await run.exited;
    }
    await appender;

    const final = startCli(['run'], env);
    await eventually(
      async () => (await idCounts(es, auditIndexPattern(seeded.cluster))).size >= expected.size,
      'every expected document',
      240_000,
    );
    await eventually(async () => readRunCheckpoint(stateDir)?.windowEnd === undefined, 'a drained window', 60_000);
    // The earlier processes may have done all the work: wait until this one has drained a window
    // itself, so the SIGTERM meets its handler rather than a process still loading.
    await eventually(async () => final.stderr().includes('"msg":"window drained"'), 'the last process draining a window', 60_000);
    final.child.kill('SIGTERM');
    expect(await final.exited).toBe(0);

    const diff = await idDiff(es, auditIndexPattern(seeded.cluster), expected);
    const elapsed = ((Date.now() - started) / 1000).toFixed(0);
    console.log(`chaos: seed ${seed}, ${kills} kills, ${30_000 + APPENDS * 300} audit events, ${expected.size} documents expected, ${elapsed} s`);
    expect(diff).toEqual({ missing: [], extra: [], duplicated: [] });
    expect(kills).toBeGreaterThanOrEqual(20);

    // And the forwarder's own proof agrees.
    const verify = await runCli(['verify', '--from', new Date(seeded.window.from).toISOString(), '--to', 'now', '--json'], env);
    const report = JSON.parse(verify.stdout);
    expect(report).toMatchObject({ complete: true, missing: 0, unexpected: 0 });
    expect(verify.code).toBe(0);
  }, 900_000);
});
