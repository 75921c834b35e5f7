import { createHash } from 'node:crypto';
import type { AuditEvent } from './audit-event.js';

/** The fields of an audit event a key is computed from; a stored document has them too. */
export type KeyedEvent = Pick<AuditEvent, 'auditID' | 'stage'> & Partial<Pick<AuditEvent, 'verb' | 'requestURI' | 'user' | 'objectRef' | 'requestReceivedTimestamp'>> & {
  impersonatedUser?: { username?: string; uid?: string; groups?: string[] };
  sourceIPs?: unknown;
  userAgent?: unknown;
};

/**
 * The identity of one audit event: `auditID:stage:digest`. kube-apiserver takes `auditID` from
 * the client's `Audit-ID` header, so two requests can share it and a stage; the digest of what
 * identifies the request (when it was received, verb, URI, user, object, origin) tells them
 * apart, while any replay of the same event gives the same key. It leaves out what a policy
 * changes (level, bodies) and what Calico adds (name, timestamp), so a stored document yields
 * the key of its event.
 */
export function dedupKey(event: KeyedEvent): string {
  return `${event.auditID}:${event.stage}:${requestDigest(event)}`;
}

/** The key scheme of `dedupKey`, recorded in checkpoints: one made under another was written with other ids. */
export const KEY_SCHEME = 'request-digest';

/** The key releases before 0.2 used, `auditID:stage`: how their documents are found. */
export function legacyKey(event: Pick<AuditEvent, 'auditID' | 'stage'>): string {
  return `${event.auditID}:${event.stage}`;
}

function requestDigest(e: KeyedEvent): string {
  const user = e.user ?? {};
  const ref = e.objectRef ?? {};
  const as = e.impersonatedUser;
  // A fixed field order, not the event's JSON, so the key does not depend on how it was serialised.
  const identity = [
    e.requestReceivedTimestamp ?? null,
    e.verb ?? null,
    e.requestURI ?? null,
    [user.username ?? null, user.uid ?? null, user.groups ?? null],
    [ref.apiGroup ?? null, ref.apiVersion ?? null, ref.resource ?? null, ref.subresource ?? null, ref.namespace ?? null, ref.name ?? null, ref.uid ?? null],
    as ? [as.username ?? null, as.uid ?? null, as.groups ?? null] : null,
    e.sourceIPs ?? null,
    e.userAgent ?? null,
  ];
  // 64 bits: a collision needs billions of requests sharing one auditID and stage.
  return createHash('sha256').update(JSON.stringify(identity)).digest('base64url').slice(0, 11);
}
