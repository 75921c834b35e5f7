import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Client } from '@elastic/elasticsearch';
import { generateScenario } from '../localstack/scenario.js';
import { parseAuditEvent } from '../src/transform/audit-event.js';
import { auditIndexPrefix } from '../src/sink/elasticsearch/index-names.js';
import { applyPolicy, compilePolicy, DEFAULT_POLICY } from '../src/transform/policy.js';
import { dedupKey } from '../src/transform/dedup-key.js';
import { startCountingProxy, type CallStats } from './cloudwatch-proxy.js';
import { benchEnv, spawnForwarder } from './measure-forwarder.js';
import { plainClient } from './measure-read.js';
import { sampleProcess } from './samplers.js';

export interface LatencyResult {
  ratePerSecond: number;
  seconds: number;
  requestsPerSecond: number;
  /** Audit events put, and how many of them the policy keeps (the ones timed). */
  put: number;
  tracked: number;
  found: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  calls: CallStats;
  callsPerSecond: number;
  /** CloudWatch calls/s over the first and the last 10 s of feeding: the re-read overlap's cost grows as it fills. */
  callsPerSecondFirst10s: number;
  callsPerSecondLast10s: number;
  /** Latency p50 of the events put in the first and in the last 10 s. */
  p50FirstMs: number;
  p50LastMs: number;
  peakRssMb: number;
  cpuSeconds: number;
}

export interface LatencyOptions {
  cloudwatch: string;
  elastic: string;
  cluster: string;
  seed: number;
  rate: number;
  seconds: number;
  requestsPerSecond: number;
  mutationShare: number;
  payloadBytes: number;
}

/**
 * Event-to-searchable latency of `run` with a 1 s fetch interval: realistic events, stamped
 * "now", are put into a fresh (small) group at a steady rate while the forwarder runs; each
 * event the policy keeps is timed from the moment PutLogEvents acknowledged it to the moment a
 * search by its id finds it (searchable: after a refresh, not a realtime GET).
 */
