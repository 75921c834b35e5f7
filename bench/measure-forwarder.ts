import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditIndexPrefix } from '../src/sink/elasticsearch/index-names.js';
import { compileCli, imageNodeOptions, REPO_ROOT } from '../test/support/cli.js';
import { forwarderEnv } from '../test/support/scenario.js';
import { startCountingProxy, type CallStats } from './cloudwatch-proxy.js';
import { sampleDocCount, sampleProcess, type Point } from './samplers.js';

const BIN = path.join(REPO_ROOT, 'src', 'cli', 'bin.ts');
const PROBE = pathToFileURL(path.join(REPO_ROOT, 'bench', 'probe.mjs')).href;
/** Where the compiled CLI is built (git-ignored), for runs as production runs it: plain node, no tsx. */
const COMPILED_DIR = path.join(REPO_ROOT, '.scratch', 'bench-dist');
const COMPILED_BIN = path.join(COMPILED_DIR, 'cli', 'bin.js');

/**
 * `tsx`: `node --import tsx src/cli/bin.ts` (as `npm start`), V8's default heap sizing;
 * `compiled`: `node <tsc output>/cli/bin.js` with the image's NODE_OPTIONS (as the image runs).
 */
export type Launcher = 'tsx' | 'compiled';

/** Compiles src/ with the project's build config into .scratch/ (not dist/, which is not the bench's). */
export function buildCompiled(): string | undefined {
  rmSync(COMPILED_DIR, { recursive: true, force: true });
  try {
    compileCli(COMPILED_DIR);
    return undefined;
  } catch (err) {
    // tsc still emits on type errors (src/ is edited concurrently): run what it emitted, say so.
    if (!existsSync(COMPILED_BIN)) throw err;
    return `tsc reported errors; ran its output anyway: ${String((err as { stdout?: Buffer }).stdout ?? '').trim().split('\n')[0]}`;
  }
}

export interface ForwarderTarget {
  cloudwatch: string;
  elastic: string;
  group: string;
  /** Audit events in the window and the documents the default policy makes of them. */
  auditEvents: number;
  expectedDocs: number;
  /** Message bytes FilterLogEvents returns for the window (other streams' too if it ignores the prefix). */
  bytes: number;
}

export interface ForwarderRun {
  label: string;
  command: 'backfill' | 'run';
  launcher: Launcher;
  requestsPerSecond: number;
  indexSuffix: string;
  exitCode: number | null;
  /** Spawn to every expected document acknowledged (backfill: exit; run: all searchable). */
  wallSeconds: number;
  /** backfill only: the forwarder's own duration (without process start-up). */
  internalSeconds?: number;
  /** The CLI's --json summary (backfill) or its last logged summary (run). */
  summary: Record<string, unknown>;
  auditEvents: number;
  expectedDocs: number;
  indexedDocs: number;
  eventsPerSecond: number;
  mbPerSecond: number;
  /** Peak RSS of the forwarder process: its own VmHWM at exit (probe.mjs), else the last /proc sample's (MB). */
  peakRssMb: number;
  /** RSS of tsx's esbuild helper process (not the forwarder's own memory). */
  helperRssMb: number;
  cpuSeconds: number;
  cpuPerTenThousand: number;
  calls: CallStats;
  callsPerTenThousandForwarded: number;
  callsPerFullPage: number;
  docSeries: Point[];
  rssSeries: Point[];
  /** process.memoryUsage() every second from inside the process (MB): heap against off-heap. */
  memory: MemorySample[];
}

