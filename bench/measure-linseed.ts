import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { Client } from '@elastic/elasticsearch';
import { BULK_PATH, NDJSON } from '../scripts/services/linseed/index.js';
import type { SourceEvent } from '../src/event.js';
import { linseedLine } from '../src/sink/linseed/linseed-sink.js';
import { compilePolicy, DEFAULT_POLICY } from '../src/transform/policy.js';
import { transformBatch } from '../src/transform/transform-batch.js';
import { docCount } from '../test/support/elastic.js';
import { startLinseedWorld } from '../test/support/linseed.js';
import { measureForwarder, type ForwarderRun, type ForwarderTarget } from './measure-forwarder.js';
import { startSyntheticCloudWatch } from './synthetic-cloudwatch.js';

export interface LinseedCeiling {
  /** Bulk POSTs, each the documents of `eventsPerRequest` source events (as the CLI's pages were). */
  requests: number;
  eventsPerRequest: number;
  concurrency: number;
  documents: number;
  seconds: number;
  bytes: number;
  /** Source audit events per second (the documents of N events in T s count N/T), like every row. */
  eventsPerSecond: number;
  docsPerSecond: number;
  succeeded: number;
  failed: number;
  stored: number;
}

export interface LinseedResult {
  auditEvents: number;
  expectedDocs: number;
  ceiling: LinseedCeiling;
  /** At the default page size: CloudWatch's request budget (5 req/s) is the limit. */
  run: ForwarderRun;
  /** Audit events/s the 5 req/s budget allows at `run`'s page size (5 × events per call). */
  budgetBound: number;
  /** run events/s ÷ budgetBound. */
  budgetRatio: number;
  /** With 10,000-event pages (EKS_FORWARDER_PAGE_LIMIT), so the sink, not the budget, is the limit. */
  sinkBound?: ForwarderRun;
  /** The raw ceiling again, in batches of sinkBound's page size. */
  sinkBoundCeiling?: LinseedCeiling;
  /** sinkBound events/s ÷ sinkBoundCeiling events/s. */
  ratio: number;
  /** Most documents whose request times lie within the sink's 30-minute retention of each other: the delivered set's largest size in this run. */
  deliveredSetMaxKeys: number;
}

const RETAIN_MS = 30 * 60_000; // linseed-sink.ts RETAIN_MS
/** The largest page FilterLogEvents serves: with it the request budget no longer limits a backfill. */
const SINK_BOUND_PAGE = 10_000;
/** Bulk requests in flight for the ceiling: the forwarder's Elasticsearch flush concurrency (the write ceiling's). */
const CONCURRENCY = 2;

/**
 * The Linseed sink end to end against the emulator's own bulk ceiling, in one run, over the same
 * events: (b) the compiled CLI's `backfill` with EKS_FORWARDER_SINK=linseed reading them from the
 * synthetic source (LocalStack's read ceiling would be the limit, not Linseed), then (a) the same
 * documents, shaped by the project's transform and linseedLine, POSTed straight to the emulator's
 * bulk endpoint with the client certificate and token, in batches of the CLI's own page size.
 */
