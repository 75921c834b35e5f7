import type { SinkRecord } from '../sink.js';

/** The audit index family every Calico reader queries as `tigera_secure_ee_audit_kube.<cluster>.*`. */
export function auditIndexPrefix(indexSuffix: string): string {
  return `tigera_secure_ee_audit_kube.${indexSuffix}.`;
}

/**
 * The target index is a pure function of the event (the UTC day it was received), never "today"
 * or a rollover alias: a replay a day later must land on the same id in the same index.
 */
export function auditIndexName(event: { requestReceivedTimestamp?: string; stageTimestamp?: string }, indexSuffix: string, fallbackMs: number): string {
  return `${auditIndexPrefix(indexSuffix)}eks-${utcDay(event.requestReceivedTimestamp ?? event.stageTimestamp, fallbackMs)}`;
}

/** Where a record goes: its day's audit index (of its own cluster when the event names one), or the dead-letter index. */
export function indexFor(record: SinkRecord, names: { indexSuffix: string; deadLetterIndex: string }): string {
  return record.kind === 'audit' ? auditIndexName(record.document, record.event.cluster ?? names.indexSuffix, record.event.timestamp) : names.deadLetterIndex;
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