export interface MemorySample {
  t: number;
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

interface ProbeUsage {
  maxRssKb: number;
  userUs: number;
  systemUs: number;
  memory?: MemorySample[];
}

export interface ForwarderRunOptions {
  label: string;
  command: 'backfill' | 'run';
  requestsPerSecond: number;
  indexSuffix: string;
  window: { from: number; to: number };
  slices?: number;
  /** Give up after this long (the process is killed and the run reported incomplete). */
  timeoutMs: number;
  extraEnv?: Record<string, string>;
  launcher?: Launcher;
  /** node's own flags for the forwarder process (V8 settings, --cpu-prof ...). */
  nodeArgs?: string[];
  /** Where its documents land, when not the Elasticsearch sink's indices of indexSuffix (Linseed's). */
  docPattern?: string;
}

/** Starts the real CLI with the probe preloaded. */
export function spawnForwarder(args: string[], env: Record<string, string>, logLevel: string, launcher: Launcher = 'tsx', nodeArgs: string[] = []): ChildProcess {
  const argv = [...nodeArgs, ...(launcher === 'tsx' ? ['--import', 'tsx', '--import', PROBE, BIN] : ['--import', PROBE, COMPILED_BIN])];
  const image = launcher === 'compiled' ? { NODE_OPTIONS: imageNodeOptions() } : {};
  const child = spawn(process.execPath, [...argv, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: logLevel, EKS_FORWARDER_HTTP_PORT: '0', ...image, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Never leave a forwarder behind when the bench dies.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  child.once('exit', () => process.off('exit', reap));
  return child;
}

/** The environment of test/support's forwarderEnv, pointed at the counting proxy. */
export function benchEnv(target: ForwarderTarget, cloudwatchUrl: string, indexSuffix: string, rps: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...forwarderEnv(target.group, indexSuffix),
    AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cloudwatchUrl,
    ELASTIC_URL: target.elastic,
    EKS_FORWARDER_REQUESTS_PER_SECOND: String(rps),
    ...extra,
  };
}

/**
 * One forwarder run over a seeded backlog, measured from outside: `backfill` runs to its exit;
 * `run` starts before the data and is stopped with SIGTERM once every expected document is
 * searchable. Memory and CPU come from the process itself, calls from the proxy, throughput from
 * Elasticsearch's document count.
 */
export async function measureForwarder(target: ForwarderTarget, o: ForwarderRunOptions): Promise<ForwarderRun> {
  const proxy = await startCountingProxy(target.cloudwatch);
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-bench-'));
  const probeFile = path.join(probeDir, 'usage.json');
  const env = benchEnv(target, proxy.url, o.indexSuffix, o.requestsPerSecond, { EKS_BENCH_PROBE_OUT: probeFile, ...o.extraEnv });
  if (o.command === 'run') env.EKS_FORWARDER_START_FROM = new Date(o.window.from).toISOString();
  const args =
    o.command === 'backfill'
      ? ['backfill', '--from', new Date(o.window.from).toISOString(), '--to', new Date(o.window.to).toISOString(), '--json', '--no-progress', '--slices', String(o.slices ?? 1)]
      : ['run'];

  const docs = sampleDocCount(target.elastic, o.docPattern ?? `${auditIndexPrefix(o.indexSuffix)}*`);
  const t0 = performance.now();
  const child = spawnForwarder(args, env, o.command === 'run' ? 'info' : 'warn', o.launcher, o.nodeArgs);
  const proc = sampleProcess(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);

  let doneAt: number | undefined;
  if (o.command === 'run') {
    // Caught up once everything expected is searchable; then stop it as an operator would.
    const deadline = Date.now() + o.timeoutMs;
    let alive = true;
    void exited.then(() => (alive = false));
    while (alive && Date.now() < deadline && docs.latest() < target.expectedDocs) await sleep(250);
    if (docs.latest() >= target.expectedDocs) doneAt = performance.now();
    child.kill('SIGTERM');
  }
  const exitCode = await exited;
  // A backfill is done when it exits 0; one that failed or was killed has no throughput.
  if (o.command === 'backfill' && exitCode === 0) doneAt = performance.now();
  clearTimeout(killer);
  const sample = proc.stop();
  // One more second of counting, so the series shows the last refresh.
  await sleep(1_200);
  const docSeries = await docs.stop();
  await proxy.close();

  const usage = readJson<ProbeUsage>(probeFile);
  rmSync(probeDir, { recursive: true, force: true });
  const summary = o.command === 'backfill' ? (lastJsonLine(stdout) ?? {}) : (lastLogSummary(stderr) ?? {});
  if (exitCode !== 0) process.stderr.write(`[bench] ${o.label}: exit ${exitCode}\n${stderr.split('\n').slice(-15).join('\n')}\n`);

  const wallSeconds = ((doneAt ?? performance.now()) - t0) / 1000;
  const calls = proxy.stats(o.requestsPerSecond);
  const forwarded = Number(summary.forwarded ?? docSeries[docSeries.length - 1]?.v ?? 0);
  const cpuSeconds = usage ? (usage.userUs + usage.systemUs) / 1e6 : sample.cpuSeconds;
  return {
    label: o.label,
    command: o.command,
    launcher: o.launcher ?? 'tsx',
    requestsPerSecond: o.requestsPerSecond,
    indexSuffix: o.indexSuffix,
    exitCode,
    wallSeconds,
    internalSeconds: typeof summary.durationSeconds === 'number' ? summary.durationSeconds : undefined,
    summary,
    auditEvents: target.auditEvents,
    expectedDocs: target.expectedDocs,
    indexedDocs: docSeries[docSeries.length - 1]?.v ?? 0,
    eventsPerSecond: doneAt ? target.auditEvents / wallSeconds : 0,
    // The CLI reports no byte count: the window's message bytes, as the read ceiling counted them.
    mbPerSecond: doneAt ? target.bytes / 1e6 / wallSeconds : 0,
    peakRssMb: usage ? usage.maxRssKb / 1024 : sample.hwmMb,
    helperRssMb: sample.childPeakMb,
    cpuSeconds,
    cpuPerTenThousand: target.auditEvents ? (cpuSeconds * 10_000) / target.auditEvents : 0,
    calls,
    callsPerTenThousandForwarded: forwarded ? (calls.calls * 10_000) / forwarded : 0,
    callsPerFullPage: calls.fullPages ? calls.filterCalls / calls.fullPages : Number.NaN,
    docSeries,
    rssSeries: sample.rss,
    memory: usage?.memory ?? [],
  };
}

/** The CLI doing nothing but load (`--help`): the RSS and CPU every run starts with. */
export async function measureIdle(launcher: Launcher): Promise<{ launcher: Launcher; peakRssMb: number; cpuSeconds: number }> {
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-bench-'));
  const probeFile = path.join(probeDir, 'usage.json');
  const child = spawnForwarder(['--help'], { EKS_BENCH_PROBE_OUT: probeFile }, 'warn', launcher);
  child.stdout!.resume();
  child.stderr!.resume();
  await new Promise((resolve) => child.on('exit', resolve));
  const usage = readJson<{ maxRssKb: number; userUs: number; systemUs: number }>(probeFile);
  rmSync(probeDir, { recursive: true, force: true });
  if (!usage) throw new Error(`no resource usage from the ${launcher} CLI`);
  return { launcher, peakRssMb: usage.maxRssKb / 1024, cpuSeconds: (usage.userUs + usage.systemUs) / 1e6 };
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

function lastJsonLine(text: string): Record<string, unknown> | undefined {
  const lines = text.trim().split('\n').reverse();
  for (const l of lines) {
    try {
      return JSON.parse(l) as Record<string, unknown>;
    } catch {
      // not the summary
    }
  }
  return undefined;
}

/** `run` logs its counters with each 'window drained' and with 'stopped'; the last one wins. */
function lastLogSummary(stderr: string): Record<string, unknown> | undefined {
  let last: Record<string, unknown> | undefined;
  for (const l of stderr.split('\n')) {
    if (!l.includes('"eventsRead"')) continue;
    try {
      last = JSON.parse(l) as Record<string, unknown>;
    } catch {
      // a partial line
    }
  }
  return last;
}
