/**
 * `changes` at scale: seeds N change documents straight into Elasticsearch (Calico's template,
 * as the sink writes them) and runs the compiled CLI under the image's heap caps over them:
 * the listing (--json), the change log with diffs (--diff --json) and the HTML report. Reports
 * wall time, peak RSS and output size of each.
 *
 *   npx tsx bench/changes-scale.ts [--events 1000000] [--objects 20000]
 *
 * Uses ELASTIC_URL when set, else starts a private Elasticsearch.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from '@elastic/elasticsearch';
import { start as startElastic } from '../scripts/services/elasticsearch.js';
import { ensureIndexTemplates } from '../src/sink/elasticsearch/index-template.js';
import { auditIndexName } from '../src/sink/elasticsearch/index-names.js';
import { compileCli, imageNodeOptions, REPO_ROOT } from '../test/support/cli.js';

const { values } = parseArgs({ options: { events: { type: 'string', default: '1000000' }, objects: { type: 'string', default: '20000' } } });
const N = Number(values.events);
const OBJECTS = Number(values.objects);
const PROBE = path.join(REPO_ROOT, 'bench', 'probe.mjs');
const START = Date.parse('2026-01-05T00:00:00Z');
const SPAN_MS = 24 * 3_600_000;

function document(i: number): Record<string, unknown> {
  const o = i % OBJECTS;
  const version = Math.floor(i / OBJECTS);
  const at = new Date(START + Math.floor((i / N) * SPAN_MS)).toISOString().replace('Z', '000Z');
  const name = `policy-${o}`;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `bench-${i}`,
    stage: 'ResponseComplete',
    requestURI: `/apis/networking.k8s.io/v1/namespaces/ns-${o % 50}/networkpolicies/${name}`,
    verb: version === 0 ? 'create' : 'patch',
    user: { username: `user-${i % 17}` },
    objectRef: { resource: 'networkpolicies', namespace: `ns-${o % 50}`, name, apiGroup: 'networking.k8s.io', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: version === 0 ? 201 : 200 },
    responseObject: {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name, namespace: `ns-${o % 50}`, uid: `uid-${o}`, resourceVersion: String(1000 + i), generation: version + 1 },
      spec: { podSelector: { matchLabels: { app: `app-${o}` } }, ingress: [{ ports: [{ port: 8000 + (version % 100), protocol: 'TCP' }] }], policyTypes: ['Ingress'] },
    },
    requestReceivedTimestamp: at,
    stageTimestamp: at,
  };
}

async function seed(client: Client, cluster: string): Promise<void> {
  await ensureIndexTemplates(client, { indexSuffix: cluster, deadLetterIndex: `eks-log-forwarder-deadletter.${cluster}` });
  const BATCH = 5_000;
  for (let i = 0; i < N; i += BATCH) {
    const operations: object[] = [];
    for (let j = i; j < Math.min(N, i + BATCH); j++) {
      const d = document(j);
      operations.push({ create: { _index: auditIndexName(d as never, cluster, START), _id: d.auditID as string } }, d);
    }
    const res = await client.bulk({ operations, refresh: false });
    if (res.errors) throw new Error('bulk seeding failed');
  }
  await client.indices.refresh({ index: `tigera_secure_ee_audit_kube.${cluster}.*` });
}

async function run(bin: string, label: string, args: string[], env: Record<string, string>, outFile: string): Promise<Record<string, unknown>> {
  const probe = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-probe-')), 'usage.json');
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--import', PROBE, bin, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', NODE_OPTIONS: imageNodeOptions(), EKS_BENCH_PROBE_OUT: probe, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child.stdout!.pipe(createWriteStream(outFile));
  const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
  const wallSeconds = (performance.now() - t0) / 1000;
  const usage = JSON.parse(readFileSync(probe, 'utf8')) as { maxRssKb: number };
  const file = args.includes('--html') ? args[args.indexOf('--html') + 1]! : outFile;
  return { label, exitCode: code, wallSeconds: Number(wallSeconds.toFixed(1)), peakRssMb: Math.round(usage.maxRssKb / 1024), outputMb: Number((statSync(file).size / 1e6).toFixed(1)) };
}

async function main(): Promise<void> {
  const es = process.env.ELASTIC_URL ? undefined : await startElastic();
  const node = process.env.ELASTIC_URL ?? es!.url;
  const client = new Client({ node });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-changes-bench-'));
  try {
    const cluster = `changes-bench-${Date.now().toString(36)}`;
    const t0 = performance.now();
    await seed(client, cluster);
    process.stderr.write(`seeded ${N} documents of ${OBJECTS} objects in ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
    const bin = compileCli(path.join(REPO_ROOT, '.scratch', 'bench-dist'));
    const env = { ELASTIC_URL: node, ELASTIC_INDEX_SUFFIX: cluster };
    const range = ['--from', new Date(START).toISOString(), '--to', new Date(START + SPAN_MS).toISOString(), '--look-back', '1d'];
    const results = [
      await run(bin, 'changes --json', ['changes', ...range, '--json'], env, path.join(dir, 'list.jsonl')),
      await run(bin, 'changes --diff --json', ['changes', ...range, '--diff', '--json'], env, path.join(dir, 'diff.jsonl')),
      await run(bin, 'changes --html', ['changes', ...range, '--html', path.join(dir, 'report.html')], env, path.join(dir, 'html.out')),
    ];
    process.stdout.write(`${JSON.stringify({ events: N, objects: OBJECTS, heapCaps: imageNodeOptions(), results }, null, 2)}\n`);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
    await es?.stop();
  }
}

await main();
