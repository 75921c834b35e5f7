import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateLogGroupCommand, CreateLogStreamCommand, PutLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Client } from '@elastic/elasticsearch';
import { expectedDocuments } from '../localstack/expected.js';
import { AUDIT_STREAM_PREFIX, generateScenario, type ScenarioEvent, type ScenarioStream } from '../localstack/scenario.js';
import { freePort } from '../scripts/services/cache.js';
import { auditIndexPrefix } from '../src/sink/elasticsearch/index-names.js';
import { startCountingProxy, type CallRecord, type CallStats, type CountingProxy } from './cloudwatch-proxy.js';
import { benchEnv, spawnForwarder } from './measure-forwarder.js';
import { plainClient } from './measure-read.js';
import { startCloudWatchEmulator } from '../test/support/cloudwatch-emulator.js';
import { startReceiver } from './otel-awscloudwatch/receiver.js';
import { sampleProcess } from './samplers.js';

/** How an event reaches CloudWatch in the live feed. */
export type Arrival = 'on time' | 'late batch' | 'stalled stream' | 'old-only batch';

export interface LiveFeed {
  minutes: number;
  ratePerSecond: number;
  streams: number;
  /** Audit events put, their message MB, and how many arrived by each late pattern. */
  ingested: number;
  ingestedMb: number;
  byArrival: Record<Arrival, number>;
  /** Largest PutLogEvents-acknowledged minus timestamp (s). */
  maxLatenessSeconds: number;
  expectedDocs: number;
  lateExpectedDocs: number;
}

export interface DocCheck {
  expected: number;
  /** Distinct expected ids found, hits beyond one per id, expected ids absent, ids not expected. */
  found: number;
  duplicates: number;
  missing: number;
  unexpected: number;
  lateExpected: number;
  lateFound: number;
}

export interface LiveReader {
  label: string;
  intervalSeconds: number;
  exitCode: number | null;
  /** From its first FilterLogEvents call to its stop. */
  seconds: number;
  calls: CallStats;
  callsPerInterval: number;
  callsPerIntervalFed: number;
  callsPerIntervalAfterFeed: number;
  /** Events read ÷ events ingested, and message bytes read ÷ bytes ingested. */
  readRatio: number;
  bytesRatio: number;
  peakRssMb: number;
  cpuSeconds: number;
}

export interface LiveForwarder extends LiveReader {
  indexSuffix: string;
  /** The request budget it ran under (its default). */
  requestsPerSecond: number;
  /** The ceiling's sweep re-read the whole feed before the stop (every range read by all passes). */
  caughtUp: boolean;
  /** From the forwarder's /metrics, scraped just before SIGTERM. */
  sweepPages?: number;
  sweepBytes?: number;
  overlapSeconds?: number;
  lateCaught?: number;
  beyondCeiling?: number;
  docs: DocCheck;
}

export interface LiveReceiver extends LiveReader {
  /** Log records exported, distinct ingested events among them, records beyond one per event. */
  records: number;
  delivered: number;
  duplicates: number;
  missing: number;
  lateIngested: number;
  lateDelivered: number;
}

export interface LiveResult {
  feed: LiveFeed;
  forwarders: LiveForwarder[];
  receiver?: LiveReceiver;
  /** Why the receiver did not run (no Go, `--skip otel`, its build failed). */
  receiverSkipped?: string;
}

export interface LiveOptions {
  elastic: string;
  cluster: string;
  seed: number;
  rate: number;
  minutes: number;
  mutationShare: number;
  payloadBytes: number;
  /** The collector binary, or why there is none. */
  receiver: { binary: string } | { skipped: string };
}

/** The README's defaults: the default run leaves these unset, so the forwarder takes its own. */
const DEFAULT_INTERVAL_S = 60;
const DEFAULT_BUDGET = 2;
const FAST_INTERVAL_S = 5;
/** Streams that flow; one more delivers a single old-only batch. */
const STREAMS = 4;
const LATE_SHARE = 0.1;
const LATE_MIN_MS = 30_000;
const LATE_MAX_MS = 300_000;
/** Stand-in for the overlap when /metrics cannot be read: the README's default ceiling plus 2 s. */
const FALLBACK_OVERLAP_MS = 15 * 60_000 + 2_000;