export async function measureLatency(o: LatencyOptions): Promise<LatencyResult> {
  const cw = plainClient(o.cloudwatch);
  const es = new Client({ node: o.elastic });
  const proxy = await startCountingProxy(o.cloudwatch);
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-bench-'));
  const probeFile = path.join(probeDir, 'usage.json');
  const startMs = Date.now() + 5_000; // the forwarder's start-up happens before the first event
  const scenario = generateScenario({
    cluster: o.cluster,
    seed: o.seed,
    events: o.rate * o.seconds,
    startMs,
    spanMs: o.seconds * 1_000,
    auditStreams: 2,
    otherStreams: true,
    mutationShare: o.mutationShare,
    payloadBytes: o.payloadBytes,
  });
  const group = scenario.logGroupName;
  await cw.send(new CreateLogGroupCommand({ logGroupName: group }));
  for (const s of scenario.streams) await cw.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s.name }));

  // The id each kept event will have (its dedup key), by stream and position.
  const policy = compilePolicy(DEFAULT_POLICY);
  const ids = scenario.streams.map((s) =>
    s.events.map((e) => {
      if (!s.audit) return undefined;
      const parsed = parseAuditEvent(e.message);
      const kept = parsed.ok ? applyPolicy(policy, parsed.event) : null;
      return kept ? dedupKey(kept) : undefined;
    }),
  );

  const suffix = `${o.cluster}-lat`;
  const env = benchEnv({ cloudwatch: o.cloudwatch, elastic: o.elastic, group, auditEvents: 0, expectedDocs: 0, bytes: 0 }, proxy.url, suffix, o.requestsPerSecond, {
    EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1',
    EKS_FORWARDER_START_FROM: new Date(startMs - 60_000).toISOString(),
    EKS_BENCH_PROBE_OUT: probeFile,
  });
  const child = spawnForwarder(['run'], env, 'warn', 'compiled');
  const proc = sampleProcess(child.pid!);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const putAt = new Map<string, number>(); // id -> when CloudWatch acknowledged it, still unseen
  const latencies: number[] = [];
  const timed: { at: number; ms: number }[] = [];
  let put = 0;
  let tracked = 0;
  let feeding = true;

  // Feeder: every 200 ms, each stream's events that are due, in one PutLogEvents per stream.
  const feeder = (async () => {
    const next = scenario.streams.map(() => 0);
    while (next.some((n, i) => n < scenario.streams[i]!.events.length)) {
      const now = Date.now();
      await Promise.all(
        scenario.streams.map(async (s, i) => {
          const from = next[i]!;
          let to = from;
          while (to < s.events.length && s.events[to]!.timestamp <= now) to++;
          if (to === from) return;
          next[i] = to;
          await cw.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: s.name, logEvents: s.events.slice(from, to) }));
          const acked = Date.now();
          for (let k = from; k < to; k++) {
            if (!s.audit) continue;
            put += 1;
            const id = ids[i]![k];
            if (id) {
              putAt.set(id, acked);
              tracked += 1;
            }
          }
        }),
      );
      await sleep(Math.max(0, 200 - (Date.now() - now)));
    }
    feeding = false;
  })();

  const feedEnd = await timeUntilSearchable({ es, pattern: `${auditIndexPrefix(suffix)}*`, putAt, feeding: () => feeding }, (at, ms) => {
    latencies.push(ms);
    timed.push({ at, ms });
  });
  await feeder;
  child.kill('SIGTERM');
  const code = await exited;
  if (code !== 0) process.stderr.write(`[bench] latency run: exit ${code}\n${stderr.split('\n').slice(-15).join('\n')}\n`);
  const sample = proc.stop();
  const feedSeconds = (feedEnd - startMs) / 1000;
  const calls = proxy.stats(o.requestsPerSecond);
  await proxy.close();
  cw.destroy();
  await es.close();
  let usage: { maxRssKb: number; userUs: number; systemUs: number } | undefined;
  try {
    usage = JSON.parse(readFileSync(probeFile, 'utf8'));
  } catch {
    usage = undefined;
  }
  rmSync(probeDir, { recursive: true, force: true });

  const sorted = [...latencies].sort((a, b) => a - b);
  const rateIn = (from: number, to: number) => proxy.records.filter((r) => r.at >= from && r.at < to).length / ((to - from) / 1000);
  const p50In = (from: number, to: number) =>
    percentile(
      timed.filter((x) => x.at >= from && x.at < to).map((x) => x.ms).sort((a, b) => a - b),
      0.5,
    );
  return {
    callsPerSecondFirst10s: rateIn(startMs, startMs + 10_000),
    callsPerSecondLast10s: rateIn(feedEnd - 10_000, feedEnd),
    p50FirstMs: p50In(startMs, startMs + 10_000),
    p50LastMs: p50In(feedEnd - 10_000, feedEnd),
    ratePerSecond: o.rate,
    seconds: o.seconds,
    requestsPerSecond: o.requestsPerSecond,
    put,
    tracked,
    found: sorted.length,
    missing: putAt.size,
    p50Ms: percentile(sorted, 0.5),
    p99Ms: percentile(sorted, 0.99),
    maxMs: sorted[sorted.length - 1] ?? Number.NaN,
    meanMs: sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : Number.NaN,
    calls,
    callsPerSecond: calls.calls / Math.max(1, feedSeconds),
    peakRssMb: usage ? usage.maxRssKb / 1024 : sample.hwmMb,
    cpuSeconds: usage ? (usage.userUs + usage.systemUs) / 1e6 : sample.cpuSeconds,
  };
}

/** Nearest-rank percentile of sorted values. */
/**
 * Polls Elasticsearch, a search by id four times a second, for every id in `putAt` (id -> when
 * it was put) not found yet, calling `found` with its put time and latency and removing it;
 * until all are found, or a minute after feeding stopped. Returns when feeding stopped (epoch ms).
 */
export async function timeUntilSearchable(o: { es: Client; pattern: string; putAt: Map<string, number>; feeding: () => boolean }, found: (at: number, ms: number) => void): Promise<number> {
  let feedEnd = 0;
  for (;;) {
    if (!o.feeding() && feedEnd === 0) feedEnd = Date.now();
    if (feedEnd && (o.putAt.size === 0 || Date.now() - feedEnd > 60_000)) return feedEnd;
    const pending = [...o.putAt.keys()];
    for (let i = 0; i < pending.length; i += 1000) {
      const chunk = pending.slice(i, i + 1000);
      try {
        const res = await o.es.search({ index: o.pattern, ignore_unavailable: true, allow_no_indices: true, size: chunk.length, _source: false, query: { ids: { values: chunk } } });
        const now = Date.now();
        for (const h of res.hits.hits) {
          const at = o.putAt.get(h._id!);
          if (at === undefined) continue;
          found(at, now - at);
          o.putAt.delete(h._id!);
        }
      } catch {
        // the index does not exist yet, or ES is busy: next round
      }
    }
    await sleep(250);
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}
