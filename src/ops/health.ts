import { setTimeout as sleep } from 'node:timers/promises';

export type Target = 'cloudwatch' | 'elasticsearch';
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
  cloudwatch: TargetHealth;
  elasticsearch: TargetHealth;
  role: Role;
  lastLoopAt: string;
}

interface TargetState {
  ok: boolean;
  lastError?: string;
  lastErrorAt?: number;
  lastOkAt?: number;
}

const MAX_ERROR_CHARS = 300;

/**
 * What the pipeline reports about itself, for the ops endpoints: whether it is configured, whether
 * each target answered its last request, its role, and when the loop last showed a sign of life.
 * Not thread-shared state, just fields the loop writes and the HTTP handlers read.
 */
export class Health {
  private configuredState: { ok: boolean; reason?: string } = { ok: false, reason: 'configuration not loaded yet' };
  private readonly targets: Record<Target, TargetState> = { cloudwatch: { ok: true }, elasticsearch: { ok: true } };
  private roleState: Role = 'single';
  private lastLoop: number;

  constructor(private readonly now: () => number = Date.now) {
    this.lastLoop = now();
  }

  get configured(): { ok: boolean; reason?: string } {
    return { ...this.configuredState };
  }

  get cloudwatch(): TargetHealth {
    return this.view('cloudwatch');
  }

  get elasticsearch(): TargetHealth {
    return this.view('elasticsearch');
  }

  get role(): Role {
    return this.roleState;
  }

  /** ISO time of the last loop iteration (or sleep step). */
  get lastLoopAt(): string {
    return new Date(this.lastLoop).toISOString();
  }

  /** The run loop is alive: call every iteration and while sleeping between polls. */
  tick(): void {
    this.lastLoop = this.now();
  }

  /** A request to `target` succeeded. */
  ok(target: Target): void {
    const t = this.targets[target];
    t.ok = true;
    t.lastOkAt = this.now();
  }

  /** A request to `target` failed (transient or not). Keeps only the error's name and message. */
  failed(target: Target, err: unknown): void {
    const t = this.targets[target];
    t.ok = false;
    t.lastError = safeErrorText(err);
    t.lastErrorAt = this.now();
  }

  setConfigured(ok: boolean, reason?: string): void {
    this.configuredState = ok ? { ok: true } : { ok: false, reason: reason ? maskSecrets(reason).slice(0, MAX_ERROR_CHARS) : 'not configured' };
  }

  setRole(role: Role): void {
    this.roleState = role;
  }

  /** Ready iff configured, both targets ok (none failed since its last success) and a known role. */
  ready(): { ready: boolean; reasons: string[] } {
    const reasons: string[] = [];
    if (!this.configuredState.ok) reasons.push(`not configured: ${this.configuredState.reason ?? 'unknown reason'}`);
    for (const target of ['cloudwatch', 'elasticsearch'] as const) {
      const t = this.targets[target];
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
    const last = Math.max(
      this.lastLoop,
      ...(['cloudwatch', 'elasticsearch'] as const).flatMap((k) => [this.targets[k].lastOkAt ?? 0, this.targets[k].lastErrorAt ?? 0]),
    );
    const stalled = now - last;
    const lastActivityAt = new Date(last).toISOString();
    if (stalled <= maxStallMs) return { live: true, lastActivityAt };
    return { live: false, lastActivityAt, reason: `no loop activity for ${Math.round(stalled / 1000)} s (limit ${Math.round(maxStallMs / 1000)} s)` };
  }

  snapshot(): HealthSnapshot {
    return {
      configured: this.configured,
      cloudwatch: this.cloudwatch,
      elasticsearch: this.elasticsearch,
      role: this.roleState,
      lastLoopAt: this.lastLoopAt,
    };
  }

  private view(target: Target): TargetHealth {
    const t = this.targets[target];
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
export function targetOf(err: unknown): Target | undefined {
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

/** Sleeps `ms` (until `signal` aborts) in steps, ticking `health` at each, so a long poll interval stays live. */
export async function sleepTicking(ms: number, signal: AbortSignal, health?: Pick<Health, 'tick'>, stepMs = 5_000): Promise<void> {
  const end = Date.now() + Math.max(0, ms);
  health?.tick();
  while (!signal.aborted) {
    const left = end - Date.now();
    if (left <= 0) return;
    try {
      await sleep(Math.min(stepMs, left), undefined, { signal });
    } catch {
      return;
    }
    health?.tick();
  }
}

/** `Name: message` of an error, first line only, with anything credential-like masked. */
export function safeErrorText(err: unknown): string {
  const e = err as { name?: unknown; message?: unknown } | undefined;
  const name = typeof e?.name === 'string' && e.name ? e.name : 'Error';
  const message = typeof e?.message === 'string' ? e.message : typeof err === 'string' ? err : String(err);
  const firstLine = message.split(/\r?\n/, 1)[0] ?? '';
  const text = maskSecrets(`${name}: ${firstLine}`);
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS - 1)}…` : text;
}

/** Masks URL user info, authorization schemes, AWS key ids, signatures and tokens. */
export function maskSecrets(text: string): string {
  return text
    .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+(?::[^/\s@]*)?@/gi, '$1***@')
    .replace(/\b(Basic|Bearer|ApiKey)\s+[A-Za-z0-9+/=._~-]+/g, '$1 ***')
    .replace(/\b(AKIA|ASIA)[A-Z0-9]{12,}\b/g, '***')
    .replace(/((?:X-Amz-)?(?:Signature|Credential|Security-Token)=)[^&\s"']+/gi, '$1***')
    .replace(/\b((?:password|secret|api[_-]?key|token|authorization)["']?\s*[:=]\s*["']?)(?!(?:Basic|Bearer|ApiKey) )[^"'\s,}&]+/gi, '$1***');
}

const iso = (ms: number | undefined) => (ms === undefined ? 'unknown' : new Date(ms).toISOString());