/**
 * `run` in a live mode: audit events keep arriving in a fresh log group at a steady rate for
 * `minutes`, some late (10 % of 1-second batches 30 s - 5 min late, one stream stalled then
 * flushed, one stream's only batch delivered minutes old). The group is served by the tests'
 * CloudWatch emulator, not LocalStack: it stamps `ingestionTime` at the put and serves an event
 * from then on, as CloudWatch does once it is searchable, and, unlike LocalStack, applies filter
 * patterns, honours the stream prefix and caps a page at 1 MB, so the calls and bytes are
 * CloudWatch's. Three forwarders read it at once, each through its own counting proxy into its
 * own indices: one at the default settings (60 s), one at a 5 s interval, and one at the
 * defaults with the prefilter off (how every release before the sweeps' prefilter read); the
 * OpenTelemetry receiver reads it at 5 s too. Every forwarder runs until its ceiling sweep has
 * re-read the whole feed, so every range is read by every pass and late arrivals have had their
 * chance: about 30 minutes after the feed at the defaults (22 with the prefilter off).
 */
export async function measureLive(options: LiveOptions): Promise<LiveResult> {
  const emulator = await startCloudWatchEmulator();
  const o = { ...options, cloudwatch: emulator.url };
  const cw = plainClient(o.cloudwatch);
  const es = new Client({ node: o.elastic });
  const spanMs = o.minutes * 60_000;
  const feedStart = Date.now() + 15_000; // the readers start before the first event
  const feedEnd = feedStart + spanMs;
  const scenario = generateScenario({
    cluster: o.cluster,
    seed: o.seed,
    events: Math.round((o.rate * spanMs * (STREAMS + 1)) / STREAMS / 1000),
    startMs: feedStart,
    spanMs,
    auditStreams: STREAMS + 1,
    otherStreams: false,
    mutationShare: o.mutationShare,
    payloadBytes: o.payloadBytes,
  });
  const group = scenario.logGroupName;
  const plan = planArrivals(scenario.streams, feedStart, feedEnd, mulberry32(o.seed));
  await cw.send(new CreateLogGroupCommand({ logGroupName: group }));
  for (const s of scenario.streams) await cw.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: s.name }));

  const put = (kinds: Arrival[]) => ({
    logGroupName: group,
    streams: scenario.streams.map((s) => ({ name: s.name, audit: true, events: plan.filter((p) => p.stream === s.name && kinds.includes(p.kind)).map((p) => p.event) })),
  });
  const late: Arrival[] = ['late batch', 'stalled stream', 'old-only batch'];
  const expected = expectedDocuments(put(['on time', ...late])).expected;
  const lateExpected = expectedDocuments(put(late)).expected;
  const lateMessages = new Set(plan.filter((p) => p.kind !== 'on time').map((p) => p.event.message));

  const startFrom = new Date(feedStart - 60_000);
  const forwarders: Awaited<ReturnType<typeof startForwarder>>[] = [];
  const receiverProxy = 'binary' in o.receiver ? await startCountingProxy(o.cloudwatch) : undefined;
  try {
    forwarders.push(await startForwarder(o, group, 'run, default settings (60 s interval)', undefined, `${o.cluster}-d60`, startFrom));
    forwarders.push(await startForwarder(o, group, `run, ${FAST_INTERVAL_S} s interval`, FAST_INTERVAL_S, `${o.cluster}-i5`, startFrom));
    forwarders.push(await startForwarder(o, group, 'run, defaults, prefilter off (as before the sweeps were prefiltered)', undefined, `${o.cluster}-off`, startFrom, { EKS_FORWARDER_PREFILTER: 'off' }));
    const receiver =
      'binary' in o.receiver && receiverProxy
        ? startReceiver({ binary: o.receiver.binary, cloudwatch: receiverProxy.url, group, streamPrefix: AUDIT_STREAM_PREFIX, pollSeconds: FAST_INTERVAL_S, startFrom })
        : undefined;
    const receiverProc = receiver && sampleProcess(receiver.pid);

    let lateness = 0;
    let ingestedBytes = 0;
    let received: Awaited<ReturnType<NonNullable<typeof receiver>['stop']>> | undefined;
    try {
      await feed(cw, group, plan, (p, ackAt) => {
        lateness = Math.max(lateness, ackAt - p.event.timestamp);
        ingestedBytes += p.event.message.length;
      });
      const newest = Math.max(...plan.map((p) => p.event.timestamp));
      // Each stops once caught up, so its calls per interval are not diluted by waiting for the other.
      await Promise.all(forwarders.map((f) => f.waitCaughtUp(newest, expected.size).then(() => f.stop())));
    } finally {
      for (const f of forwarders) await f.stop();
      received = await receiver?.stop();
    }
    const receiverUsage = receiverProc?.stop();
    const stopAt = Date.now();

    const result: LiveResult = {
      feed: {
        minutes: o.minutes,
        ratePerSecond: o.rate,
        streams: STREAMS + 1,
        ingested: plan.length,
        ingestedMb: ingestedBytes / 1e6,
        byArrival: Object.fromEntries((['on time', ...late] as Arrival[]).map((k) => [k, plan.filter((p) => p.kind === k).length])) as Record<Arrival, number>,
        maxLatenessSeconds: lateness / 1000,
        expectedDocs: expected.size,
        lateExpectedDocs: lateExpected.size,
      },
      forwarders: [],
    };
    const reader = (label: string, interval: number, proxy: CountingProxy, budget: number | undefined, exitCode: number | null, usage: { peakRssMb: number; cpuSeconds: number }, end: number): LiveReader => {
      const first = proxy.records.find((r) => r.action === 'FilterLogEvents')?.at ?? feedStart;
      const calls = proxy.stats(budget);
      const perInterval = (from: number, to: number) => proxy.records.filter((r) => r.at >= from && r.at < to).length / Math.max(1e-9, (to - from) / 1000 / interval);
      return {
        label,
        intervalSeconds: interval,
        exitCode,
        seconds: (end - first) / 1000,
        calls,
        callsPerInterval: perInterval(first, end),
        callsPerIntervalFed: perInterval(feedStart, feedEnd),
        callsPerIntervalAfterFeed: perInterval(feedEnd, end),
        readRatio: calls.events / plan.length,
        bytesRatio: calls.bytes / Math.max(1, ingestedBytes),
        ...usage,
      };
    };
    for (const f of forwarders) {
      const m = f.metrics;
      result.forwarders.push({
        ...reader(f.label, f.interval, f.proxy, DEFAULT_BUDGET, f.exitCode, f.usage(), f.stoppedAt),
        indexSuffix: f.suffix,
        requestsPerSecond: DEFAULT_BUDGET,
        caughtUp: f.caughtUp,
        sweepPages: m.eks_log_forwarder_sweep_pages_total,
        sweepBytes: m.eks_log_forwarder_sweep_bytes_total,
        overlapSeconds: m.eks_log_forwarder_overlap_seconds,
        lateCaught: m.eks_log_forwarder_events_late_caught_total,
        beyondCeiling: m.eks_log_forwarder_events_late_beyond_ceiling_total,
        docs: await checkDocuments(es, f.suffix, expected, lateExpected),
      });
    }
    if (receiverProxy && received) {
      const ingested = new Set(plan.map((p) => p.event.message));
      const seen = new Set(received.messages.filter((m) => ingested.has(m)));
      if (received.exitCode !== 0) process.stderr.write(`[bench] receiver: exit ${received.exitCode}\n${received.stderrTail}\n`);
      const usage = { peakRssMb: receiverUsage?.hwmMb ?? Number.NaN, cpuSeconds: receiverUsage?.cpuSeconds ?? Number.NaN };
      result.receiver = {
        ...reader(`OpenTelemetry awscloudwatch receiver, ${FAST_INTERVAL_S} s interval`, FAST_INTERVAL_S, receiverProxy, undefined, received.exitCode, usage, stopAt),
        records: received.messages.length,
        delivered: seen.size,
        duplicates: received.messages.length - new Set(received.messages).size,
        missing: ingested.size - seen.size,
        lateIngested: lateMessages.size,
        lateDelivered: [...lateMessages].filter((m) => seen.has(m)).length,
      };
    } else if ('skipped' in o.receiver) {
      result.receiverSkipped = o.receiver.skipped;
    }
    return result;
  } finally {
    cw.destroy();
    await es.close();
    for (const f of forwarders) await f.proxy.close();
    await receiverProxy?.close();
    await emulator.close();
  }
}

