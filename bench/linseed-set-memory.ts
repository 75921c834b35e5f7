// Peak RSS of the forwarder with the Linseed sink's delivered set at its largest, alone (what
// `npm run bench`'s linseed-set phase runs; see measure-set-memory.ts):
//   npx tsx bench/linseed-set-memory.ts [--rate N] [--minutes M]
// Default 1,000 documents a second over the sink's 30-minute retention (1.8M). Needs the services
// (started here unless ELASTIC_URL names a running Elasticsearch) and the kube-apiserver the
// Linseed world builds; the CLI is compiled into .scratch/bench-dist first.
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { startServices } from '../scripts/services/index.js';
import { auditIndexPrefix } from '../src/sink/elasticsearch/index-names.js';
import { buildCompiled } from './measure-forwarder.js';
import { describeSetMemory, measureDeliveredSetMemory, SET_MINUTES, SET_RATE } from './measure-set-memory.js';

const { values } = parseArgs({ options: { rate: { type: 'string', default: String(SET_RATE) }, minutes: { type: 'string', default: String(SET_MINUTES) } } });
// Its own cluster each run: documents left by an earlier run would be read back too.
const cluster = `setmem-${Date.now().toString(36)}`;

const services = process.env.ELASTIC_URL ? undefined : await startServices();
const elastic = process.env.ELASTIC_URL ?? services!.env.ELASTIC_URL;
try {
  const warning = buildCompiled();
  if (warning) process.stderr.write(`[bench] ${warning}\n`);
  const result = await measureDeliveredSetMemory({ elastic, cluster, rate: Number(values.rate), minutes: Number(values.minutes) });
  process.stderr.write(`[bench] ${describeSetMemory(result)}\n`);
  // The figures only: the run's series would bury them.
  const { run: _run, ...figures } = result;
  console.log(JSON.stringify(figures));
} finally {
  await dropCluster(elastic, cluster);
  await services?.stop();
}

/** Deletes the cluster's audit indices by name (Elasticsearch 8 refuses wildcard deletes by default). */
async function dropCluster(node: string, name: string): Promise<void> {
  const es = new Client({ node });
  try {
    const names = Object.keys(await es.indices.get({ index: `${auditIndexPrefix(name)}*`, ignore_unavailable: true, allow_no_indices: true }));
    if (names.length) await es.indices.delete({ index: names.join(',') });
  } finally {
    await es.close();
  }
}
