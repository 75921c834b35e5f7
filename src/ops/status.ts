import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import { errorText } from '../error-text.js';
import { Stats } from '../pipeline/stats.js';
import { humanDuration, iso } from '../time.js';
import { DEFAULT_OPS_PORT } from './http-server.js';
import type { Health, Role, TargetHealth } from './health.js';

export const DEFAULT_STATUS_URL = `http://127.0.0.1:${DEFAULT_OPS_PORT}`;

/** A checkpoint as `status` shows it: the source's own summary of its position, and the envelope. */
export type CheckpointSummary = {
  location?: string;
  source: string;
  newestForwarded?: string;
  updatedAt: string;
} & PositionSummary;

/** The source's summary of a position (never a token's value). */
export type PositionSummary = Record<string, string | number | boolean>;

/** How a source describes its positions: a summary, and the lines `status` prints of one. */
export interface PositionFormat {
  describe(position: unknown): PositionSummary;
  lines(summary: PositionSummary): [label: string, value: string][];
}

/** What the running pipeline shows at `/status`. */
export interface StatusSource {
  stats: Stats;
  /** The log group (the source's first identity). */
  group: string;
  format: PositionFormat;
  /** Component figures shown at the top level (`overlapSeconds`). */
  fields: () => Record<string, number>;
  /** Component counters (`retriesCloudwatch`, `bulkFailures`, ...). */
  counters: () => Record<string, number>;
}

/** The body of `GET /status`. */
export interface StatusSnapshot {
  /** Absent while no pipeline runs. */
  group?: string;
  role: Role;
  ready: boolean;
  reasons: string[];
  startedAt: string;
  now: string;
  checkpoint?: CheckpointSummary;
  lagSeconds?: number;
  checkpointAgeSeconds?: number;
  overlapSeconds?: number;
  /** What the lateness sweeps (and the re-count) cost since the process started. */
  sweepCallsPerHour?: number;
  sweepMegabytesPerHour?: number;
  warnings?: string[];
  targets: Record<string, TargetHealth>;
  lastLoopAt: string;
  counters: Record<string, number>;
}

export function summarizeCheckpoint(cp: Checkpoint, format: PositionFormat, location?: string): CheckpointSummary {
  return {
    ...(location ? { location } : {}),
    source: cp.source,
    ...format.describe(cp.position),
    ...(cp.newestForwarded !== undefined ? { newestForwarded: iso(cp.newestForwarded) } : {}),
    updatedAt: cp.updatedAt,
  };
}

/** What the running process says about itself at `GET /status`. */
export function statusSnapshot(src: {
  /** Undefined while no pipeline runs (a standby, or waiting for configuration). */
  pipeline: StatusSource | undefined;
  health: Health;
  checkpointLocation?: string;
  now?: number;
}): StatusSnapshot {
  const { health, pipeline } = src;
  const stats = pipeline?.stats ?? new Stats();
  const now = src.now ?? Date.now();
  const ready = health.ready();
  const newest = stats.newestKnownForwarded;
  const s = stats;
  const snapshot = health.snapshot();
  return {
    ...(pipeline ? { group: pipeline.group } : {}),
    role: health.role,
    ready: ready.ready,
    reasons: ready.reasons,
    startedAt: iso(stats.startedAt),
    now: iso(now),
    ...(stats.checkpoint && pipeline ? { checkpoint: summarizeCheckpoint(stats.checkpoint, pipeline.format, src.checkpointLocation) } : {}),
    ...(newest !== undefined ? { lagSeconds: round((now - newest) / 1000) } : {}),
    ...(stats.lastCheckpointAt !== undefined ? { checkpointAgeSeconds: round((now - stats.lastCheckpointAt) / 1000) } : {}),
    ...Object.fromEntries(Object.entries(pipeline?.fields() ?? {}).map(([k, v]) => [k, round(v)])),
    targets: snapshot.targets,
    ...(snapshot.warnings.length > 0 ? { warnings: snapshot.warnings } : {}),
    lastLoopAt: health.lastLoopAt,
    counters: {
      eventsRead: s.eventsRead,
      forwarded: s.forwarded,
      created: s.created,
      alreadyPresent: s.alreadyPresent,
      filtered: s.filtered,
      deadLettered: s.deadLettered,
      lateCaught: s.lateCaught,
      lateBeyondCeiling: s.lateBeyondLimit,
      heldUnderOtherIds: s.heldUnderOtherIds,
      rangesVerified: s.rangesVerified,
      rangesIncomplete: s.rangesIncomplete,
      pages: s.pages,
      ...(pipeline?.counters() ?? {}),
    },
  };
}

export type RemoteStatus =
  | { reachable: true; url: string; status: StatusSnapshot }
  | { reachable: false; url: string; error: string };