interface Planned {
  stream: string;
  event: ScenarioEvent;
  /** When it is put (epoch ms): its timestamp for an event on time. */
  at: number;
  kind: Arrival;
}

/**
 * When each event is put. Streams, in order: the first stalls (from 20 % of the feed for up to
 * 4 minutes, then flushes), the middle ones flow, the last delivers only one batch, its events of
 * the feed's 10th-40th second, just before the feed ends (an API server replaced, flushing its
 * buffer); its other events are never put. In every flowing stream 10 % of the 1-second batches
 * come 30 s - 5 min late. Every lateness stays far below the 15-minute ceiling.
 */
function planArrivals(streams: ScenarioStream[], feedStart: number, feedEnd: number, random: () => number): Planned[] {
  const span = feedEnd - feedStart;
  const stallFrom = feedStart + 0.2 * span;
  const stallTo = Math.min(stallFrom + 4 * 60_000, feedStart + 0.8 * span);
  const out: Planned[] = [];
  streams.forEach((s, i) => {
    if (i === streams.length - 1) {
      for (const event of s.events) {
        if (event.timestamp >= feedStart + 10_000 && event.timestamp < feedStart + 40_000) out.push({ stream: s.name, event, at: feedEnd - 5_000, kind: 'old-only batch' });
      }
      return;
    }
    const lateBy = new Map<number, number>(); // 1-second batch -> lateness (0: on time)
    for (const event of s.events) {
      const second = Math.floor(event.timestamp / 1000);
      if (!lateBy.has(second)) {
        const late = LATE_MIN_MS + random() * (LATE_MAX_MS - LATE_MIN_MS);
        lateBy.set(second, random() < LATE_SHARE && (second + 1) * 1000 + late < feedEnd ? late : 0);
      }
      const late = lateBy.get(second)!;
      let p: Planned = late ? { stream: s.name, event, at: (second + 1) * 1000 + late, kind: 'late batch' } : { stream: s.name, event, at: event.timestamp, kind: 'on time' };
      if (i === 0 && event.timestamp >= stallFrom && event.timestamp < stallTo && p.at < stallTo) p = { stream: s.name, event, at: stallTo, kind: 'stalled stream' };
      out.push(p);
    }
  });
  return out.sort((a, b) => a.at - b.at);
}

