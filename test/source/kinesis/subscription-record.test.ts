import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseClusterMap } from '../../../src/source/kinesis/cluster-map.js';
import { decodeSubscriptionRecord } from '../../../src/source/kinesis/subscription-record.js';
import { compilePolicy, DEFAULT_POLICY } from '../../../src/transform/policy.js';
import { transformBatch } from '../../../src/transform/transform-batch.js';
import { keyOf, loadCorpus } from '../../support/corpus.js';

const PREFIX = 'kube-apiserver-audit-';
const opts = { streamPrefix: PREFIX, clusters: new Map<string, string>() };

/** A record as CloudWatch Logs writes it into the stream for a subscription filter. */
function subscriptionRecord(message: object): Uint8Array {
  return gzipSync(Buffer.from(JSON.stringify(message)));
}

function dataMessage(group: string, stream: string, lines: string[], base = 1_700_000_000_000) {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: group,
    logStream: stream,
    subscriptionFilters: ['eks-log-forwarder'],
    logEvents: lines.map((message, i) => ({ id: `3800000000000000000000000000000000000000000000000000${String(i).padStart(4, '0')}`, timestamp: base + i, message })),
  };
}

describe('subscription record decoder', () => {
  const corpus = loadCorpus().slice(0, 200);

  it('decodes real audit events into source events that transform to the poller dedup keys', () => {
    const record = subscriptionRecord(dataMessage('/aws/eks/prod-east/cluster', `${PREFIX}0123abcd`, corpus.map((c) => c.line)));
    const decoded = decodeSubscriptionRecord(record, 1_700_000_100_000, opts);
    expect(decoded.kind).toBe('data');
    if (decoded.kind !== 'data') return;
    expect(decoded.events.map((e) => e.message)).toEqual(corpus.map((c) => c.line));
    expect(new Set(decoded.events.map((e) => e.eventId)).size).toBe(corpus.length);
    const { records } = transformBatch(decoded.events, { policy: compilePolicy(DEFAULT_POLICY) });
    const audit = records.filter((r) => r.kind === 'audit');
    expect(audit.length).toBeGreaterThan(0);
    for (const r of audit) expect(r.key).toBe(keyOf(JSON.parse(r.event.message) as object));
  });

  it('gives each event the cluster of its log group: /aws/eks/<cluster>/cluster by default', () => {
    const decoded = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/aws/eks/Prod-East/cluster', `${PREFIX}a`, [corpus[0]!.line])), 0, opts);
    expect(decoded.kind === 'data' && decoded.events.map((e) => e.cluster)).toEqual(['prod-east']);
  });

  it('lets the mapping setting override the cluster of a group, and leaves unknown groups to the sink', () => {
    const clusters = parseClusterMap('/aws/eks/prod-east/cluster=east, /custom/group=west');
    expect(clusters).toBeInstanceOf(Map);
    const mapped = { streamPrefix: PREFIX, clusters: clusters as Map<string, string> };
    const a = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/aws/eks/prod-east/cluster', `${PREFIX}a`, [corpus[0]!.line])), 0, mapped);
    const b = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/custom/group', `${PREFIX}a`, [corpus[0]!.line])), 0, mapped);
    const c = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/other/group', `${PREFIX}a`, [corpus[0]!.line])), 0, mapped);
    expect(a.kind === 'data' && a.cluster).toBe('east');
    expect(b.kind === 'data' && b.cluster).toBe('west');
    expect(c.kind === 'data' && c.cluster).toBeUndefined();
    expect(c.kind === 'data' && 'cluster' in c.events[0]!).toBe(false);
  });

  it('skips the events of streams without the audit prefix (the subscription does not apply it)', () => {
    const decoded = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/aws/eks/a/cluster', 'kube-apiserver-0123', [corpus[0]!.line, corpus[1]!.line])), 0, opts);
    expect(decoded).toEqual({ kind: 'other-stream', group: '/aws/eks/a/cluster', stream: 'kube-apiserver-0123', events: 2 });
  });

  it('skips CONTROL_MESSAGE records', () => {
    const control = { messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [], logEvents: [{ id: '', timestamp: 1, message: 'CWL CONTROL MESSAGE: Checking health of destination Kinesis stream.' }] };
    expect(decodeSubscriptionRecord(subscriptionRecord(control), 0, opts)).toEqual({ kind: 'control' });
  });

  it('says why a record is not a subscription message (not gzip, not the shape)', () => {
    const raw = decodeSubscriptionRecord(Buffer.from('plain text'), 0, opts);
    const shape = decodeSubscriptionRecord(subscriptionRecord({ messageType: 'DATA_MESSAGE', logGroup: 'g' }), 0, opts);
    expect(raw.kind === 'invalid' && raw.reason).toMatch(/not a gzip'd JSON/);
    expect(shape.kind === 'invalid' && shape.reason).toMatch(/logStream/);
  });

  it('takes the arrival time as ingestion time, never before the event itself', () => {
    const decoded = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/aws/eks/a/cluster', `${PREFIX}a`, [corpus[0]!.line], 5_000)), 9_000, opts);
    const future = decodeSubscriptionRecord(subscriptionRecord(dataMessage('/aws/eks/a/cluster', `${PREFIX}a`, [corpus[0]!.line], 20_000)), 9_000, opts);
    expect(decoded.kind === 'data' && decoded.events[0]!.ingestionTime).toBe(9_000);
    expect(future.kind === 'data' && future.events[0]!.ingestionTime).toBe(20_000);
  });
});

describe('cluster mapping setting', () => {
  it('refuses entries that are not logGroup=cluster, and clusters that are not index suffixes', () => {
    expect(parseClusterMap('nogroup')).toMatch(/not logGroup=cluster/);
    expect(parseClusterMap('/g=Upper')).toMatch(/index suffix/);
    expect(parseClusterMap('/g=a,/g=b')).toMatch(/mapped twice/);
  });
});
