import type { HealthReporter } from '../component.js';
import { errorText, maskSecrets, truncate } from '../error-text.js';
import { iso as isoOf } from '../time.js';


export type Role = 'single' | 'leader' | 'standby';

export interface TargetHealth {
  /** False from a failure until the next success. */
  ok: boolean;
  /** `Name: message` of the last failure, credentials masked, never a request or response body. */
  lastError?: string;
  lastErrorAt?: string;
  lastOkAt?: string;
}

export interface HealthSnapshot {
  configured: { ok: boolean; reason?: string };
  /** Each target a component reports on (`cloudwatch`, `elasticsearch`), in the order first seen. */
  targets: Record<string, TargetHealth>;
  role: Role;
  lastLoopAt: string;
  /** What an operator should act on although the process is ready (another forwarder beside it). */
  warnings: string[];
}

interface TargetState {
  ok: boolean;
  lastError?: string;
  lastErrorAt?: number;
  lastOkAt?: number;
}

/**
 * What the pipeline reports about itself, for the ops endpoints: whether it is configured, whether
 * each target answered its last request, its role, and when the loop last showed a sign of life.
 * Not thread-shared state, just fields the loop writes and the HTTP handlers read.
 */
export class Health implements HealthReporter {
  private configuredState: { ok: boolean; reason?: string } = { ok: false, reason: 'configuration not loaded yet' };
  private readonly targets = new Map<string, TargetState>();
  private roleState: Role = 'single';
  private stopped: string | undefined;
  private lastLoop: number;
  private readonly warnings = new Map<string, string>();

  /** `targets`: those to show before any report (the configured components'). */
  constructor(
    private readonly now: () => number = Date.now,
    targets: readonly string[] = [],
  ) {
    this.lastLoop = now();
    for (const t of targets) this.state(t);
  }

  get configured(): { ok: boolean; reason?: string } {
    return { ...this.configuredState };
  }

  /** How `name` answered lately ({ ok: true } before any report). */
  target(name: string): TargetHealth {
    return this.view(name);
  }

  get role(): Role {
    return this.roleState;
  }

  /** ISO time of the last loop iteration (or sleep step). */
  get lastLoopAt(): string {
    return isoOf(this.lastLoop);
  }

  /** The run loop is alive: call every iteration and while sleeping between polls. */
  tick(): void {
    this.lastLoop = this.now();
  }

  /** A request to `target` succeeded. */
  ok(target: string): void {
    const t = this.state(target);
    t.ok = true;
    t.lastOkAt = this.now();
  }

  /** A request to `target` failed (transient or not). Keeps only the error's name and message. */
  failed(target: string, err: unknown): void {
    const t = this.state(target);
    t.ok = false;
    t.lastError = errorText(err);
    t.lastErrorAt = this.now();
  }

  setConfigured(ok: boolean, reason?: string): void {
    this.configuredState = ok ? { ok: true } : { ok: false, reason: reason ? truncate(maskSecrets(reason)) : 'not configured' };
  }

  setRole(role: Role): void {
    this.roleState = role;
  }

  /** The pipeline ended and will not go on by itself: liveness fails, so the kubelet restarts the pod. */
  setStopped(reason: string): void {
    this.stopped = truncate(maskSecrets(reason));
  }

  /** Ready iff configured, both targets ok (none failed since its last success) and a known role. */
  ready(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.configuredState.ok) reasons.push(`not configured: ${this.configuredState.reason ?? 'unknown reason'}`);
    for (const [target, t] of this.targets) {
      if (!t.ok) reasons.push(`${target} failing since ${iso(t.lastErrorAt)}: ${t.lastError ?? 'unknown error'}`);
    }
    if (!(['single', 'leader', 'standby'] as const).includes(this.roleState)) reasons.push(`unknown role ${String(this.roleState)}`);
    return { ready: reasons.length === 0, reasons };
  }

  /**
   * Live iff something happened within `maxStallMs`: a loop tick, or a success or failure
   * reported for a target (a loop waiting out an outage is retrying, not stuck).
   */
  live(now: number = this.now(), maxStallMs: number = DEFAULT_MAX_STALL_MS): { live: boolean; lastActivityAt: string; reason?: string } {
    if (this.stopped !== undefined) return { live: false, lastActivityAt: isoOf(this.lastLoop), reason: `pipeline stopped: ${this.stopped}` };
    const last = Math.max(
      this.lastLoop,
      ...[...this.targets.values()].flatMap((t) => [t.lastOkAt ?? 0, t.lastErrorAt ?? 0]),
    );
    const stalled = now - last;
    const lastActivityAt = isoOf(last);
    if (stalled <= maxStallMs) return { live: true, lastActivityAt };
    return { live: false, lastActivityAt, reason: `no loop activity for ${Math.round(stalled / 1000)} s (limit ${Math.round(maxStallMs / 1000)} s)` };
  }

  /** Sets (or, without text, clears) a warning shown by `/status`, under a topic. */
  warn(topic: string, text?: string): void {
    if (text) this.warnings.set(topic, text);
    else this.warnings.delete(topic);
  }

  snapshot(): HealthSnapshot {
    return {
      configured: this.configured,
      targets: Object.fromEntries([...this.targets.keys()].map((k) => [k, this.view(k)])),
      role: this.roleState,
      lastLoopAt: this.lastLoopAt,
      warnings: [...this.warnings.values()],
    };
  }

  private state(target: string): TargetState {
    let t = this.targets.get(target);
    if (!t) this.targets.set(target, (t = { ok: true }));
    return t;
  }

  private view(target: string): TargetHealth {
    const t = this.targets.get(target) ?? { ok: true };
    const out: TargetHealth = { ok: t.ok };
    if (t.lastError !== undefined) out.lastError = t.lastError;
    if (t.lastErrorAt !== undefined) out.lastErrorAt = iso(t.lastErrorAt);
    if (t.lastOkAt !== undefined) out.lastOkAt = iso(t.lastOkAt);
    return out;
  }
}

/**
 * Default stall limit of the liveness check: longer than the longest silent stretch of a healthy
 * loop (a bulk request may take its 60 s timeout three times; backoff waits up to 30 s).
 */
export const DEFAULT_MAX_STALL_MS = 5 * 60_000;

/** A stall limit for a fetch interval: the interval plus the default slack. */
export function maxStallFor(fetchIntervalMs: number): number {
  return fetchIntervalMs + DEFAULT_MAX_STALL_MS;
}

/**
 * Which target an error came from: the AWS SDK's errors carry `$metadata`, the Elasticsearch
 * client's have its error class names or `meta`. Undefined for anything else (a disk error).
 */
export function targetOf(err: unknown): 'cloudwatch' | 'elasticsearch' | undefined {
  const e = err as { name?: string; $metadata?: unknown; meta?: unknown } | undefined;
  if (!e || typeof e !== 'object') return undefined;
  if (e.$metadata !== undefined) return 'cloudwatch';
  if (
    e.meta !== undefined ||
    ['ResponseError', 'ConnectionError', 'TimeoutError', 'NoLivingConnectionsError', 'SerializationError', 'DeserializationError', 'ElasticsearchClientError'].includes(
      e.name ?? '',
    )
  ) {
    return 'elasticsearch';
  }
  return undefined;
}

const iso = (ms: number | undefined) => (ms === undefined ? 'unknown' : isoOf(ms));