/** Puts what is due once a second, one PutLogEvents per stream (in pieces under its 1 MB cap). */
async function feed(cw: ReturnType<typeof plainClient>, group: string, plan: Planned[], onPut: (p: Planned, ackAt: number) => void): Promise<void> {
  let i = 0;
  while (i < plan.length) {
    const tick = Date.now();
    const due = new Map<string, Planned[]>();
    for (; i < plan.length && plan[i]!.at <= tick; i++) {
      const p = plan[i]!;
      due.set(p.stream, [...(due.get(p.stream) ?? []), p]);
    }
    await Promise.all(
      [...due].map(async ([stream, batch]) => {
        batch.sort((a, b) => a.event.timestamp - b.event.timestamp); // PutLogEvents wants them in order
        for (const piece of pieces(batch, 800_000)) {
          await cw.send(new PutLogEventsCommand({ logGroupName: group, logStreamName: stream, logEvents: piece.map((p) => p.event) }));
          const ackAt = Date.now();
          for (const p of piece) onPut(p, ackAt);
        }
      }),
    );
    if (i < plan.length) await sleep(Math.max(0, tick + 1_000 - Date.now()));
  }
}

function pieces(batch: Planned[], maxBytes: number): Planned[][] {
  const out: Planned[][] = [[]];
  let bytes = 0;
  for (const p of batch) {
    const size = p.event.message.length + 26;
    if (bytes + size > maxBytes && out.at(-1)!.length) {
      out.push([]);
      bytes = 0;
    }
    out.at(-1)!.push(p);
    bytes += size;
  }
  return out;
}

