/**
 * `npm run bench`: throughput, memory, CPU, API calls and latency of eks-log-forwarder against
 * its two ceilings (the emulator's read speed and the bulk helper's write speed), all measured
 * in one run over the same seeded EKS log group, on loopback. See bench/README.md.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeleteLogGroupCommand, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { Client } from '@elastic/elasticsearch';
import { startServices, type RunningServices } from '../scripts/services/index.js';
import * as kubeApiserver from '../scripts/services/kube-apiserver.js';
import { auditIndexPrefix } from '../src/sink/elasticsearch/index-names.js';
import { auditTemplateName, deadLetterTemplateName } from '../src/sink/elasticsearch/index-template.js';
import { deadLetterIndex } from '../test/support/scenario.js';
import { buildCompiled, measureForwarder, measureIdle, type ForwarderRun, type ForwarderTarget, type Launcher } from './measure-forwarder.js';
import { measureLatency } from './measure-latency.js';
import { measureLinseed } from './measure-linseed.js';
import { measureLive } from './measure-live.js';
import { dropLeases, measurePushLatency, measurePushThroughput, type PushKube } from './measure-push.js';
import { describeSetMemory, measureDeliveredSetMemory } from './measure-set-memory.js';
import { measureVerify, type VerifyRun } from './measure-verify.js';
import { forwarderPageLimit, measureRead, plainClient } from './measure-read.js';
import { allDocuments, logEvents, measureWrite, policyDocuments } from './measure-write.js';
import { imageNodeOptions } from '../test/support/cli.js';
import { buildReceiver, receiverUnavailable } from './otel-awscloudwatch/build.js';
import { parseOptions } from './options.js';
import { startSyntheticCloudWatch } from './synthetic-cloudwatch.js';
import { rerender, writeReport, type BenchResults, type SyntheticRun } from './report.js';
import { groupSpec, groupWindow, loadState, prepareGroup, saveState, type SeededGroup } from './seed-group.js';

const BENCH_DIR = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_DIR = path.join(BENCH_DIR, 'results');
const say = (line: string) => process.stderr.write(`[bench] ${line}\n`);
/** The phases over the seeded main backlog; when all are skipped, nothing is seeded. */
const MAIN_GROUP_PHASES = ['read', 'warmup', 'write', 'heavy', 'backfill', 'backfill2', 'tsx', 'run', 'memory'];

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.rerender) {
    say(`wrote ${rerender(RESULTS_DIR, path.resolve(opts.rerender)).join(', ')}`);
    return;
  }
  const runId = `bench-${Date.now().toString(36)}`;
  const results: BenchResults = {
    runId,
    startedAt: new Date().toISOString(),
    options: { ...opts, skip: [...opts.skip] },
    machine: { cpus: os.cpus().length, node: process.version, loadAverageAtStart: os.loadavg(), imageNodeOptions: imageNodeOptions() },
    errors: [],
  };
  const phase = async <T>(name: string, fn: () => Promise<T>): Promise<T | undefined> => {
    if (opts.skip.has(name)) return undefined;
    say(`-- ${name}`);
    const t0 = performance.now();
    try {
      const out = await fn();
      say(`   ${name} took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      return out;
    } catch (err) {
      // One failed phase must not cost the others' figures.
      say(`   ${name} FAILED: ${(err as Error).stack ?? err}`);
      results.errors.push(`${name}: ${(err as Error).message}`);
      return undefined;
    }
  };

  // Services: reuse those named in the environment (e.g. after `services:up`), else start ours.
  let services: RunningServices | undefined;
  let cloudwatch = process.env.AWS_ENDPOINT_URL_CLOUDWATCH_LOGS;
  let elastic = process.env.ELASTIC_URL;
  if (!cloudwatch || !elastic) {
    say('starting LocalStack and Elasticsearch on 127.0.0.1');
    services = await startServices();
    ({ AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudwatch, ELASTIC_URL: elastic } = services.env);
  }
  results.services = { reused: !services, cloudwatch, elastic };
  const created = { groups: [] as string[], suffixes: [] as string[] };
  const suffix = (name: string) => {
    const s = `${runId}-${name}`;
    created.suffixes.push(s);
    return s;
  };
  const cw = plainClient(cloudwatch);
  // Push mode keeps its leases in a ConfigMap: the kube-apiserver named in the environment
  // (`tsx scripts/services/kube-cli.ts up` prints KUBECONFIG and KUBE_API_URL), else a private one.
  let kube: (PushKube & { stop?: () => Promise<void> }) | undefined;
  const pushKube = async (): Promise<PushKube> => {
    if (kube) return kube;
    if (process.env.KUBECONFIG && process.env.KUBE_API_URL) return (kube = { kubeconfig: process.env.KUBECONFIG });
    say('starting a private kube-apiserver for the push phases (their lease table is a ConfigMap)');
    const k = await kubeApiserver.start();
    kube = { kubeconfig: k.kubeconfig, stop: () => k.stop() };
    return kube;
  };
  const register = (s: string) => {
    created.suffixes.push(s);
    return s;
  };

  try {
    // The compiled CLI, as the image runs it: every forwarder row but the tsx one uses it.
    await phase('build', async () => {
      const warning = buildCompiled();
      if (warning) results.errors.push(`build: ${warning}`);
    });
    const spec = opts.skipSeed ? loadState(RESULTS_DIR, cloudwatch) : groupSpec(runId, opts);
    // Seeding takes minutes: only when a phase over the main backlog runs.
    if (MAIN_GROUP_PHASES.some((p) => !opts.skip.has(p))) {
      // 1. The main group: seeded now, or the one the state file names (--skip-seed).
      if (opts.skipSeed) {
        const found = await cw.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: `/aws/eks/${spec.cluster}/cluster` }));
        if (!found.logGroups?.length) throw new Error(`--skip-seed: group of ${spec.cluster} is not in ${cloudwatch} any more`);
      }
      say(`${opts.skipSeed ? 'regenerating' : 'seeding'} ${spec.events} audit events over ${spec.auditStreams} audit streams (payload ${spec.payloadBytes} B, mutations ${spec.mutationShare})`);
      let main: SeededGroup = await prepareGroup(cw, spec, !opts.skipSeed);
      if (!opts.skipSeed) saveState(RESULTS_DIR, cloudwatch, spec);
      const group = main.scenario.logGroupName;
      const window = groupWindow(spec);
      results.group = {
        name: group,
        auditEvents: spec.events,
        allEvents: main.allEvents,
        streams: main.scenario.streams.length,
        auditStreams: spec.auditStreams,
        expectedDocs: main.expectedDocs,
        auditMb: main.auditBytes / 1e6,
        allMb: main.allBytes / 1e6,
        mutationShare: spec.mutationShare,
        payloadBytes: spec.payloadBytes,
        seedSeconds: main.seedSeconds,
      };
      say(`   ${main.allEvents} events (${(main.allBytes / 1e6).toFixed(0)} MB) in ${main.scenario.streams.length} streams; the policy keeps ${main.expectedDocs}${main.seedSeconds ? `; seeded in ${main.seedSeconds.toFixed(1)} s` : ''}`);

      // 2. Ceilings over the same data.
      const limit = await forwarderPageLimit(cloudwatch, group, { auditEvents: spec.events, auditBytes: main.auditBytes, allEvents: main.allEvents, allBytes: main.allBytes });
      results.read = await phase('read', () => measureRead(cloudwatch, group, window, limit));
      const events = logEvents(main.scenario);
      // Elasticsearch's first bulk requests are slow (JIT, first index creation): warm it up on a
      // throwaway index first, so the ceiling is not measured on a cold node when the forwarder is not.
      const warmSuffix = suffix('warmup');
      await phase('warmup', () => measureWrite(elastic, 'warm-up', warmSuffix, allDocuments(events.slice(0, 3_000), warmSuffix)));
      const writeSuffix = suffix('write');
      const policyDocs = policyDocuments(events, writeSuffix);
      results.transform = policyDocs.cost;
      results.write = await phase('write', () => measureWrite(elastic, 'default policy', writeSuffix, policyDocs.docs));
      policyDocs.docs.requests.length = 0;
      if (!opts.skip.has('heavy')) {
        const heavySuffix = suffix('writeall');
        results.writeAll = await phase('heavy', () => measureWrite(elastic, 'every audit event (no policy)', heavySuffix, allDocuments(events, heavySuffix)));
      }
      events.length = 0;
      main = { ...main, scenario: { logGroupName: group, streams: [] } }; // the messages are not needed any more

      // 3. The forwarder end to end over the same backlog.
      const target: ForwarderTarget = { cloudwatch, elastic, group, auditEvents: spec.events, expectedDocs: main.expectedDocs, bytes: results.read?.bytes ?? main.allBytes };
      const timeoutMs = Math.max(300_000, spec.events * 10);
      const nodeArgs = opts.nodeArgs;
      const forward = (label: string, command: 'backfill' | 'run', rps: number, name: string, launcher: Launcher = 'compiled') =>
        phase(name, async () => {
          const r = await measureForwarder(target, { label, command, requestsPerSecond: rps, indexSuffix: suffix(name), window, slices: opts.slices, timeoutMs, launcher, nodeArgs });
          say(`   ${describe(r)}`);
          return r;
        });
      // Forwarder rows run as the image does: the tsc output under plain node with the image's
      // NODE_OPTIONS (built above). One row runs through tsx (as `npm run demo`), for comparison.
      results.backfill = await forward('backfill, 5 req/s', 'backfill', 5, 'backfill');
      results.backfillDefault = await forward('backfill, 2 req/s (default)', 'backfill', 2, 'backfill2');
      results.backfillTsx = await forward('backfill, 5 req/s, through tsx (default V8 heap)', 'backfill', 5, 'tsx', 'tsx');
      results.run = await forward('run catching up, 5 req/s', 'run', 5, 'run');

      // 4. Memory against backlog size: 10,000 events vs the main backlog, per launcher.
      await phase('memory', async () => {
        const small = await smallBacklog(10_000, 'm10k', 'compiled');
        const big = results.backfill;
        results.memory = { small, big, ratio: small && big ? big.peakRssMb / small.peakRssMb : undefined };
        if (results.backfillTsx) {
          const smallTsx = await smallBacklog(10_000, 'm10kt', 'tsx');
          results.memoryTsx = { small: smallTsx, big: results.backfillTsx, ratio: smallTsx ? results.backfillTsx.peakRssMb / smallTsx.peakRssMb : undefined };
        }
      });
    }
    // 1,000,000 events are beyond the emulator (hours to page): a synthetic FilterLogEvents source.
    if (opts.scale) {
      // verify-scale: `verify` over each window just backfilled, while its source still serves it.
      const verifyScale: { small?: VerifyRun; big?: VerifyRun } = {};
      const verifyAfter = (size: 'small' | 'big') =>
        opts.skip.has('verify-scale')
          ? undefined
          : async (t: ForwarderTarget, indexSuffix: string, window: { from: number; to: number }) => {
              verifyScale[size] = await phase('verify-scale', async () => {
                const v = await measureVerify(t, { label: `verify of ${t.auditEvents} events, synthetic source`, indexSuffix, window, requestsPerSecond: 5, timeoutMs: Math.max(300_000, t.auditEvents * 5), nodeArgs: opts.nodeArgs });
                const r = v.report;
                say(`   ${v.label}: exit ${v.exitCode}, ${n(v.wallSeconds)} s, peak RSS ${n(v.peakRssMb)} MB, ${r.apiCalls} API calls; expected ${r.expected} found ${r.found} missing ${r.missing} unexpected ${r.unexpected} duplicates ${r.duplicates} complete ${r.complete}`);
                return v;
              });
            };
      results.memoryScale = await phase('scale', async () => {
        const small = (await syntheticBacklog(1, 'syn1', {}, { after: verifyAfter('small') })).run;
        const big = (await syntheticBacklog(100, 'syn100', {}, { after: verifyAfter('big') })).run;
        return { small, big, ratio: big.peakRssMb / small.peakRssMb };
      });
      if (verifyScale.small || verifyScale.big) {
        const { small, big } = verifyScale;
        results.verifyScale = { small, big, ratio: small && big ? big.peakRssMb / small.peakRssMb : undefined };
      }
    }
    // The prefilter's savings: LocalStack ignores filter patterns, the synthetic source applies them.
    results.prefilter = await phase('prefilter', async () => {
      const repeats = Math.max(1, Math.round(spec.events / 10_000));
      const plain = await syntheticBacklog(repeats, 'pf-off');
      const filtered = await syntheticBacklog(repeats, 'pf-on', { EKS_FORWARDER_PREFILTER: 'true' });
      return { plain, filtered };
    });
    // Slices pay off when one reader cannot use the budget: each call's round trip (~400 ms for
    // 1 MB from AWS) caps a serial reader below 5 req/s. LocalStack answers one call at a time,
    // so the synthetic source stands in, with that latency added to every answer.
    results.slices = await phase('slices', async () => {
      const repeats = Math.max(1, Math.round(spec.events / 20_000));
      const one = await syntheticBacklog(repeats, 'sl-1', {}, { slices: 1, callLatencyMs: SLICE_LATENCY_MS });
      const four = await syntheticBacklog(repeats, 'sl-4', {}, { slices: 4, callLatencyMs: SLICE_LATENCY_MS });
      return { one, four, callLatencyMs: SLICE_LATENCY_MS, speedup: one.run.wallSeconds / four.run.wallSeconds };
    });
    // The Linseed sink end to end against the emulator's raw bulk ceiling (issue #11), synthetic source.
    results.linseed = await phase('linseed', async () => {
      const cluster = `${runId}-ls`;
      created.suffixes.push(cluster, `${cluster}-raw`);
      const r = await measureLinseed({ elastic: elastic!, cluster, seed: opts.seed, repeats: Math.max(1, Math.round(spec.events / 10_000)), streams: opts.streams, mutationShare: opts.mutationShare, payloadBytes: opts.payloadBytes, nodeArgs: opts.nodeArgs });
      say(`   raw bulk ceiling: ${n(r.ceiling.eventsPerSecond)} events/s (${n(r.ceiling.docsPerSecond)} docs/s, ${r.ceiling.stored}/${r.ceiling.documents} stored); ${describe(r.run)}; ratio ${r.ratio.toFixed(2)}`);
      return r;
    });
    // The delivered set at its largest (1,000 kept events/s must stay inside 150 MB RSS): a
    // retention's worth already stored, read back by the backfill's first write.
    results.linseedSet = await phase('linseed-set', async () => {
      const cluster = `${runId}-set`;
      created.suffixes.push(cluster);
      say(`   seeding ${opts.setRate}/s over ${opts.setMinutes} min (${opts.setRate * opts.setMinutes * 60} documents) through the emulator's bulk API`);
      const r = await measureDeliveredSetMemory({ elastic: elastic!, cluster, rate: opts.setRate, minutes: opts.setMinutes, nodeArgs: opts.nodeArgs });
      say(`   ${describeSetMemory(r)}`);
      return r;
    });
    results.idle = await phase('idle', async () => [await measureIdle('tsx'), await measureIdle('compiled')]);

    // 5. Latency of `run` at a 1 s interval.
    results.latency = await phase('latency', () =>
      measureLatency({
        cloudwatch,
        elastic,
        cluster: `${runId}-lat`,
        seed: opts.seed + 7,
        rate: opts.latencyRate,
        seconds: opts.latencySeconds,
        requestsPerSecond: 5,
        mutationShare: opts.mutationShare,
        payloadBytes: opts.payloadBytes,
      }).finally(() => {
        created.groups.push(`/aws/eks/${runId}-lat/cluster`);
        created.suffixes.push(`${runId}-lat-lat`);
      }),
    );

    // 5b. Push mode: replicas sharing a Kinesis stream's shards (synthetic stream, real leases), and its latency.
    results.push = await phase('push', async () => {
      const k = await pushKube();
      say(`   ${opts.pushEvents} events over ${opts.pushShards} shards, ${opts.pushReplicas.join(', ')} replica(s), ${os.cpus().length} cores`);
      try {
        return await measurePushThroughput({ elastic: elastic!, kube: k, name: `${runId}-push`, indexSuffix: register, shards: opts.pushShards, eventsPerRecord: opts.pushRecordEvents, nodeArgs: opts.nodeArgs, events: opts.pushEvents, replicaCounts: opts.pushReplicas, say });
      } finally {
        await dropLeases(k);
      }
    });
    results.pushLatency = await phase('push-latency', async () => {
      const k = await pushKube();
      try {
        const r = await measurePushLatency({ elastic: elastic!, kube: k, name: `${runId}-plat`, indexSuffix: register, shards: opts.pushShards, eventsPerRecord: opts.pushRecordEvents, nodeArgs: opts.nodeArgs, replicas: opts.pushLatencyReplicas, idlePollMs: opts.pushIdlePollMs, rate: opts.latencyRate, seconds: opts.latencySeconds, say });
        say(`   push: p50 ${n(r.p50Ms)} ms, p99 ${n(r.p99Ms)} ms, max ${n(r.maxMs)} ms; ${r.found}/${r.tracked} found, peak RSS ${r.peakRssMb.map(n).join('/')} MB`);
        return r;
      } finally {
        await dropLeases(k);
      }
    });

    // 6. `run` at the defaults (and at 5 s) on a live group with late arrivals, beside the OpenTelemetry receiver.
    results.live = await phase('live', async () => {
      const receiver = await peerReceiver();
      const cluster = `${runId}-live`;
      // The group lives in the phase's own CloudWatch emulator (LocalStack ignores filter patterns and the 1 MB page cap).
      created.suffixes.push(`${cluster}-d60`, `${cluster}-i5`, `${cluster}-off`);
      say(`   feeding ${opts.liveRate} audit events/s for ${opts.liveMinutes} min, then ~30 min until the 15-minute sweep has re-read it all`);
      const r = await measureLive({ elastic, cluster, seed: opts.seed + 11, rate: opts.liveRate, minutes: opts.liveMinutes, mutationShare: opts.mutationShare, payloadBytes: opts.payloadBytes, receiver });
      for (const f of [...r.forwarders, ...(r.receiver ? [r.receiver] : [])]) say(`   ${f.label}: ${f.calls.calls} calls, ${(f.calls.bytes / 1e6).toFixed(1)} MB, read ${f.readRatio.toFixed(2)} x what was ingested`);
      return r;
    });
  } finally {
    results.finishedAt = new Date().toISOString();
    results.machine.loadAverageAtEnd = os.loadavg();
    const files = writeReport(RESULTS_DIR, results);
    say(`wrote ${files.join(', ')}`);
    await cleanUp(cw, elastic, created);
    cw.destroy();
    if (services) await services.stop();
    await kube?.stop?.();
  }

  /** The peer's collector, built into the cache on first use; or why it cannot run. */
  async function peerReceiver(): Promise<{ binary: string } | { skipped: string }> {
    if (opts.skip.has('otel')) return { skipped: '--skip otel' };
    const missing = receiverUnavailable();
    if (missing) {
      say(`   ${missing}`);
      return { skipped: missing };
    }
    try {
      return { binary: await buildReceiver() };
    } catch (err) {
      say(`   receiver build failed, running without it: ${(err as Error).message}`);
      results.errors.push(`otel build: ${(err as Error).message.split('\n')[0]}`);
      return { skipped: `its build failed: ${(err as Error).message.split('\n')[0]}` };
    }
  }

  /** Seeds a group of n audit events like the main one and backfills it (5 req/s): its peak RSS. */
  async function smallBacklog(n: number, name: string, launcher: Launcher): Promise<ForwarderRun | undefined> {
    const s = groupSpec(`${runId}-${name}`, { ...opts, events: n });
    const g = await prepareGroup(cw, s, true);
    created.groups.push(g.scenario.logGroupName);
    const t: ForwarderTarget = { cloudwatch: cloudwatch!, elastic: elastic!, group: g.scenario.logGroupName, auditEvents: n, expectedDocs: g.expectedDocs, bytes: g.allBytes };
    const run = await measureForwarder(t, {
      label: `backfill of ${n} events, 5 req/s${launcher === 'tsx' ? ', through tsx' : ''}`,
      launcher,
      command: 'backfill',
      requestsPerSecond: 5,
      indexSuffix: suffix(name),
      window: groupWindow(s),
      slices: opts.slices,
      timeoutMs: Math.max(300_000, n * 10),
      nodeArgs: opts.nodeArgs,
    });
    say(`   ${describe(run)}`);
    return run;
  }

  /** `backfill` (compiled, as the image) of `repeats` × 10,000 events from the synthetic source. */
  async function syntheticBacklog(
    repeats: number,
    name: string,
    extraEnv: Record<string, string> = {},
    o: { slices?: number; callLatencyMs?: number; after?: (t: ForwarderTarget, indexSuffix: string, window: { from: number; to: number }) => Promise<void> } = {},
  ): Promise<SyntheticRun> {
    const source = await startSyntheticCloudWatch({ cluster: `${runId}-${name}`, seed: opts.seed, baseEvents: 10_000, repeats, streams: opts.streams, mutationShare: opts.mutationShare, payloadBytes: opts.payloadBytes, callLatencyMs: o.callLatencyMs });
    try {
      const t: ForwarderTarget = { cloudwatch: source.url, elastic: elastic!, group: source.logGroupName, auditEvents: source.auditEvents, expectedDocs: source.expectedDocs, bytes: source.bytes };
      const prefiltered = extraEnv.EKS_FORWARDER_PREFILTER === 'true';
      const indexSuffix = suffix(name);
      const run = await measureForwarder(t, {
        label: `backfill of ${source.auditEvents} events, synthetic source${prefiltered ? ', prefilter on' : ''}${o.callLatencyMs ? `, ${o.callLatencyMs} ms a call` : ''}${o.slices ? `, ${o.slices} slice${o.slices > 1 ? 's' : ''}` : ''}, 5 req/s`,
        launcher: 'compiled',
        command: 'backfill',
        requestsPerSecond: 5,
        indexSuffix,
        window: source.window,
        slices: o.slices ?? 1,
        timeoutMs: Math.max(300_000, source.auditEvents * 5),
        nodeArgs: opts.nodeArgs,
        extraEnv,
      });
      say(`   ${describe(run)}; served ${source.served.events} events, ${(source.served.bytes / 1e6).toFixed(0)} MB in ${source.served.calls} calls`);
      const served = { ...source.served };
      await o.after?.(t, indexSuffix, source.window);
      return { run, served };
    } finally {
      await source.close();
    }
  }
}

