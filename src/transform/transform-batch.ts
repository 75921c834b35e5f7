import type { SourceEvent } from '../event.js';
import type { SinkRecord } from './record.js';
import { parseAuditEvent } from './audit-event.js';
import { calicoDocument } from './calico-document.js';
import { dedupKey } from './dedup-key.js';
import { deadLetter, deadLetterId } from './dead-letter.js';
import { applyPolicy, type CompiledPolicy } from './policy.js';

export interface TransformContext {
  policy: CompiledPolicy;
}

export interface TransformedBatch {
  /** Audit documents the policy keeps, and dead letters of events that are not audit events. */
  records: SinkRecord[];
  /** Audit events the policy left out. */
  filtered: number;
  /** Events that did not parse as audit events (also among `records`, as dead letters). */
  invalid: number;
}

/** Turns a batch of raw events into the records to deliver. Pure: no I/O, no clock. */
export function transformBatch(events: readonly SourceEvent[], ctx: TransformContext): TransformedBatch {
  const records: SinkRecord[] = [];
  let filtered = 0;
  let invalid = 0;
  for (const event of events) {
    const parsed = parseAuditEvent(event.message);
    if (!parsed.ok) {
      invalid += 1;
      records.push(deadLetterRecord(event, parsed.reason));
      continue;
    }
    const kept = applyPolicy(ctx.policy, parsed.event);
    if (kept === null) {
      filtered += 1;
      continue;
    }
    records.push({ kind: 'audit', key: dedupKey(kept), document: calicoDocument(kept), event });
  }
  return { records, filtered, invalid };
}

/** The record that keeps an undeliverable event whole, with the reason. */
export function deadLetterRecord(event: SourceEvent, reason: string): SinkRecord {
  return { kind: 'dead-letter', key: deadLetterId(event), document: deadLetter(event, reason), event };
}