/** One `run` (compiled, as the image) through its own counting proxy, with its ops port open. */
async function startForwarder(o: LiveOptions & { cloudwatch: string }, group: string, label: string, interval: number | undefined, suffix: string, startFrom: Date, extraEnv: Record<string, string> = {}) {
  const proxy = await startCountingProxy(o.cloudwatch);
  const port = await freePort();
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-bench-'));
  const probeFile = path.join(probeDir, 'usage.json');
  const env = benchEnv({ cloudwatch: o.cloudwatch, elastic: o.elastic, group, auditEvents: 0, expectedDocs: 0, bytes: 0 }, proxy.url, suffix, DEFAULT_BUDGET, {
    EKS_FORWARDER_START_FROM: startFrom.toISOString(),
    EKS_FORWARDER_HTTP_PORT: String(port),
    EKS_BENCH_PROBE_OUT: probeFile,
    ...(interval ? { EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: String(interval) } : {}),
    ...extraEnv,
  });
  delete env.EKS_FORWARDER_REQUESTS_PER_SECOND; // the default budget, whatever it is
  const child = spawnForwarder(['run'], env, 'warn', 'compiled');
  const proc = sampleProcess(child.pid!);
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  child.stdout!.resume();
  let exitCode: number | null | undefined;
  const exited = new Promise<void>((resolve) => child.on('exit', (code) => ((exitCode = code), resolve())));
  const es = new Client({ node: o.elastic });
  const pattern = `${auditIndexPrefix(suffix)}*`;

  const h = {
    label,
    interval: interval ?? DEFAULT_INTERVAL_S,
    suffix,
    proxy,
    caughtUp: false,
    metrics: {} as Record<string, number>,
    stoppedAt: 0,
    exitCode: null as number | null,
    /** Until the ceiling's sweep has read past `newest` (its window's last page) and every expected document is searchable. */
    async waitCaughtUp(newest: number, expectedDocs: number): Promise<void> {
      let overlapMs: number | undefined;
      // The ceiling's sweep batches half its age per pass: two passes with the prefilter.
      const everyMs = Math.max(4 * h.interval * 1000, FALLBACK_OVERLAP_MS);
      const deadline = Date.now() + FALLBACK_OVERLAP_MS + 2 * everyMs + 3 * 60_000;
      while (exitCode === undefined && Date.now() < deadline) {
        overlapMs ??= ((await scrape(port)).eks_log_forwarder_overlap_seconds ?? Number.NaN) * 1000 || undefined;
        const age = overlapMs ?? FALLBACK_OVERLAP_MS;
        const swept = proxy.records.some((r: CallRecord) => r.action === 'FilterLogEvents' && r.more === false && r.end !== undefined && r.end >= newest && r.at - r.end >= age - 1_500);
        if (swept && (await count(es, pattern)) >= expectedDocs) {
          h.caughtUp = true;
          return;
        }
        await sleep(2_000);
      }
      process.stderr.write(`[bench] ${label}: ${exitCode !== undefined ? `exited ${exitCode}` : 'not caught up by the deadline'}\n${stderr.split('\n').slice(-15).join('\n')}\n`);
    },
    async stop(): Promise<void> {
      if (h.stoppedAt) return;
      h.metrics = await scrape(port);
      h.stoppedAt = Date.now();
      child.kill('SIGTERM');
      await exited;
      h.exitCode = exitCode ?? null;
      await es.close();
    },
    usage(): { peakRssMb: number; cpuSeconds: number } {
      const sample = proc.stop();
      let probe: { maxRssKb: number; userUs: number; systemUs: number } | undefined;
      try {
        probe = JSON.parse(readFileSync(probeFile, 'utf8'));
      } catch {
        probe = undefined;
      }
      rmSync(probeDir, { recursive: true, force: true });
      return probe ? { peakRssMb: probe.maxRssKb / 1024, cpuSeconds: (probe.userUs + probe.systemUs) / 1e6 } : { peakRssMb: sample.hwmMb, cpuSeconds: sample.cpuSeconds };
    },
  };
  return h;
}

/** The forwarder's Prometheus metrics, name -> value (unlabelled series only); empty when unreachable. */
async function scrape(port: number): Promise<Record<string, number>> {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(5_000) });
    const out: Record<string, number> = {};
    for (const line of (await res.text()).split('\n')) {
      const m = /^(eks_log_forwarder_\w+) (\S+)$/.exec(line);
      if (m) out[m[1]!] = Number(m[2]);
    }
    return out;
  } catch {
    return {};
  }
}

async function count(es: Client, pattern: string): Promise<number> {
  try {
    return (await es.count({ index: pattern, ignore_unavailable: true, allow_no_indices: true })).count;
  } catch {
    return 0;
  }
}

/** Every document id under the suffix's indices, against the expected set: exactly once each? */
async function checkDocuments(es: Client, suffix: string, expected: Set<string>, lateExpected: Set<string>): Promise<DocCheck> {
  const index = `${auditIndexPrefix(suffix)}*`;
  await es.indices.refresh({ index, ignore_unavailable: true, allow_no_indices: true });
  const hits = new Map<string, number>();
  const scroll = es.helpers.scrollSearch({ index, ignore_unavailable: true, allow_no_indices: true, _source: false, size: 5_000, query: { match_all: {} } });
  for await (const page of scroll) for (const h of page.body.hits.hits) hits.set(h._id!, (hits.get(h._id!) ?? 0) + 1);
  const found = [...expected].filter((id) => hits.has(id)).length;
  return {
    expected: expected.size,
    found,
    duplicates: [...hits.values()].reduce((n, c) => n + c - 1, 0),
    missing: expected.size - found,
    unexpected: [...hits.keys()].filter((id) => !expected.has(id)).length,
    lateExpected: lateExpected.size,
    lateFound: [...lateExpected].filter((id) => hits.has(id)).length,
  };
}

/** A small seeded generator, so a plan replays with its seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
