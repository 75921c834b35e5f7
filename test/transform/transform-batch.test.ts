import { describe, expect, it } from 'vitest';
import type { SourceEvent as LogEvent } from '../../src/event.js';
import { auditIndexName, indexFor } from '../../src/sink/elasticsearch/index-names.js';
import { parseAuditEvent, TRUNCATION_MARKER } from '../../src/transform/audit-event.js';
import { calicoDocument } from '../../src/transform/calico-document.js';
import { dedupKey } from '../../src/transform/dedup-key.js';
import { compilePolicy, DEFAULT_POLICY } from '../../src/transform/policy.js';
import { transformBatch as transformPage, type TransformContext } from '../../src/transform/transform-batch.js';
import { loadCorpus } from '../support/corpus.js';

const ctx: TransformContext = { policy: compilePolicy(DEFAULT_POLICY) };
const sinkNames = { groupName: '/aws/eks/demo/cluster', indexSuffix: 'demo', deadLetterIndex: 'eks-log-forwarder-deadletter.demo' };

const corpus = loadCorpus();
const asLogEvents = (lines: string[]): LogEvent[] =>
  lines.map((message, i) => ({ group: sinkNames.groupName, stream: 'kube-apiserver-audit-0123', eventId: String(i), timestamp: 1_700_000_000_000 + i, ingestionTime: 1_700_000_000_500 + i, message }));

describe('transformBatch over the real corpus', () => {
  const page = transformPage(asLogEvents(corpus.map((c) => c.line)), ctx);

  it('accounts for every event exactly once: indexed, filtered out or dead-lettered', () => {
    expect(page.records.length + page.filtered).toBe(corpus.length);
    expect(page.records.filter((r) => r.kind === 'audit').length).toBeGreaterThan(0);
    expect(page.filtered).toBeGreaterThan(0);
  });

  it('parses every corpus line as an audit event (none is dead-lettered)', () => {
    expect(page.invalid).toBe(0);
    for (const { line } of corpus) expect(parseAuditEvent(line).ok).toBe(true);
  });

  it('gives each kept event its dedup key, a unique one, which its stored document yields again', () => {
    const ids = page.records.map((r) => r.key);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of page.records) if (r.kind === 'audit') expect(r.key).toBe(dedupKey(JSON.parse(JSON.stringify(r.document))));
  });

  it('shapes Calico\'s document: the event unchanged plus name and timestamp', () => {
    for (const r of page.records) {
      const original = JSON.parse(r.event.message) as Record<string, unknown>;
      const { name, timestamp, level, requestObject, responseObject, ...rest } = r.document as Record<string, unknown>;
      const { timestamp: _v1beta1Timestamp, level: _l, requestObject: _q, responseObject: _r, ...originalRest } = original;
      expect(rest).toEqual(originalRest);
      expect(timestamp).toBe(original.stageTimestamp);
      expect(typeof name).toBe('string');
    }
  });
});

describe('calicoDocument name', () => {
  const base = parseAuditEvent(corpus[0]!.line);
  if (!base.ok) throw new Error('corpus line 1 must parse');

  it('prefers objectRef.name', () => {
    expect(calicoDocument(base.event).name).toBe(base.event.objectRef?.name);
  });
  it('falls back to responseObject.metadata.name, then responseObject.details.name, then "-"', () => {
    const noRef = { ...base.event, objectRef: { resource: 'pods' } };
    expect(calicoDocument({ ...noRef, responseObject: { metadata: { name: 'from-metadata' } } }).name).toBe('from-metadata');
    expect(calicoDocument({ ...noRef, responseObject: { details: { name: 'from-details' } } }).name).toBe('from-details');
    expect(calicoDocument(noRef).name).toBe('-');
  });
});

describe('deterministic placement', () => {
  const parsed = parseAuditEvent(corpus[0]!.line);
  if (!parsed.ok) throw new Error('corpus line 1 must parse');
  const event = parsed.event;

  it('puts an event in the index of the UTC day it was received, whatever the clock says', () => {
    expect(auditIndexName(event, 'demo', 0)).toBe('tigera_secure_ee_audit_kube.demo.eks-20181025');
    expect(auditIndexName({ ...event, requestReceivedTimestamp: '2024-03-01T00:30:00.000+02:00' }, 'demo', 0)).toBe(
      'tigera_secure_ee_audit_kube.demo.eks-20240229',
    );
    expect(auditIndexName({ ...event, requestReceivedTimestamp: undefined, stageTimestamp: undefined }, 'demo', Date.UTC(2026, 10, 22))).toBe(
      'tigera_secure_ee_audit_kube.demo.eks-20261122',
    );
  });

  it('gives the same id to the same event and different ids to the stages of one request', () => {
    expect(dedupKey(event)).toBe(dedupKey({ ...event }));
    expect(dedupKey({ ...event, stage: 'RequestReceived' })).not.toBe(dedupKey(event));
  });
});

describe('bad input goes to the dead-letter destination with its stream and eventId', () => {
  const good = corpus.find((c) => (c.event as { verb?: string; stage?: string; objectRef?: { resource?: string } }).verb === 'create' && (c.event as { stage?: string }).stage === 'ResponseComplete' && (c.event as { objectRef?: { resource?: string } }).objectRef?.resource === 'pods')!.line;
  const truncated = good.slice(0, good.indexOf('"auditID"') + 60) + TRUNCATION_MARKER;
  const cases: [string, string, RegExp][] = [
    ['truncated by CloudWatch', truncated, /truncated by CloudWatch/],
    ['invalid JSON', '{"kind":"Event",', /invalid JSON/],
    ['JSON that is not an event', '{"kind": 0}', /not an audit event/],
    ['a wrongly typed field', good.replace('"verb":"create"', '"verb":42'), /not an audit event: verb/],
    ['a plain log line', 'I1122 02:47:12.123456      10 controller.go:123] started', /invalid JSON/],
  ];

  it.each(cases)('%s', (_name, message, reason) => {
    const page = transformPage(asLogEvents([good, message, good.replace(/"auditID":"[^"]+"/, '"auditID":"other"')]), ctx);
    expect(page.invalid).toBe(1);
    const dead = page.records.filter((r) => r.kind === 'dead-letter');
    expect(dead).toHaveLength(1);
    expect(indexFor(dead[0]!, sinkNames)).toBe(sinkNames.deadLetterIndex);
    expect(dead[0]!.key).toBe('kube-apiserver-audit-0123/1');
    expect(dead[0]!.document).toMatchObject({ logStream: 'kube-apiserver-audit-0123', eventId: '1', message, logGroup: sinkNames.groupName });
    expect(String((dead[0]!.document as { reason: string }).reason)).toMatch(reason);
    // The valid neighbours still go through.
    expect(page.records.filter((r) => r.kind === 'audit')).toHaveLength(2);
  });

  it('keeps the auditID of a truncated event when it can be read', () => {
    const page = transformPage(asLogEvents([truncated]), ctx);
    const auditID = (JSON.parse(good) as { auditID: string }).auditID;
    expect((page.records[0]!.document as { auditID?: string }).auditID).toBe(auditID);
  });
});
