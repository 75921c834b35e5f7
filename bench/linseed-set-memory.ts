// Peak RSS of the forwarder itself (the compiled CLI under the image's NODE_OPTIONS) with the
// Linseed sink's delivered set at its largest: the store already holds a retention's worth of
// documents at `--rate` kept events/s (default 1,000 a second over the sink's 30 minutes, 1.8M)
// when `backfill` starts at the beginning of that range, so its first write reads all of them
// back into the set (as after a restart at full load) and keeps them while it goes on.
//   npx tsx bench/linseed-set-memory.ts [--rate N] [--minutes M]
// Needs the services (started here unless ELASTIC_URL names a running Elasticsearch) and the
// kube-apiserver the Linseed world builds; the CLI is compiled into .scratch/bench-dist first.
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { startServices } from '../scripts/services/index.js';
import { docCount } from '../test/support/elastic.js';
import { startLinseedWorld } from '../test/support/linseed.js';
import { buildCompiled, measureForwarder } from './measure-forwarder.js';
import { postAll } from './measure-linseed.js';
import { startSyntheticCloudWatch } from './synthetic-cloudwatch.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: '1000' }, minutes: { type: 'string', default: '30' } } });
const rate = Number(values.rate);
const minutes = Number(values.minutes);
const cluster = 'setmem';

const services = process.env.ELASTIC_URL ? undefined : await startServices();
const elastic = process.env.ELASTIC_URL ?? services!.env.ELASTIC_URL;
process.env.ELASTIC_URL = elastic;
const world = await startLinseedWorld();
const source = await startSyntheticCloudWatch({ cluster, seed: 7, baseEvents: 10_000, repeats: 1, streams: 4, mutationShare: 0.2, payloadBytes: 512 });
const es = new Client({ node: elastic });
try {
  const warning = buildCompiled();
  if (warning) process.stderr.write(`[bench] ${warning}\n`);
  // What the store holds already: `rate` documents a second from the window's start on.
  const seeded = rate * minutes * 60;
  const micro = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
  const batches: string[] = [];
  for (let i = 0; i < seeded; i += 2_000) {
    const lines: string[] = [];
    for (let j = i; j < Math.min(seeded, i + 2_000); j++) {
      const t = micro(source.window.from + Math.floor((j * 1000) / rate));
      lines.push(JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: randomUUID(), stage: 'ResponseComplete', requestURI: `/api/v1/namespaces/default/configmaps/c${j}`, verb: 'update', user: { username: 'seed' }, requestReceivedTimestamp: t, stageTimestamp: t }));
    }
    batches.push(`${lines.join('\n')}\n`);
  }
  const t0 = performance.now();
  const posted = await postAll(world, cluster, batches);
  process.stderr.write(`[bench] seeded ${seeded} documents through the bulk API in ${((performance.now() - t0) / 1000).toFixed(0)} s (${posted.failed} failed)\n`);
  const run = await measureForwarder(
    { cloudwatch: source.url, elastic, group: source.logGroupName, auditEvents: source.auditEvents, expectedDocs: source.expectedDocs, bytes: source.bytes },
    {
      label: `backfill through Linseed with ${seeded} documents already stored in the delivered set's retention`,
      launcher: 'compiled',
      command: 'backfill',
      requestsPerSecond: 5,
      indexSuffix: cluster,
      window: source.window,
      timeoutMs: 1_800_000,
      extraEnv: { ...world.env, LINSEED_CLUSTER_ID: cluster, ELASTIC_URL: '', ELASTIC_INDEX_SUFFIX: '' },
      docPattern: world.linseed.readPattern(cluster),
    },
  );
  const stored = await docCount(es, world.linseed.readPattern(cluster));
  console.log(
    JSON.stringify({
      ratePerSecond: rate,
      minutes,
      seeded,
      exitCode: run.exitCode,
      peakRssMb: Math.round(run.peakRssMb),
      wallSeconds: Math.round(run.wallSeconds),
      forwarded: run.indexedDocs - seeded,
      expected: source.expectedDocs,
      storedTotal: stored,
      storedTotalExpected: seeded + source.expectedDocs,
    }),
  );
} finally {
  await es.close();
  await source.close();
  await world.close();
  await services?.stop();
}