/** Asks a running process for its `/status`; never throws. */
export async function fetchStatus(url: string = DEFAULT_STATUS_URL, timeoutMs = 3_000): Promise<RemoteStatus> {
  const base = url.replace(/\/+$/, '');
  try {
    const res = await fetch(`${base}/status`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return { reachable: false, url: base, error: `HTTP ${res.status} from ${base}/status` };
    return { reachable: true, url: base, status: (await res.json()) as StatusSnapshot };
  } catch (err) {
    const cause = (err as { cause?: unknown }).cause;
    return { reachable: false, url: base, error: errorText(cause ?? err) };
  }
}

export interface StatusReport {
  remote: RemoteStatus;
  /** The checkpoint as saved on disk, when there is one. */
  checkpoint?: CheckpointSummary;
  checkpointLocation: string;
  /** Reading the checkpoint failed. */
  checkpointError?: string;
  now: string;
}

/** Everything `status` shows: the running process's view when reachable, and the checkpoint file. */
export async function collectStatus(opts: { store: CheckpointStore; format: PositionFormat; url?: string; timeoutMs?: number; now?: number }): Promise<StatusReport> {
  const remote = await fetchStatus(opts.url ?? DEFAULT_STATUS_URL, opts.timeoutMs);
  let checkpoint: CheckpointSummary | undefined;
  let checkpointError: string | undefined;
  try {
    const cp = await opts.store.load();
    if (cp) checkpoint = summarizeCheckpoint(cp, opts.format, opts.store.location);
  } catch (err) {
    checkpointError = errorText(err);
  }
  return {
    remote,
    ...(checkpoint ? { checkpoint } : {}),
    checkpointLocation: opts.store.location,
    ...(checkpointError ? { checkpointError } : {}),
    now: iso(opts.now ?? Date.now()),
  };
}

/** The `status` command's text. */
export function formatStatus(report: StatusReport, format: PositionFormat): string {
  const now = Date.parse(report.now);
  const lines: string[] = ['eks-log-forwarder status'];
  const remote = report.remote;
  const live = remote.reachable ? remote.status : undefined;
  if (live) {
    lines.push(`  process        running at ${remote.url}: ${live.role}, ${live.ready ? 'ready' : `NOT READY (${live.reasons.join('; ')})`}`);
    for (const w of live.warnings ?? []) lines.push(`  WARNING        ${w}`);
  } else if (!remote.reachable) {
    lines.push(`  process        not reachable at ${remote.url} (${remote.error}); showing the checkpoint alone`);
  }

  // The running process's view is the fresher one; the file is the fallback.
  const cp = live?.checkpoint ?? report.checkpoint;
  lines.push(`  checkpoint     ${cp?.location ?? report.checkpointLocation}`);
  if (report.checkpointError) {
    lines.push(`    unreadable   ${report.checkpointError}`);
  } else if (!cp) {
    lines.push('    none yet     a first run starts a lateness ceiling before the newest indexed document of this log group, else at --start-from, else one hour ago');
  } else {
    for (const [label, value] of format.lines(cp)) lines.push(`    ${label.padEnd(12)} ${value}`);
    lines.push(`    updated      ${cp.updatedAt}${ago(now, Date.parse(cp.updatedAt))}`);
  }

  if (live?.lagSeconds !== undefined) {
    lines.push(`  lag            ${duration(live.lagSeconds)} behind the newest forwarded event`);
  } else if (cp?.newestForwarded) {
    lines.push(`  lag            ${duration((now - Date.parse(cp.newestForwarded)) / 1000)} (newest forwarded event ${cp.newestForwarded})`);
  } else {
    lines.push('  lag            unknown (nothing forwarded yet)');
  }

  if (live) {
    lines.push('  last errors');
    for (const [target, t] of Object.entries(live.targets)) {
      const state = t.ok ? 'ok' : 'FAILING';
      const last = t.lastError ? `; last error ${t.lastErrorAt}: ${t.lastError}` : '; no errors';
      lines.push(`    ${target.padEnd(14)} ${state}${last}`);
    }
    const c = live.counters;
    lines.push(
      `  counters       ${c.eventsRead ?? 0} read, ${c.forwarded ?? 0} forwarded, ${c.filtered ?? 0} filtered, ${c.deadLettered ?? 0} dead-lettered, ${c.pages ?? 0} pages since ${live.startedAt}`,
    );
    if (live.sweepCallsPerHour !== undefined) {
      lines.push(`  late arrivals  ${c.lateCaught ?? 0} caught (${c.lateBeyondCeiling ?? 0} beyond the ceiling); sweeps ${live.sweepCallsPerHour} calls/h, ${live.sweepMegabytesPerHour} MB/h`);
    }
    if (c.rangesVerified) lines.push(`  re-count       ${c.rangesVerified} closed ranges proved, ${c.rangesIncomplete ?? 0} incomplete (their missing documents delivered)`);
  } else {
    lines.push('  last errors    unknown: the process was not reachable');
  }
  return `${lines.join('\n')}\n`;
}

function ago(now: number, then: number): string {
  if (!Number.isFinite(then) || !Number.isFinite(now)) return '';
  return ` (${duration((now - then) / 1000)} ago)`;
}

function duration(seconds: number): string {
  return humanDuration(seconds * 1000);
}

const round = (n: number) => Math.round(n * 1000) / 1000;
