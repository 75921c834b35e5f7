import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { auditIndexPrefix } from '../src/sink/elasticsearch/index-names.js';
import type { SourceEvent } from '../src/event.js';
import { kubeApi } from '../src/kube/light-client.js';
import { ConfigMapLeaseStore, LEASE_CONFIGMAP } from '../src/source/kinesis/lease-store.js';
import { compilePolicy, DEFAULT_POLICY } from '../src/transform/policy.js';
import { transformBatch } from '../src/transform/transform-batch.js';
import { REPO_ROOT } from '../test/support/cli.js';
import { loadCorpus } from '../test/support/corpus.js';
import { buildCompiled, spawnForwarder, type MemorySample } from './measure-forwarder.js';
import { percentile, timeUntilSearchable } from './measure-latency.js';
import { sampleDocCount, sampleProcess, type Point } from './samplers.js';
import { startSyntheticKinesis, type KinesisServed, type SyntheticKinesis } from './synthetic-kinesis.js';

/**
 * Push mode (`EKS_FORWARDER_SOURCE=kinesis`) measured from outside: N replicas of the compiled
 * CLI (image's NODE_OPTIONS, probe preloaded) share the shards of a `synthetic-kinesis.ts` stream
 * through their lease table in a ConfigMap of a real kube-apiserver, and write into Elasticsearch.
 * The stream holds gzip'd CloudWatch Logs subscription messages (DATA_MESSAGE) made of the real
 * audit-event corpus, each event with a fresh auditID (so each is its own document) and its
 * timestamps moved to when it is put.
 */

const REGION = 'us-west-2';
const NAMESPACE = 'eksfwd-bench';
const AUDIT_STREAMS = ['kube-apiserver-audit-0a1b2c3d', 'kube-apiserver-audit-4e5f6a7b', 'kube-apiserver-audit-8c9d0e1f', 'kube-apiserver-audit-2a3b4c5d'];
const COMPILED_BIN = path.join(REPO_ROOT, '.scratch', 'bench-dist', 'cli', 'bin.js');

export interface PushKube {
  kubeconfig: string;
}

export interface PushCommon {
  elastic: string;
  kube: PushKube;
  /** Names the stream, the log group and (through `indexSuffix`) the indices. */
  name: string;
  /** Registers an index suffix for the run's clean-up and returns it. */
  indexSuffix: (name: string) => string;
  shards: number;
  /** Audit events in one subscription record (CloudWatch batches a stream's events into one gzip'd message). */
  eventsPerRecord: number;
  nodeArgs: string[];
}

/** One replica's own figures: peak RSS and CPU from the probe, CPU over the measured span from /proc. */
export interface PushReplica {
  pod: string;
  exitCode: number | null;
  peakRssMb: number;
  /** user + sys over the process's life (probe at exit). */
  cpuSeconds: number;
  /** user + sys from the release of the backlog until every document was searchable (/proc). */
  cpuSecondsMeasured: number;
  /** Shards it held when the backlog was released. */
  shardsAtRelease: number;
  /** RSS when the backlog was released (started, leases taken, idle polling), from /proc (MB). */
  rssAtReleaseMb: number;
  /** process.memoryUsage() (probe, each second) when RSS was highest: heap used / total, external (MB). */
  atPeak?: MemorySample;
  rssSeries: Point[];
}

export interface PushRun {
  replicas: number;
  /** Seconds from spawning the replicas until they had split the shards (the backlog held back meanwhile). */
  balanceSeconds: number;
  balanced: boolean;
  /** Release of the backlog to every expected document searchable. */
  wallSeconds: number;
  complete: boolean;
  indexedDocs: number;
  eventsPerSecond: number;
  docsPerSecond: number;
  /** Events/s between 10 % and 90 % of the documents searchable (Elasticsearch's count each second): without the first reads' and the last refresh's wait. */
  steadyEventsPerSecond?: number;
  /** The whole machine's CPU over the measured span: busy CPU-seconds, and busy share of all its cores. */
  machineCpuSeconds: number;
  machineBusy: number;
  /** Sum over the replicas of their CPU over the measured span, and events per CPU-second of it. */
  cpuSecondsMeasured: number;
  eventsPerCpuSecond: number;
  peakRssMb: number;
  perReplica: PushReplica[];
  served: KinesisServed;
  docSeries: Point[];
}

