import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { docCount } from '../test/support/elastic.js';
import { startLinseedWorld } from '../test/support/linseed.js';
import { measureForwarder, type ForwarderRun } from './measure-forwarder.js';
import { postAll } from './measure-linseed.js';
import { startSyntheticCloudWatch } from './synthetic-cloudwatch.js';

/** The issue's figure: 1,000 kept events/s over the sink's 30-minute retention (RETAIN_MS: the 15-minute ceiling's sweep and the re-count after it). */
export const SET_RATE = 1_000;
export const SET_MINUTES = 30;
/** The image's RSS target, as report.ts judges every forwarder run. */
export const SET_RSS_TARGET_MB = 150;

export interface SetMemoryResult {
  /** Documents a second seeded, and over how many minutes (from the window's start on). */
  rate: number;
  minutes: number;
  /** rate × minutes × 60: what the store held in the set's retention when backfill started. */
  seeded: number;
  seedFailed: number;
  seedSeconds: number;
  exitCode: number | null;
  peakRssMb: number;
  wallSeconds: number;
  /** Documents the backfill added, against what the policy keeps of the synthetic source. */
  forwarded: number;
  expected: number;
  storedTotal: number;
  storedTotalExpected: number;
  targetMb: number;
  /** Within the target, and the run whole: exit 0, every seeded document stored, every expected one added. */
  met: boolean;
  /** The forwarder run itself (series, calls, memory samples). */
  run: ForwarderRun;
}

/**
 * Peak RSS of the forwarder (the compiled CLI under the image's NODE_OPTIONS) with the Linseed
 * sink's delivered set at its largest: the store already holds `rate` documents a second over
 * `minutes` when `backfill` starts at the beginning of that range, so its first write reads all
 * of them back into the set (as after a restart at full load) and keeps them while it goes on.
 * Needs the compiled CLI (buildCompiled) and the kube-apiserver the Linseed world starts.
 */
export async function measureDeliveredSetMemory(o: { elastic: string; cluster: string; rate: number; minutes: number; nodeArgs?: string[] }): Promise<SetMemoryResult> {
  // startLinseedWorld's emulator writes to the Elasticsearch the tests name in the environment.
  process.env.ELASTIC_URL = o.elastic;
  const world = await startLinseedWorld();
  const source = await startSyntheticCloudWatch({ cluster: o.cluster, seed: 7, baseEvents: 10_000, repeats: 1, streams: 4, mutationShare: 0.2, payloadBytes: 512 });
  const es = new Client({ node: o.elastic });
  try {
    const seeded = o.rate * o.minutes * 60;
    const micro = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    const batch = (from: number, to: number) => {
      const lines: string[] = [];
      for (let j = from; j < to; j++) {
        const t = micro(source.window.from + Math.floor((j * 1000) / o.rate));
        lines.push(JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: randomUUID(), stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/default/configmaps/c${j}`, verb: 'update', user: { username: 'seed' }, requestReceivedTimestamp: t, stageTimestamp: t }));
      }
      return `${lines.join('\n')}\n`;
    };
    // Made and posted 100,000 at a time: the bench process need not hold 1.8M documents at once.
    const seed = { seconds: 0, failed: 0 };
    for (let i = 0; i < seeded; i += 100_000) {
      const batches: string[] = [];
      for (let j = i; j < Math.min(seeded, i + 100_000); j += 2_000) batches.push(batch(j, Math.min(seeded, i + 100_000, j + 2_000)));
      const posted = await postAll(world, o.cluster, batches);
      seed.seconds += posted.seconds;
      seed.failed += posted.failed;
    }
    process.stderr.write(`[bench] seeded ${seeded} documents through the bulk API in ${seed.seconds.toFixed(0)} s (${seed.failed} failed)\n`);
    const storedTotalExpected = seeded + source.expectedDocs;
    // Its document count is of the whole store, the seeded documents too: so is what it expects.
    const run = await measureForwarder(
      { cloudwatch: source.url, elastic: o.elastic, group: source.logGroupName, auditEvents: source.auditEvents, expectedDocs: storedTotalExpected, bytes: source.bytes },
      {
        label: `backfill through Linseed with ${seeded} documents already stored in the delivered set's retention`,
        launcher: 'compiled',
        command: 'backfill',
        requestsPerSecond: 5,
        indexSuffix: o.cluster,
        window: source.window,
        timeoutMs: 1_800_000,
        nodeArgs: o.nodeArgs,
        // The Linseed sink is chosen by name; '' unsets the Elasticsearch settings benchEnv adds.
        extraEnv: { ...world.env, LINSEED_CLUSTER_ID: o.cluster, ELASTIC_URL: '', ELASTIC_INDEX_SUFFIX: '' },
        docPattern: world.linseed.readPattern(o.cluster),
      },
    );
    const storedTotal = await docCount(es, world.linseed.readPattern(o.cluster));
    const peakRssMb = Math.round(run.peakRssMb);
    return {
      rate: o.rate,
      minutes: o.minutes,
      seeded,
      seedFailed: seed.failed,
      seedSeconds: seed.seconds,
      exitCode: run.exitCode,
      peakRssMb,
      wallSeconds: Math.round(run.wallSeconds),
      forwarded: run.indexedDocs - seeded,
      expected: source.expectedDocs,
      storedTotal,
      storedTotalExpected,
      targetMb: SET_RSS_TARGET_MB,
      // A set short of the seeded documents, or a failed run, is no measurement of the full set.
      met: run.exitCode === 0 && seed.failed === 0 && storedTotal === storedTotalExpected && run.peakRssMb <= SET_RSS_TARGET_MB,
      run,
    };
  } finally {
    await es.close();
    await source.close();
    await world.close();
  }
}

/** The load measured, saying so when it is not the issue's (--quick). */
export function setFigure(r: { rate: number; minutes: number }): string {
  const issue = r.rate === SET_RATE && r.minutes === SET_MINUTES;
  return `${r.rate.toLocaleString('en-US')}/s over ${r.minutes} min${issue ? '' : `, not the issue's ${SET_RATE.toLocaleString('en-US')}/s over ${SET_MINUTES}`}`;
}

/** The figure the issue asks for, one line: console, latest.md and the standalone script. */
export function describeSetMemory(r: SetMemoryResult): string {
  const whole = r.exitCode === 0 && r.seedFailed === 0 && r.storedTotal === r.storedTotalExpected ? '' : ` (exit ${r.exitCode}, ${r.seedFailed} failed to seed, ${r.storedTotal.toLocaleString('en-US')} of ${r.storedTotalExpected.toLocaleString('en-US')} stored)`;
  return `Linseed delivered set (${setFigure(r)}): peak RSS ${r.peakRssMb} MB with ${r.seeded.toLocaleString('en-US')} documents read back (target ${r.targetMb} MB): ${r.met ? 'met' : 'not met'}${whole}`;
}
