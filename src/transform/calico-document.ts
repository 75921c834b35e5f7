import type { AuditEvent } from './audit-event.js';

/**
 * The document Calico expects: the audit event unchanged plus `name` and `timestamp`
 * (calico-compat.md). `timestamp` overwrites v1beta1's own field of that name.
 */
export type CalicoDocument = AuditEvent & { name: string; timestamp: string | undefined };

export function calicoDocument(event: AuditEvent): CalicoDocument {
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
