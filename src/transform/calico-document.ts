import type { AuditEvent } from './audit-event.js';

/** The audit index family every Calico reader queries as `tigera_secure_ee_audit_kube.<cluster>.*`. */
export function auditIndexPrefix(indexSuffix: string): string {
  return `tigera_secure_ee_audit_kube.${indexSuffix}.`;
}

/**
 * The document Calico expects: the audit event unchanged plus `name` and `timestamp`
 * (calico-compat.md). `timestamp` overwrites v1beta1's own field of that name.
 */
export function calicoDocument(event: AuditEvent): Record<string, unknown> {
  return { ...event, name: objectName(event), timestamp: event.stageTimestamp };
}

function objectName(event: AuditEvent): string {
  const response = event.responseObject as
    | { metadata?: { name?: unknown }; details?: { name?: unknown } }
    | undefined;
  const candidates = [event.objectRef?.name, response?.metadata?.name, response?.details?.name];
  for (const c of candidates) if (typeof c === 'string' && c !== '') return c;
  return '-';
}

/**
 * The id is a pure function of (auditID, stage), the identity of an audit event, so any replay
 * of any window writes the same document again instead of a second one.
 */
export function documentId(event: AuditEvent): string {
  return `${event.auditID}:${event.stage}`;
}

/**
 * The target index is a pure function of the event too (the UTC day it was received), never
 * "today" or a rollover alias: a replay a day later must land on the same id in the same index.
 */
export function auditIndexName(event: AuditEvent, indexSuffix: string, fallbackMs: number): string {
  return `${auditIndexPrefix(indexSuffix)}eks-${utcDay(event.requestReceivedTimestamp ?? event.stageTimestamp, fallbackMs)}`;
}

function utcDay(timestamp: string | undefined, fallbackMs: number): string {
  // The API server writes RFC 3339 in UTC ("...Z"); anything else goes through Date.
  if (timestamp && /^\d{4}-\d{2}-\d{2}T[^+]*Z$/.test(timestamp)) {
    return timestamp.slice(0, 4) + timestamp.slice(5, 7) + timestamp.slice(8, 10);
  }
  const ms = timestamp ? Date.parse(timestamp) : Number.NaN;
  const d = new Date(Number.isNaN(ms) ? fallbackMs : ms);
  return d.toISOString().slice(0, 10).replaceAll('-', '');
}