const SLICE_LATENCY_MS = 400;
const n = (x: number) => x.toFixed(0);

function describe(r: ForwarderRun): string {
  return `${r.label}: ${r.indexedDocs}/${r.expectedDocs} docs, ${r.eventsPerSecond.toFixed(0)} events/s, peak RSS ${r.peakRssMb.toFixed(0)} MB, CPU ${r.cpuSeconds.toFixed(1)} s, ${r.calls.calls} calls`;
}

/** Drops what this run created, so services kept up between runs do not fill up. */
async function cleanUp(cw: ReturnType<typeof plainClient>, elastic: string, created: { groups: string[]; suffixes: string[] }): Promise<void> {
  const es = new Client({ node: elastic });
  try {
    for (const s of created.suffixes) {
      const names = Object.keys(await es.indices.get({ index: `${auditIndexPrefix(s)}*,${deadLetterIndex(s)}`, ignore_unavailable: true, allow_no_indices: true }));
      if (names.length) await es.indices.delete({ index: names.join(',') });
      for (const t of [auditTemplateName(s), deadLetterTemplateName(s)]) await es.indices.deleteIndexTemplate({ name: t }).catch(() => undefined);
    }
    for (const g of created.groups) await cw.send(new DeleteLogGroupCommand({ logGroupName: g })).catch(() => undefined);
  } catch (err) {
    say(`clean-up incomplete: ${(err as Error).message}`);
  } finally {
    await es.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${(err as Error).stack ?? err}\n`);
  process.exitCode = 1;
});