export async function measureLinseed(o: { elastic: string; cluster: string; seed: number; repeats: number; streams: number; mutationShare: number; payloadBytes: number; nodeArgs: string[] }): Promise<LinseedResult> {
  // startLinseedWorld's emulator writes to the Elasticsearch the tests name in the environment.
  process.env.ELASTIC_URL = o.elastic;
  const world = await startLinseedWorld();
  const source = await startSyntheticCloudWatch({ cluster: o.cluster, seed: o.seed, baseEvents: 10_000, repeats: o.repeats, streams: o.streams, mutationShare: o.mutationShare, payloadBytes: o.payloadBytes });
  const es = new Client({ node: o.elastic });
  try {
    const target: ForwarderTarget = { cloudwatch: source.url, elastic: o.elastic, group: source.logGroupName, auditEvents: source.auditEvents, expectedDocs: source.expectedDocs, bytes: source.bytes };
    const backfill = (label: string, indexSuffix: string, extraEnv: Record<string, string> = {}) =>
      measureForwarder(target, {
        label,
        launcher: 'compiled',
        command: 'backfill',
        requestsPerSecond: 5,
        indexSuffix,
        window: source.window,
        timeoutMs: Math.max(300_000, source.auditEvents * 10),
        nodeArgs: o.nodeArgs,
        // The Linseed sink is chosen by name; '' unsets the Elasticsearch settings benchEnv adds.
        extraEnv: { ...world.env, LINSEED_CLUSTER_ID: indexSuffix, ELASTIC_URL: '', ELASTIC_INDEX_SUFFIX: '', ...extraEnv },
        docPattern: world.linseed.readPattern(indexSuffix),
      });
    const run = await backfill(`backfill of ${source.auditEvents} events through Linseed (emulator), synthetic source, 5 req/s, default pages`, o.cluster);
    const sinkBound = await backfill(`the same with ${SINK_BOUND_PAGE}-event pages (EKS_FORWARDER_PAGE_LIMIT): the sink the limit`, `${o.cluster}-pages`, { EKS_FORWARDER_PAGE_LIMIT: String(SINK_BOUND_PAGE) });

    // The same events, shaped once, outside the timing, POSTed in batches of each run's page size.
    const ctx = { policy: compilePolicy(DEFAULT_POLICY) };
    const times: number[] = [];
    const shaped: string[][] = [];
    for (let i = 0; i < source.auditEvents; i++) {
      const e = source.event(i);
      const event: SourceEvent = { group: source.logGroupName, stream: e.stream, eventId: String(i), timestamp: e.timestamp, ingestionTime: e.timestamp, message: e.message };
      const lines = transformBatch([event], ctx).records.filter((r) => r.kind === 'audit').map((r) => linseedLine(r));
      for (const l of lines) {
        const d = JSON.parse(l) as { requestReceivedTimestamp?: string; stageTimestamp?: string };
        times.push(Date.parse(d.requestReceivedTimestamp ?? d.stageTimestamp ?? ''));
      }
      shaped.push(lines);
    }
    const ceilingAt = async (r: ForwarderRun, cluster: string): Promise<LinseedCeiling> => {
      const eventsPerRequest = Math.max(1, Math.round(source.auditEvents / Math.max(1, r.calls.filterCalls)));
      const batches: string[] = [];
      let documents = 0;
      for (let i = 0; i < shaped.length; i += eventsPerRequest) {
        const lines = shaped.slice(i, i + eventsPerRequest).flat();
        documents += lines.length;
        if (lines.length) batches.push(`${lines.join('\n')}\n`);
      }
      const posted = await postAll(world, cluster, batches);
      const stored = await docCount(es, world.linseed.readPattern(cluster));
      return { ...posted, requests: batches.length, eventsPerRequest, concurrency: CONCURRENCY, documents, eventsPerSecond: source.auditEvents / posted.seconds, docsPerSecond: documents / posted.seconds, stored };
    };
    const c = await ceilingAt(run, `${o.cluster}-raw`);
    const sinkBoundCeiling = await ceilingAt(sinkBound, `${o.cluster}-raw-pages`);
    const budgetBound = (5 * source.auditEvents) / Math.max(1, run.calls.filterCalls);
    return {
      auditEvents: source.auditEvents,
      expectedDocs: source.expectedDocs,
      ceiling: c,
      run,
      budgetBound,
      budgetRatio: run.eventsPerSecond / budgetBound,
      sinkBound,
      sinkBoundCeiling,
      ratio: sinkBound.eventsPerSecond / sinkBoundCeiling.eventsPerSecond,
      deliveredSetMaxKeys: maxWithin(times, RETAIN_MS),
    };
  } finally {
    await es.close();
    await source.close();
    await world.close();
  }
}

/** POSTs every batch, CONCURRENCY at a time, as the sink's client does (mutual TLS, bearer token, x-cluster-id). */
export async function postAll(world: Awaited<ReturnType<typeof startLinseedWorld>>, cluster: string, batches: string[]): Promise<{ seconds: number; bytes: number; succeeded: number; failed: number }> {
  const file = (name: string) => readFileSync(world.env[name]!);
  const agent = new Agent({ keepAlive: true, ca: file('LINSEED_CA_PATH'), cert: file('TLS_CRT_PATH'), key: file('TLS_KEY_PATH') });
  const headers = { 'content-type': NDJSON, authorization: `Bearer ${readFileSync(world.tokenFile, 'utf8').trim()}`, 'x-cluster-id': cluster };
  const url = new URL(BULK_PATH, world.linseed.url);
  const out = { seconds: 0, bytes: 0, succeeded: 0, failed: 0 };
  const post = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = request(url, { method: 'POST', agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200) return reject(new Error(`Linseed emulator answered ${res.statusCode}: ${text.slice(0, 300)}`));
          const a = JSON.parse(text) as { succeeded: number; failed: number };
          out.succeeded += a.succeeded;
          out.failed += a.failed;
          resolve();
        });
      });
      req.on('error', reject);
      out.bytes += Buffer.byteLength(body);
      req.end(body);
    });
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < batches.length) await post(batches[next++]!);
    }),
  );
  out.seconds = (performance.now() - t0) / 1000;
  agent.destroy();
  return out;
}

/** The most of `times` within any span of `spanMs` (sliding window over the sorted times). */
function maxWithin(times: number[], spanMs: number): number {
  const t = times.filter(Number.isFinite).sort((a, b) => a - b);
  let best = 0;
  for (let lo = 0, hi = 0; hi < t.length; hi++) {
    while (t[hi]! - t[lo]! > spanMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}
