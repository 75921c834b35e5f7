import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCountingProxy, type CallStats } from './cloudwatch-proxy.js';
import { benchEnv, spawnForwarder, type ForwarderTarget } from './measure-forwarder.js';
import { sampleProcess, type Point } from './samplers.js';

/** `verify --json` over a window a backfill wrote, as the image runs it, measured like a forwarder. */
export interface VerifyRun {
  label: string;
  auditEvents: number;
  expectedDocs: number;
  exitCode: number | null;
  wallSeconds: number;
  peakRssMb: number;
  cpuSeconds: number;
  calls: CallStats;
  /** The CLI's own report (expected, found, missing, unexpected, duplicates, complete, apiCalls ...). */
  report: Record<string, unknown>;
  rssSeries: Point[];
}

/**
 * Runs the compiled CLI's `verify` over `window` against the indices of `indexSuffix`, through
 * the counting proxy, with the probe preloaded (peak RSS and CPU from the process itself) and
 * /proc sampled, as measureForwarder does for backfill, so the two RSS figures compare.
 */
export async function measureVerify(target: ForwarderTarget, o: { label: string; indexSuffix: string; window: { from: number; to: number }; requestsPerSecond: number; timeoutMs: number; nodeArgs?: string[] }): Promise<VerifyRun> {
  const proxy = await startCountingProxy(target.cloudwatch);
  const probeDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-bench-'));
  const probeFile = path.join(probeDir, 'usage.json');
  const env = benchEnv(target, proxy.url, o.indexSuffix, o.requestsPerSecond, { EKS_BENCH_PROBE_OUT: probeFile });
  const args = ['verify', '--from', new Date(o.window.from).toISOString(), '--to', new Date(o.window.to).toISOString(), '--json'];
  const t0 = performance.now();
  const child = spawnForwarder(args, env, 'warn', 'compiled', o.nodeArgs);
  const proc = sampleProcess(child.pid!);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const killer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs);
  const exitCode = await new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const wallSeconds = (performance.now() - t0) / 1000;
  clearTimeout(killer);
  const sample = proc.stop();
  await proxy.close();
  let usage: { maxRssKb: number; userUs: number; systemUs: number } | undefined;
  try {
    usage = JSON.parse(readFileSync(probeFile, 'utf8'));
  } catch {
    // killed before its exit hook: /proc's figures stand in
  }
  rmSync(probeDir, { recursive: true, force: true });
  let report: Record<string, unknown> = {};
  try {
    report = JSON.parse(stdout.trim().split('\n').pop() ?? '{}');
  } catch {
    // no report: the exit code and stderr say why
  }
  if (exitCode !== 0) process.stderr.write(`[bench] ${o.label}: exit ${exitCode}\n${stderr.split('\n').slice(-15).join('\n')}\n`);
  return {
    label: o.label,
    auditEvents: target.auditEvents,
    expectedDocs: target.expectedDocs,
    exitCode,
    wallSeconds,
    peakRssMb: usage ? usage.maxRssKb / 1024 : sample.hwmMb,
    cpuSeconds: usage ? (usage.userUs + usage.systemUs) / 1e6 : sample.cpuSeconds,
    calls: proxy.stats(o.requestsPerSecond),
    report,
    rssSeries: sample.rss,
  };
}

/** verify's verdict is the one wanted: every expected document, once, nothing else. */
export function verifyClean(v: VerifyRun): boolean {
  const r = v.report;
  return v.exitCode === 0 && r.complete === true && r.expected === v.expectedDocs && r.missing === 0 && r.unexpected === 0 && r.duplicates === 0;
}
