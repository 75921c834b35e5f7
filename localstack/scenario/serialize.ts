// Requests to audit event lines: the stages a request logs, each serialized as kube-apiserver does.

import type { Gen, Req } from './cluster.js';
import { goJsonString, isoMicro, sharedJson } from './format.js';

/** Top-level field order of audit.k8s.io/v1 Event as kube-apiserver serializes it. */
export const AUDIT_EVENT_KEY_ORDER = [
  'kind',
  'apiVersion',
  'level',
  'auditID',
  'stage',
  'requestURI',
  'verb',
  'user',
  'impersonatedUser',
  'sourceIPs',
  'userAgent',
  'objectRef',
  'responseStatus',
  'requestObject',
  'responseObject',
  'requestReceivedTimestamp',
  'stageTimestamp',
  'annotations',
] as const;

/** An event line waiting for its stream to be sorted (`seq` keeps emission order for equal times). */
export interface Pending {
  us: number;
  seq: number;
  message: string;
}

/** Expands a request into its stage events, at most `max` of them (always ends with ResponseComplete). */
export function stages(g: Gen, r: Req, max: number): [number, string][] {
  const out: [number, string][] = [];
  const id = g.rng.uuid();
  if (max >= 2 && r.startedUs !== undefined) out.push([r.startedUs, event(g, r, id, 'ResponseStarted', r.startedUs)]);
  else if (max >= 2 && !r.noReceived && g.rng.chance(0.06)) {
    const us = Math.min(r.recvUs + g.rng.int(40), r.doneUs);
    out.push([us, event(g, r, id, 'RequestReceived', us)]);
  }
  out.push([r.doneUs, event(g, r, id, 'ResponseComplete', r.doneUs)]);
  return out;
}

/**
 * Serializes by hand from cached fragments (users and annotations repeat across thousands of
 * events); the field order is kube-apiserver's, the result equals JSON.stringify of the Event.
 */
function event(g: Gen, r: Req, auditID: string, stage: string, stageUs: number): string {
  // Parts joined once: a flat string, not a rope of concatenations (which cost GC time).
  const p: string[] = [
    '{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"',
    r.level,
    '","auditID":"',
    auditID,
    '","stage":"',
    stage,
    '","requestURI":',
    goJsonString(r.uri),
    ',"verb":"',
    r.verb,
    '","user":',
    sharedJson(r.actor.user),
  ];
  if (r.imp) p.push(',"impersonatedUser":', JSON.stringify(r.imp));
  p.push(',"sourceIPs":["', g.ip(r.actor), '"],"userAgent":', JSON.stringify(r.actor.ua));
  if (r.objectRef) p.push(',"objectRef":', JSON.stringify(r.objectRef));
  if (stage !== 'RequestReceived') {
    p.push(',"responseStatus":', JSON.stringify(r.status));
    // Objects are only known once the request was decoded / answered, and only logged at
    // Request (request body) or RequestResponse (both) level.
    if (stage === 'ResponseComplete' && r.level !== 'Metadata' && r.reqObj !== undefined) p.push(',"requestObject":', JSON.stringify(r.reqObj));
    if (stage === 'ResponseComplete' && r.level === 'RequestResponse' && r.respObj !== undefined)
      p.push(',"responseObject":', JSON.stringify(r.respObj));
  }
  p.push(',"requestReceivedTimestamp":"', isoMicro(r.recvUs), '","stageTimestamp":"', isoMicro(stageUs), '"');
  if (stage !== 'RequestReceived') {
    p.push(',"annotations":', r.annotations === r.actor.allow ? sharedJson(r.annotations) : JSON.stringify(r.annotations));
  }
  p.push('}');
  return p.join('');
}
