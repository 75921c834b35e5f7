/**
 * The main job on the embedded default: start LocalStack and Elasticsearch on loopback, seed a
 * realistic EKS cluster's log group, forward it with `eks-log-forwarder backfill` (the real CLI
 * in its own process), print what landed by resource and verb, check it against what the
 * default policy selects, write the auditors' report of the range (`changes --html --verify`),
 * and stop the services.
 *
 *   npm run demo -- [--events 20000] [--seed 1] [--cluster demo]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { expectedDocuments } from '../localstack/expected.js';
import { generateScenario } from '../localstack/scenario.js';
import { nodeSupportNotice } from '../src/node-support.js';

// Once for the whole demo: every forwarder it starts inherits the SDK's switch.
const notice = nodeSupportNotice();
if (notice) console.warn(notice);
import { clientFromEnv, seedScenario } from '../localstack/seed.js';
import { startServices } from './services/index.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '20000' },
    seed: { type: 'string', default: '1' },
    cluster: { type: 'string', default: 'demo' },
  },
});
const events = Number(values.events);
const seed = Number(values.seed);
const cluster = values.cluster!;

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  say('== starting LocalStack and Elasticsearch on 127.0.0.1 (first run installs them into the cache)');
  const services = await startServices();
  try {
    Object.assign(process.env, services.env);
    const end = Date.now() - 60_000;
    const span = 60 * 60_000;
    const scenario = generateScenario({ cluster, seed, events, startMs: end - span, spanMs: span, auditStreams: 4, truncated: 2 });
    say(`== seeding ${scenario.logGroupName}: ${events} audit events over ${scenario.streams.length} streams (seed ${seed})`);
    const cw = clientFromEnv(process.env);
    const seeded = await seedScenario(cw, scenario);
    cw.destroy();
    say(`   ${seeded.events} events, ${(seeded.bytes / 1e6).toFixed(1)} MB in ${seeded.calls} PutLogEvents calls`);

    say('== forwarding with: eks-log-forwarder backfill --from <start> --to <end>');
    const range = ['--from', new Date(end - span - 1000).toISOString(), '--to', new Date(end + 1000).toISOString()];
    const stateDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-demo-'));
    const env = { ...services.env, EKS_CLOUDWATCH_LOG_GROUP: scenario.logGroupName, ELASTIC_INDEX_SUFFIX: cluster, EKS_FORWARDER_STATE_DIR: stateDir };
    const code = await forward(['backfill', ...range], env);
    if (code !== 0) {
      say(`backfill exited with status ${code}`);
      return 1;
    }
    const landed = await report(services.env.ELASTIC_URL, scenario);
    const file = path.join(stateDir, `changes-${cluster}.html`);
    say(`\n== the auditors' report: eks-log-forwarder changes --from <start> --to <end> --html ${file} --verify`);
    const reported = await forward(['changes', ...range, '--html', file, '--verify'], env);
    say(reported === 0 ? `Report (range verified complete): ${file}` : `changes exited with status ${reported}`);
    return landed === 0 && reported === 0 ? 0 : 1;
  } finally {
    say('== stopping the services');
    await services.stop();
  }
}

function forward(args: string[], env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/cli/bin.ts'), ...args], {
      cwd: repoRoot,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: 'inherit',
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

async function report(elasticUrl: string, scenario: ReturnType<typeof generateScenario>): Promise<number> {
  const es = new Client({ node: elasticUrl });
  try {
    const index = `tigera_secure_ee_audit_kube.${cluster}.*`;
    await es.indices.refresh({ index });
    const res = await es.search({
      index,
      size: 0,
      aggs: {
        resource: {
          terms: { field: 'objectRef.resource', size: 50 },
          aggs: { verb: { terms: { field: 'verb', size: 10 } } },
        },
      },
    });
    type Bucket = { key: string; doc_count: number; verb: { buckets: { key: string; doc_count: number }[] } };
    const buckets = (res.aggregations?.resource as { buckets: Bucket[] }).buckets;
    say(`\nWhat landed in ${index}, by resource and verb:`);
    say(`  ${'resource'.padEnd(18)}${['create', 'update', 'patch', 'delete'].map((v) => v.padStart(8)).join('')}${'total'.padStart(8)}`);
    for (const b of buckets) {
      const byVerb = new Map(b.verb.buckets.map((v) => [v.key, v.doc_count]));
      say(`  ${b.key.padEnd(18)}${['create', 'update', 'patch', 'delete'].map((v) => String(byVerb.get(v) ?? 0).padStart(8)).join('')}${String(b.doc_count).padStart(8)}`);
    }

    const { expected, invalidMessages } = expectedDocuments(scenario);
    const found = new Set<string>();
    let hits = 0;
    for await (const page of es.helpers.scrollSearch({ index, size: 5000, _source: false, query: { match_all: {} } })) {
      for (const h of page.body.hits.hits) {
        found.add(h._id!);
        hits += 1;
      }
    }
    const missing = [...expected].filter((id) => !found.has(id));
    const extra = [...found].filter((id) => !expected.has(id));
    const dead = await es.count({ index: `eks-log-forwarder-deadletter.${cluster}`, ignore_unavailable: true });
    say(`\nExpected by the default policy: ${expected.size} documents; indexed: ${hits}; missing: ${missing.length}; unexpected: ${extra.length}; duplicates: ${hits - found.size}`);
    say(`Dead-lettered (truncated/invalid events kept whole): ${dead.count} of ${invalidMessages.length} invalid events`);
    const ok = missing.length === 0 && extra.length === 0 && hits === found.size && dead.count === invalidMessages.length;
    say(ok ? 'RESULT: exact match, nothing lost, nothing duplicated' : 'RESULT: MISMATCH');
    return ok ? 0 : 1;
  } finally {
    await es.close();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`demo failed: ${(err as Error).stack ?? err}\n`);
    process.exitCode = 1;
  },
);
