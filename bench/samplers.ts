import { readdirSync, readFileSync } from 'node:fs';
import { Client } from '@elastic/elasticsearch';
import { docCount } from '../test/support/elastic.js';

/** Seconds since the sampler started, and the value then. */
export interface Point {
  t: number;
  v: number;
}

export interface ProcSample {
  /** RSS over time (MB), every 200 ms. */
  rss: Point[];
  /** VmHWM at the last sample: the kernel's own peak RSS of the process (MB). */
  hwmMb: number;
  /** Peak RSS of the process's children (tsx's esbuild service), summed (MB). */
  childPeakMb: number;
  /** utime + stime at the last sample (s). */
  cpuSeconds: number;
}

const CLK_TCK = 100; // getconf CLK_TCK on Linux x86-64

function statusKb(pid: number, ...fields: string[]): (number | undefined)[] {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return fields.map(() => undefined);
  }
  return fields.map((field) => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : undefined;
  });
}

function cpuTicks(pid: number): number | undefined {
  try {
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return undefined;
  }
}

/** Children of every thread: tsx's esbuild service is started from its loader thread, not the main one. */
function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** Samples a process's memory and CPU from /proc every 200 ms until stopped (or it is gone). */
export function sampleProcess(pid: number): { stop(): ProcSample } {
  const t0 = performance.now();
  const out: ProcSample = { rss: [], hwmMb: 0, childPeakMb: 0, cpuSeconds: 0 };
  const tick = () => {
    const [rss, hwm] = statusKb(pid, 'VmRSS', 'VmHWM');
    if (rss === undefined) return;
    out.rss.push({ t: (performance.now() - t0) / 1000, v: rss / 1024 });
    out.hwmMb = Math.max(out.hwmMb, (hwm ?? 0) / 1024);
    const ticks = cpuTicks(pid);
    if (ticks !== undefined) out.cpuSeconds = ticks / CLK_TCK;
    const kids = children(pid).reduce((s, c) => s + (statusKb(c, 'VmRSS')[0] ?? 0), 0);
    out.childPeakMb = Math.max(out.childPeakMb, kids / 1024);
  };
  tick();
  const timer = setInterval(tick, 200);
  return {
    stop() {
      clearInterval(timer);
      tick();
      return out;
    },
  };
}

/**
 * The number of documents searchable under an index pattern, every second: throughput over time
 * as Elasticsearch sees it. No forced refresh (the default 1 s refresh applies), so it measures
 * what a reader would see, without the sampler changing the indexing it measures.
 */
export function sampleDocCount(elasticUrl: string, pattern: string): { series: Point[]; latest(): number; stop(): Promise<Point[]> } {
  const client = new Client({ node: elasticUrl });
  const t0 = performance.now();
  const series: Point[] = [];
  let busy = false;
  let stopped = false;
  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      const t = (performance.now() - t0) / 1000;
      const { count } = await client.count({ index: pattern, ignore_unavailable: true, allow_no_indices: true });
      series.push({ t, v: count });
    } catch {
      // ES busy: the next tick tries again
    } finally {
      busy = false;
    }
  };
  void tick();
  const timer = setInterval(() => void tick(), 1_000);
  return {
    series,
    latest: () => series[series.length - 1]?.v ?? 0,
    async stop() {
      clearInterval(timer);
      stopped = true;
      // The last point is exact: whatever was acknowledged is made searchable first.
      try {
        series.push({ t: (performance.now() - t0) / 1000, v: await docCount(client, pattern) });
      } catch {
        // ES gone: the series ends with the last sampled count
      }
      await client.close();
      return series;
    },
  };
}