export interface PushThroughputResult {
  auditEvents: number;
  expectedDocs: number;
  shards: number;
  records: number;
  eventsPerRecord: number;
  /** gzip'd bytes in the stream, and the events' own bytes. */
  streamMb: number;
  messageMb: number;
  cpus: number;
  runs: PushRun[];
}

/** Corpus events as a live cluster would log them: fresh auditID, timestamps moved to `at`. */
class EventMaker {
  private readonly corpus = loadCorpus().map((c) => c.line);
  /** Whether the default policy keeps corpus line i (it looks at neither auditID nor time). */
  readonly kept: boolean[];
  private next = 0;
  private readonly policy = compilePolicy(DEFAULT_POLICY);

  constructor(group: string) {
    this.kept = this.corpus.map((line) => transformBatch([{ group, stream: AUDIT_STREAMS[0]!, eventId: '0', timestamp: 0, ingestionTime: 0, message: line }], { policy: this.policy }).records.some((r) => r.kind === 'audit'));
  }

  /** The next event (of those the policy keeps, with `keptOnly`); `kept` says whether it becomes a document. */
  make(at: number, keptOnly = false): { message: string; kept: boolean; line: number } {
    let line = this.next++ % this.corpus.length;
    while (keptOnly && !this.kept[line]) line = this.next++ % this.corpus.length;
    const iso = new Date(at).toISOString().slice(0, 23);
    const message = this.corpus[line]!.replace(/"auditID":"[^"]*"/, `"auditID":"${randomUUID()}"`).replace(/"(requestReceivedTimestamp|stageTimestamp)":"[^"]*"/g, (_all, field: string) => `"${field}":"${iso}000Z"`);
    return { message, kept: this.kept[line]!, line };
  }

  /** The documents (ids) these events become, as the forwarder's own transform makes them. */
  keys(group: string, stream: string, events: { message: string; timestamp: number }[]): string[] {
    const source: SourceEvent[] = events.map((e, i) => ({ group, stream, eventId: String(i), timestamp: e.timestamp, ingestionTime: e.timestamp, message: e.message }));
    return transformBatch(source, { policy: this.policy }).records.flatMap((r) => (r.kind === 'audit' ? [r.key] : []));
  }
}

/** A DATA_MESSAGE record as CloudWatch Logs writes it into the stream, gzip'd. */
function subscriptionRecord(group: string, logStream: string, events: { id: string; timestamp: number; message: string }[]): Buffer {
  return gzipSync(Buffer.from(JSON.stringify({ messageType: 'DATA_MESSAGE', owner: '000000000000', logGroup: group, logStream, subscriptionFilters: ['eks-log-forwarder'], logEvents: events })), { level: 6 });
}

/** CloudWatch's event ids: 56 digits. */
const eventId = (n: number) => `3${String(n).padStart(55, '0')}`;

