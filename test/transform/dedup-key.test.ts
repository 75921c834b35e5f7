import { describe, expect, it } from 'vitest';
import { parseAuditEvent } from '../../src/transform/audit-event.js';
import { dedupKey, legacyKey } from '../../src/transform/dedup-key.js';
import { loadCorpus } from '../support/corpus.js';

const corpus = loadCorpus();
const events = corpus.map((c) => {
  const parsed = parseAuditEvent(c.line);
  if (!parsed.ok) throw new Error(`corpus line does not parse: ${parsed.reason}`);
  return parsed.event;
});
const patch = events.find((e) => e.verb === 'patch' && e.stage === 'ResponseComplete') ?? events[0]!;

describe('dedupKey', () => {
  it('is the same for a replay of the same event, whatever the key order of its JSON', () => {
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(patch).reverse()))) as typeof patch;
    expect(dedupKey(reordered)).toBe(dedupKey(patch));
    expect(dedupKey(JSON.parse(JSON.stringify(patch)))).toBe(dedupKey(patch));
  });

  it('starts with auditID and stage, so a person can still find the event by its id', () => {
    expect(dedupKey(patch).startsWith(`${patch.auditID}:${patch.stage}:`)).toBe(true);
    expect(legacyKey(patch)).toBe(`${patch.auditID}:${patch.stage}`);
  });

  it('is unique over the corpus', () => {
    const keys = events.map(dedupKey);
    expect(new Set(keys).size).toBe(new Set(events.map(legacyKey)).size);
  });

  // kube-apiserver takes the Audit-ID header from the client: two requests can share auditID and stage.
  it.each([
    ['the verb', { verb: 'delete' }],
    ['the request URI', { requestURI: '/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/deny-all' }],
    ['the user', { user: { username: 'mallory', groups: ['system:authenticated'] } }],
    ['the object', { objectRef: { resource: 'networkpolicies', namespace: 'prod', name: 'deny-all', apiGroup: 'networking.k8s.io', apiVersion: 'v1' } }],
    ['the time the request was received', { requestReceivedTimestamp: '2030-01-01T00:00:00.000000Z' }],
  ])('tells apart two requests with one client-chosen Audit-ID that differ in %s', (_what, change) => {
    const other = { ...patch, ...change };
    expect(legacyKey(other)).toBe(legacyKey(patch));
    expect(dedupKey(other)).not.toBe(dedupKey(patch));
  });

  it('ignores what the policy changes (level, request and response bodies), so one event keeps its key under any policy', () => {
    expect(dedupKey({ ...patch, level: 'Metadata', requestObject: undefined, responseObject: undefined } as typeof patch)).toBe(dedupKey(patch));
  });

  it('ignores the fields Calico adds to the document (name, timestamp), so a stored document yields its event\'s key', () => {
    expect(dedupKey({ ...patch, name: 'x', timestamp: '2030-01-01T00:00:00Z' } as typeof patch)).toBe(dedupKey(patch));
  });
});
