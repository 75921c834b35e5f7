/**
 * Deterministic generator of EKS control-plane log traffic, as it lands in CloudWatch Logs.
 *
 * Pure: no I/O, no clock, no Math.random. The same options give a byte-identical scenario, so the
 * demo, the integration tests and the benchmark can all regenerate the exact data they seeded.
 *
 * Audit events are kube-apiserver `audit.k8s.io/v1` Events serialized in the apiserver's field
 * order. Shapes the corpus has (pod creates, secret/configmap metadata events, discovery, watches,
 * exec/attach, impersonation, 404/403/409) are re-stamped from corpus events (corpus-templates.ts);
 * shapes it lacks (network policies, Calico resources, endpoints, namespaces, service accounts,
 * EKS users, kubelet status patches, non-resource URLs, dryRun, ...) are synthesized.
 * Levels follow an EKS-like policy (GCE-derived): mutations on known APIs at RequestResponse,
 * reads at Request, secrets/configmaps/tokenreviews and unknown groups at Metadata.
 *
 * This module is the public API. The parts: options.ts (defaults, validation), rng.ts (seeded
 * randomness), format.ts (timestamps, JSON), resources.ts (API resources, the audit policy),
 * cluster.ts (the simulated cluster and the generator's helpers), objects.ts (object bodies),
 * mutations.ts (Calico-relevant mutations), background.ts and reads.ts (everything else),
 * corpus-templates.ts (corpus events re-stamped), serialize.ts (requests to audit event lines),
 * other-streams.ts (the non-audit EKS streams).
 */
import { TRUNCATION_MARKER } from '../../src/transform/audit-event.js';
import { background } from './background.js';
import { Gen } from './cluster.js';
import { calicoMutation, oversized } from './mutations.js';
import { normalize, type ScenarioOptions } from './options.js';
import { otherStreams } from './other-streams.js';
import { stages, type Pending } from './serialize.js';

export type { ScenarioOptions } from './options.js';
export { AUDIT_EVENT_KEY_ORDER } from './serialize.js';

export interface ScenarioEvent {
  timestamp: number;
  message: string;
}

export interface ScenarioStream {
  name: string;
  audit: boolean;
  /** Sorted by timestamp (PutLogEvents requires it). */
  events: ScenarioEvent[];
}

export interface Scenario {
  logGroupName: string;
  streams: ScenarioStream[];
}

export interface ScenarioAuditEvent {
  stream: string;
  timestamp: number;
  message: string;
}

export const AUDIT_STREAM_PREFIX = 'kube-apiserver-audit-';
/** CloudWatch Logs: max event size, counting the message's UTF-8 bytes plus a fixed overhead. */
export const CW_MAX_EVENT_BYTES = 262_144;
export const CW_EVENT_OVERHEAD_BYTES = 26;

/** The audit events of a scenario (audit streams only), in timestamp order. */
export function auditEvents(scenario: Scenario): ScenarioAuditEvent[] {
  const out: ScenarioAuditEvent[] = [];
  for (const s of scenario.streams) {
    if (!s.audit) continue;
    for (const e of s.events) out.push({ stream: s.name, timestamp: e.timestamp, message: e.message });
  }
  // Array.prototype.sort is stable: per-stream order survives for equal timestamps.
  return out.sort((a, b) => a.timestamp - b.timestamp);
}

export function generateScenario(opts: ScenarioOptions): Scenario {
  const o = normalize(opts);
  const gen = new Gen(o, 2);
  const auditNames = Array.from({ length: o.auditStreams }, () => AUDIT_STREAM_PREFIX + gen.id.hex(32));
  const pending: Pending[][] = auditNames.map(() => []);

  let seq = 0;
  const push = (stream: number, us: number, message: string): void => {
    pending[stream]!.push({ us, seq: seq++, message });
  };

  let remaining = o.events - o.truncated;
  while (remaining > 0) {
    const t = gen.timeUs();
    const req = gen.rng.next() < o.mutationShare ? calicoMutation(gen, t) : background(gen, t);
    const stream = gen.rng.int(o.auditStreams);
    for (const [us, ev] of stages(gen, req, remaining)) {
      push(stream, us, ev);
      remaining--;
    }
  }

  const trunc = new Gen(o, 3);
  for (let i = 0; i < o.truncated; i++) {
    const req = oversized(trunc, trunc.timeUs(), i);
    const [us, ev] = stages(trunc, req, 1)[0]!;
    push(trunc.rng.int(o.auditStreams), us, truncateLikeEks(ev));
  }

  const streams: ScenarioStream[] = auditNames.map((name, i) => ({
    name,
    audit: true,
    events: finish(pending[i]!),
  }));
  if (o.otherStreams) {
    for (const s of otherStreams(o, auditNames.length)) streams.push({ name: s.name, audit: false, events: finish(s.pending) });
  }
  return { logGroupName: `/aws/eks/${o.cluster}/cluster`, streams };
}

/** What EKS does with an event over CloudWatch's limit: keep the head, append the marker. */
export function truncateLikeEks(json: string): string {
  const limit = CW_MAX_EVENT_BYTES - CW_EVENT_OVERHEAD_BYTES - Buffer.byteLength(TRUNCATION_MARKER);
  const buf = Buffer.from(json, 'utf8');
  if (buf.length <= limit) throw new Error(`event of ${buf.length} bytes does not need truncation`);
  let end = limit;
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--; // never split a UTF-8 sequence
  return buf.subarray(0, end).toString('utf8') + TRUNCATION_MARKER;
}

/** A stream's events in timestamp order; equal timestamps keep the order they were emitted in. */
function finish(p: Pending[]): ScenarioEvent[] {
  p.sort((a, b) => a.us - b.us || a.seq - b.seq);
  return p.map((e) => ({ timestamp: Math.floor(e.us / 1000), message: e.message }));
}