/** Namespace for the lease ConfigMaps (the admin kubeconfig creates them on first write). */
async function ensureNamespace(kube: PushKube): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  const api = kc.makeApiClient(CoreV1Api);
  try {
    await api.createNamespace({ body: { metadata: { name: NAMESPACE } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 409) throw err;
  }
}

interface Replica {
  pod: string;
  child: ChildProcess;
  exited: Promise<number | null>;
  probeFile: string;
  dirs: string[];
  proc: ReturnType<typeof sampleProcess>;
  stderr: () => string;
}

function startReplica(pod: string, stream: SyntheticKinesis, c: PushCommon, cluster: string, group: string, extra: Record<string, string> = {}): Replica {
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-bench-'));
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-state-'));
  const probeFile = path.join(probeDir, 'usage.json');
  const child = spawnForwarder(
    ['run'],
    {
      EKS_FORWARDER_SOURCE: 'kinesis',
      EKS_FORWARDER_KINESIS_STREAM: stream.streamName,
      // The group is `/aws/eks/<name>/cluster`; mapped to this run's own cluster (indices).
      EKS_FORWARDER_KINESIS_CLUSTERS: `${group}=${cluster}`,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: stream.url,
      AWS_EC2_METADATA_DISABLED: 'true',
      KUBECONFIG: c.kube.kubeconfig,
      EKS_FORWARDER_NAMESPACE: NAMESPACE,
      POD_NAME: pod,
      ELASTIC_URL: c.elastic,
      ELASTIC_INDEX_SUFFIX: cluster,
      EKS_FORWARDER_STATE_DIR: stateDir,
      EKS_BENCH_PROBE_OUT: probeFile,
      ...extra,
    },
    'warn',
    'compiled',
    c.nodeArgs,
  );
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (d) => (stderr = (stderr + d).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { pod, child, exited, probeFile, dirs: [probeDir, stateDir], proc: sampleProcess(child.pid!), stderr: () => stderr };
}

/** user + sys of a live process so far (s), from /proc. */
function cpuNow(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/** Events/s between the counts first reaching 10 % and 90 % of the expected documents. */
function steadyRate(series: Point[], expectedDocs: number, events: number): number | undefined {
  const at = (share: number) => series.find((p) => p.v >= share * expectedDocs)?.t;
  const t10 = at(0.1);
  const t90 = at(0.9);
  if (t10 === undefined || t90 === undefined || t90 <= t10) return undefined;
  return (0.8 * events) / (t90 - t10);
}

/** Drops the lease tables of the bench's streams (one ConfigMap in the bench's own namespace). */
export async function dropLeases(kube: PushKube): Promise<void> {
  const kc = new KubeConfig();
  kc.loadFromFile(kube.kubeconfig);
  await kc
    .makeApiClient(CoreV1Api)
    .deleteNamespacedConfigMap({ name: LEASE_CONFIGMAP, namespace: NAMESPACE })
    .catch(() => undefined);
}

/** The forwarder's default lease time (EKS_FORWARDER_KINESIS_LEASE), which the replicas run with. */
const LEASE_MS = 15_000;

/**
 * Waits until every replica holds its share of the shards (as the lease table says) and reads
 * it: a shard taken from a live replica is read a lease time after it was taken (README, push
 * mode), so with several replicas that time is waited out too.
 */
async function awaitBalance(c: PushCommon, stream: string, pods: string[], timeoutMs: number): Promise<{ ok: boolean; owned: Map<string, number> }> {
  const balance = await awaitLeases(c, stream, pods, timeoutMs);
  if (balance.ok && pods.length > 1) await sleep(LEASE_MS + 2_000);
  return balance;
}

async function awaitLeases(c: PushCommon, stream: string, pods: string[], timeoutMs: number): Promise<{ ok: boolean; owned: Map<string, number> }> {
  const store = new ConfigMapLeaseStore(kubeApi({ KUBECONFIG: c.kube.kubeconfig }), NAMESPACE, stream);
  const deadline = Date.now() + timeoutMs;
  const fair = Math.floor(c.shards / pods.length);
  let owned = new Map<string, number>();
  while (Date.now() < deadline) {
    try {
      const { table } = await store.read();
      owned = new Map(pods.map((p) => [p, 0]));
      let all = 0;
      for (const s of Object.values(table.shards)) {
        if (!s.owner || s.finished) continue;
        all += 1;
        owned.set(s.owner, (owned.get(s.owner) ?? 0) + 1);
      }
      if (all === c.shards && [...owned.values()].every((n) => n >= fair)) return { ok: true, owned };
    } catch {
      // not written yet
    }
    await sleep(250);
  }
  return { ok: false, owned };
}

interface Usage {
  maxRssKb: number;
  userUs: number;
  systemUs: number;
  memory?: MemorySample[];
}

/** The probe's sample with the highest RSS. */
const peakSample = (u: Usage | undefined) => (u?.memory ?? []).reduce<MemorySample | undefined>((a, b) => (!a || b.rss > a.rss ? b : a), undefined);

/** The machine's CPU time so far, busy and all (s), from /proc/stat: every process, Elasticsearch and the bench too. */
function machineCpu(): { busy: number; all: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const all = f.slice(0, 8).reduce((s, x) => s + x, 0) / 100;
  return { busy: all - (f[3]! + f[4]!) / 100, all };
}

/** RSS of a live process now (MB), from /proc. */
function rssNow(pid: number): number {
  try {
    return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]) / 1024;
  } catch {
    return Number.NaN;
  }
}

async function stopReplicas(replicas: Replica[]): Promise<{ code: number | null; usage?: Usage }[]> {
  for (const r of replicas) r.child.kill('SIGTERM');
  const killer = setTimeout(() => replicas.forEach((r) => r.child.kill('SIGKILL')), 30_000);
  const out = [];
  for (const r of replicas) {
    const code = await r.exited;
    if (code !== 0) process.stderr.write(`[bench] push replica ${r.pod}: exit ${code}\n${r.stderr().split('\n').slice(-12).join('\n')}\n`);
    let usage: Usage | undefined;
    try {
      usage = JSON.parse(readFileSync(r.probeFile, 'utf8'));
    } catch {
      usage = undefined;
    }
    out.push({ code, usage });
  }
  clearTimeout(killer);
  return out;
}

/** The compiled CLI every push row runs; built here when the `build` phase was skipped and there is none. */
function ensureCompiled(): void {
  if (!existsSync(COMPILED_BIN)) buildCompiled();
}

/**
 * Throughput of 1, 2, 4 ... replicas over the same backlog: the stream is filled and held, the
 * replicas start and split the shards, then the backlog is released at once and timed until
 * every expected document is searchable. The same records (same ids) go to each run's own indices.
 */
export async function measurePushThroughput(c: PushCommon & { events: number; replicaCounts: number[]; say: (l: string) => void }): Promise<PushThroughputResult> {
  ensureCompiled();
  await ensureNamespace(c.kube);
  const cluster = c.name;
  const group = `/aws/eks/${cluster}/cluster`;
  const maker = new EventMaker(group);
  // The backlog: each log stream's events in order, cut into records, records dealt round the shards.
  const records: Buffer[] = [];
  let expectedDocs = 0;
  let messageBytes = 0;
  const startMs = Date.now() - 10 * 60_000;
  const perStream = Math.ceil(c.events / AUDIT_STREAMS.length);
  let made = 0;
  for (const [si, logStream] of AUDIT_STREAMS.entries()) {
    for (let i = 0; i < perStream && made < c.events; i += c.eventsPerRecord) {
      const batch = [];
      for (let k = i; k < Math.min(perStream, i + c.eventsPerRecord) && made < c.events; k++, made++) {
        const timestamp = startMs + Math.floor((k * 600_000) / perStream);
        const e = maker.make(timestamp);
        if (e.kept) expectedDocs += 1;
        messageBytes += e.message.length;
        batch.push({ id: eventId(si * perStream + k), timestamp, message: e.message });
      }
      records.push(subscriptionRecord(group, logStream, batch));
    }
  }
  const streamBytes = records.reduce((n, r) => n + r.length, 0);
  c.say(`   ${c.events} events (${expectedDocs} documents) in ${records.length} records, ${(streamBytes / 1e6).toFixed(1)} MB gzip'd (${(messageBytes / 1e6).toFixed(0)} MB of events), over ${c.shards} shards`);

  const runs: PushRun[] = [];
  for (const n of c.replicaCounts) {
    const suffix = c.indexSuffix(`${cluster}-r${n}`);
    const stream = await startSyntheticKinesis({ streamName: `${cluster}-r${n}`, shards: c.shards, held: true });
    records.forEach((r, i) => stream.put(i, r, `${i}`));
    const pods = Array.from({ length: n }, (_, i) => `push-r${n}-${i}`);
    const es = new Client({ node: c.elastic });
    const docs = sampleDocCount(c.elastic, `${auditIndexPrefix(suffix)}*`);
    const spawned = performance.now();
    const replicas = pods.map((pod) => startReplica(pod, stream, c, suffix, group));
    try {
      const balance = await awaitBalance(c, stream.streamName, pods, 120_000);
      const balanceSeconds = (performance.now() - spawned) / 1000;
      if (!balance.ok) c.say(`   ${n} replica(s): shards not split evenly after ${balanceSeconds.toFixed(0)} s (${JSON.stringify(Object.fromEntries(balance.owned))}); releasing anyway`);
      const cpuAtRelease = replicas.map((r) => cpuNow(r.child.pid!));
      const rssAtRelease = replicas.map((r) => rssNow(r.child.pid!));
      const machineAtRelease = machineCpu();
      const released = performance.now();
      stream.release();
      // Done when everything expected is searchable (a count every 250 ms; default 1 s refresh).
      const deadline = Date.now() + Math.max(300_000, c.events * 20);
      let count = 0;
      let alive = true;
      void Promise.race(replicas.map((r) => r.exited)).then(() => (alive = false));
      while (alive && Date.now() < deadline) {
        try {
          count = (await es.count({ index: `${auditIndexPrefix(suffix)}*`, ignore_unavailable: true, allow_no_indices: true })).count;
        } catch {
          // busy: next round
        }
        if (count >= expectedDocs) break;
        await sleep(250);
      }
      const complete = count >= expectedDocs;
      const doneAt = performance.now();
      const cpuAtDone = replicas.map((r) => cpuNow(r.child.pid!));
      const machineAtDone = machineCpu();
      const samples = replicas.map((r) => r.proc.stop());
      const stopped = await stopReplicas(replicas);
      await sleep(1_200);
      const docSeries = (await docs.stop()).map((p) => ({ t: p.t - (released - spawned) / 1000, v: p.v }));
      const wallSeconds = (doneAt - released) / 1000;
      const perReplica: PushReplica[] = replicas.map((r, i) => {
        const u = stopped[i]!.usage;
        return {
          pod: r.pod,
          exitCode: stopped[i]!.code,
          peakRssMb: u ? u.maxRssKb / 1024 : samples[i]!.hwmMb,
          cpuSeconds: u ? (u.userUs + u.systemUs) / 1e6 : samples[i]!.cpuSeconds,
          cpuSecondsMeasured: cpuAtDone[i]! - cpuAtRelease[i]!,
          shardsAtRelease: balance.owned.get(r.pod) ?? 0,
          rssAtReleaseMb: rssAtRelease[i]!,
          atPeak: peakSample(u),
          rssSeries: samples[i]!.rss,
        };
      });
      const cpu = perReplica.reduce((s, r) => s + r.cpuSecondsMeasured, 0);
      const indexedDocs = docSeries.at(-1)?.v ?? count;
      const run: PushRun = {
        replicas: n,
        balanceSeconds,
        balanced: balance.ok,
        wallSeconds,
        complete,
        indexedDocs,
        eventsPerSecond: complete ? c.events / wallSeconds : 0,
        docsPerSecond: complete ? expectedDocs / wallSeconds : 0,
        steadyEventsPerSecond: steadyRate(docSeries, expectedDocs, c.events),
        cpuSecondsMeasured: cpu,
        machineCpuSeconds: machineAtDone.busy - machineAtRelease.busy,
        machineBusy: (machineAtDone.busy - machineAtRelease.busy) / Math.max(1e-9, machineAtDone.all - machineAtRelease.all),
        eventsPerCpuSecond: complete ? c.events / cpu : 0,
        peakRssMb: Math.max(...perReplica.map((r) => r.peakRssMb)),
        perReplica,
        served: { ...stream.served, calls: { ...stream.served.calls } },
        docSeries,
      };
      runs.push(run);
      c.say(
        `   ${n} replica(s): ${complete ? '' : 'INCOMPLETE '}${indexedDocs}/${expectedDocs} docs in ${wallSeconds.toFixed(1)} s after release (shards split in ${balanceSeconds.toFixed(1)} s): ${run.eventsPerSecond.toFixed(0)} events/s, ` +
          `${run.eventsPerCpuSecond.toFixed(0)} events per CPU-s (${cpu.toFixed(1)} CPU s; machine ${(100 * run.machineBusy).toFixed(0)} % busy), peak RSS ${perReplica.map((r) => r.peakRssMb.toFixed(0)).join('/')} MB; ` +
          `${stream.served.getRecords} GetRecords, throttled ${stream.served.throttledCalls} (calls/s) + ${stream.served.throttledBytes} (bytes/s)`,
      );
    } finally {
      for (const r of replicas) r.child.kill('SIGKILL');
      for (const r of replicas) r.dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
      await es.close();
      await stream.close();
    }
  }
  return { auditEvents: c.events, expectedDocs, shards: c.shards, records: records.length, eventsPerRecord: c.eventsPerRecord, streamMb: streamBytes / 1e6, messageMb: messageBytes / 1e6, cpus: os.cpus().length, runs };
}

export interface PushLatencyResult {
  replicas: number;
  shards: number;
  ratePerSecond: number;
  seconds: number;
  idlePollMs: number;
  put: number;
  tracked: number;
  found: number;
  missing: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  peakRssMb: number[];
  /** Per replica, process.memoryUsage() when its RSS was highest. */
  atPeak: (MemorySample | undefined)[];
  cpuSeconds: number[];
  served: KinesisServed;
}

/**
 * Event-to-searchable latency in push mode, as measure-latency.ts times poll mode: corpus events
 * the default policy keeps (so that every one is timed) are put at a steady rate (every 200 ms, the events due go into one subscription record per log
 * stream, dealt round the shards); each event the policy keeps is timed from the moment its
 * record was appended to the stream to the moment a search by its id finds it.
 */
export async function measurePushLatency(
  c: PushCommon & { replicas: number; rate: number; seconds: number; idlePollMs?: number; say: (l: string) => void },
): Promise<PushLatencyResult> {
  ensureCompiled();
  await ensureNamespace(c.kube);
  const cluster = c.name;
  const group = `/aws/eks/${cluster}/cluster`;
  const suffix = c.indexSuffix(cluster);
  const maker = new EventMaker(group);
  const stream = await startSyntheticKinesis({ streamName: cluster, shards: c.shards });
  const pods = Array.from({ length: c.replicas }, (_, i) => `push-lat-${i}`);
  const extra: Record<string, string> = c.idlePollMs !== undefined ? { EKS_FORWARDER_KINESIS_IDLE_POLL: `${c.idlePollMs}ms` } : {};
  const replicas = pods.map((pod) => startReplica(pod, stream, c, suffix, group, extra));
  const es = new Client({ node: c.elastic });
  const putAt = new Map<string, number>();
  const latencies: number[] = [];
  let put = 0;
  let tracked = 0;
  try {
    const balance = await awaitBalance(c, stream.streamName, pods, 120_000);
    if (!balance.ok) c.say(`   shards not split evenly (${JSON.stringify(Object.fromEntries(balance.owned))}); feeding anyway`);
    // Feeder: every 200 ms, the events due, one record per log stream.
    const streams = AUDIT_STREAMS.slice(0, 2);
    const total = c.rate * c.seconds;
    const startMs = Date.now();
    let recordNo = 0;
    let eventNo = 0;
    const feeder = (async () => {
      while (put < total) {
        const now = Date.now();
        const due = Math.min(total, Math.floor(((now - startMs) / 1000) * c.rate) + 1);
        const batches: { message: string; timestamp: number; id: string }[][] = streams.map(() => []);
        for (; put < due; put++) batches[put % streams.length]!.push({ message: maker.make(now, true).message, timestamp: now, id: eventId(eventNo++) });
        for (const [i, batch] of batches.entries()) {
          if (!batch.length) continue;
          const keys = maker.keys(group, streams[i]!, batch);
          const { arrivedAt } = stream.put(recordNo, subscriptionRecord(group, streams[i]!, batch), String(recordNo));
          recordNo += 1;
          for (const k of keys) putAt.set(k, arrivedAt);
          tracked += keys.length;
        }
        await sleep(Math.max(0, 200 - (Date.now() - now)));
      }
    })();
    let feeding = true;
    void feeder.then(() => (feeding = false));
    await timeUntilSearchable({ es, pattern: `${auditIndexPrefix(suffix)}*`, putAt, feeding: () => feeding }, (_at, ms) => latencies.push(ms));
    await feeder;
    const samples = replicas.map((r) => r.proc.stop());
    const stopped = await stopReplicas(replicas);
    const sorted = latencies.sort((a, b) => a - b);
    return {
      replicas: c.replicas,
      shards: c.shards,
      ratePerSecond: c.rate,
      seconds: c.seconds,
      idlePollMs: c.idlePollMs ?? 500,
      put,
      tracked,
      found: sorted.length,
      missing: putAt.size,
      p50Ms: percentile(sorted, 0.5),
      p99Ms: percentile(sorted, 0.99),
      maxMs: sorted.at(-1) ?? Number.NaN,
      meanMs: sorted.length ? sorted.reduce((s, x) => s + x, 0) / sorted.length : Number.NaN,
      peakRssMb: stopped.map((s, i) => (s.usage ? s.usage.maxRssKb / 1024 : samples[i]!.hwmMb)),
      atPeak: stopped.map((s) => peakSample(s.usage)),
      cpuSeconds: stopped.map((s, i) => (s.usage ? (s.usage.userUs + s.usage.systemUs) / 1e6 : samples[i]!.cpuSeconds)),
      served: { ...stream.served, calls: { ...stream.served.calls } },
    };
  } finally {
    for (const r of replicas) r.child.kill('SIGKILL');
    for (const r of replicas) r.dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    await es.close();
    await stream.close();
  }
}
