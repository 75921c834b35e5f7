import type { LogEvent } from '../source/log-pages.js';
import { parseAuditEvent } from './audit-event.js';
import { auditIndexName, calicoDocument, documentId } from './calico-document.js';
import { deadLetter, deadLetterId } from './dead-letter.js';
import { applyPolicy, type CompiledPolicy } from './policy.js';

export interface TransformContext {
  policy: CompiledPolicy;
  groupName: string;
  indexSuffix: string;
  deadLetterIndex: string;
}

/** One document to index, with the CloudWatch event it came from. */
export interface IndexRequest {
  kind: 'audit' | 'dead-letter';
  index: string;
  id: string;
  document: Record<string, unknown>;
  source: LogEvent;
}

export interface TransformedPage {
  requests: IndexRequest[];
  /** Audit events the policy left out. */
  filtered: number;
  /** Events that did not parse as audit events (also among `requests`, as dead letters). */
  invalid: number;
}

/** Turns a page of CloudWatch events into index requests. Pure: no I/O, no clock. */
export function transformPage(events: readonly LogEvent[], ctx: TransformContext): TransformedPage {
  const requests: IndexRequest[] = [];
  let filtered = 0;
  let invalid = 0;
  for (const source of events) {
    const parsed = parseAuditEvent(source.message);
    if (!parsed.ok) {
      invalid += 1;
      requests.push(deadLetterRequest(source, parsed.reason, ctx));
      continue;
    }
    const kept = applyPolicy(ctx.policy, parsed.event);
    if (kept === null) {
      filtered += 1;
      continue;
    }
    requests.push({
      kind: 'audit',
      index: auditIndexName(kept, ctx.indexSuffix, source.timestamp),
      id: documentId(kept),
      document: calicoDocument(kept),
      source,
    });
  }
  return { requests, filtered, invalid };
}

export function deadLetterRequest(source: LogEvent, reason: string, ctx: Pick<TransformContext, 'groupName' | 'deadLetterIndex'>): IndexRequest {
  return {
    kind: 'dead-letter',
    index: ctx.deadLetterIndex,
    id: deadLetterId(source),
    document: { ...deadLetter(source, ctx.groupName, reason) },
    source,
  };
}
