import { gzipSync } from 'node:zlib';
import type { KinesisClient, _Record } from '@aws-sdk/client-kinesis';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { noHealth } from '../../../src/component.js';
import { KinesisSource, KinesisStats } from '../../../src/source/kinesis/kinesis-source.js';
import { LeaseCoordinator } from '../../../src/source/kinesis/lease-coordinator.js';
import { MemoryLeaseStore } from '../../../src/source/kinesis/lease-store.js';
import type { KinesisPosition } from '../../../src/source/kinesis/position.js';
import { loadCorpus } from '../../support/corpus.js';

const log = pino({ level: 'silent' });
const corpus = loadCorpus();

/** `n` subscription records of `perRecord` corpus events each, sequence numbers 1..n. */
function records(n: number, perRecord: number): _Record[] {
  return Array.from({ length: n }, (_, r) => ({
    SequenceNumber: String(r + 1),
    PartitionKey: 'k',
    ApproximateArrivalTimestamp: new Date(),
    Data: gzipSync(
      JSON.stringify({
        messageType: 'DATA_MESSAGE',
        logGroup: '/aws/eks/demo/cluster',
        logStream: 'kube-apiserver-audit-0a1b',
        subscriptionFilters: ['f'],
        logEvents: Array.from({ length: perRecord }, (_, i) => ({ id: `${r}-${i}`, timestamp: Date.now(), message: corpus[(r * perRecord + i) % corpus.length]!.line })),
      }),
    ),
  }));
}

/** Kinesis answering the first GetRecords of each new iterator with `answer`, then nothing (caught up). */
function kinesisAnswering(answer: _Record[]): KinesisClient {
  let iterators = 0;
  const served = new Set<string>();
  return {
    send: async (command: { constructor: { name: string }; input: { ShardIterator?: string } }) => {
      switch (command.constructor.name) {
        case 'ListShardsCommand':
          return { Shards: [{ ShardId: 'shardId-0' }] };
        case 'GetShardIteratorCommand':
          return { ShardIterator: `it-${++iterators}` };
        case 'GetRecordsCommand': {
          const it = command.input.ShardIterator!;
          const out = { Records: served.has(it) ? [] : answer, NextShardIterator: it, MillisBehindLatest: 0 };
          served.add(it);
          return out;
        }
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
    destroy() {},
  } as unknown as KinesisClient;
}

describe('kinesis source', () => {
  it('yields a large GetRecords answer as batches of about 2 MB of events, each ending on a record (the checkpoint unit), the first marked as taken over', async () => {
    const answer = records(60, 200);
    let source: KinesisSource | undefined;
    const leases = new LeaseCoordinator({ store: new MemoryLeaseStore(), identity: 'me', leaseMs: 15_000, listShards: () => source!.listShards(), log });
    source = new KinesisSource({
      settings: { region: 'r', stream: 's', streamPrefix: 'kube-apiserver-audit-', clusters: new Map(), startAt: 'trim-horizon', leaseMs: 15_000, recordsPerCall: 100, idlePollMs: 10 },
      client: kinesisAnswering(answer),
      leases,
      stats: new KinesisStats(),
      log,
      health: noHealth,
    });
    await leases.renew();
    const stop = new AbortController();
    const batches: { events: number; bytes: number; sequence?: string; taken?: boolean }[] = [];
    let total = 0;
    for await (const b of source.read({ shards: {} } as KinesisPosition, { stop: stop.signal, signal: new AbortController().signal })) {
      batches.push({ events: b.events.length, bytes: b.events.reduce((n, e) => n + e.message.length, 0), sequence: b.position.shards['shardId-0']?.sequence, taken: b.othersMayHaveWritten });
      total += b.events.length;
      if (total === 60 * 200) stop.abort();
    }
    const allBytes = batches.reduce((n, b) => n + b.bytes, 0);
    expect(total).toBe(60 * 200);
    expect(batches.length).toBeGreaterThanOrEqual(Math.floor(allBytes / (2 * 1024 * 1024)));
    expect(batches.length).toBeGreaterThan(1);
    // Each batch stops at the first record that takes it past 2 MB: at most one record's events over.
    const recordBytes = Math.max(...answer.map((_, r) => Array.from({ length: 200 }, (_, i) => corpus[(r * 200 + i) % corpus.length]!.line.length).reduce((a, b) => a + b, 0)));
    for (const b of batches.slice(0, -1)) {
      expect(b.bytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
      expect(b.bytes).toBeLessThan(2 * 1024 * 1024 + recordBytes);
    }
    expect(batches.map((b) => b.events % 200)).toEqual(batches.map(() => 0));
    expect(batches.at(-1)!.sequence).toBe('60');
    expect(batches.map((b) => b.taken)).toEqual(batches.map((_, i) => i === 0));
    source.close();
  });

  it('marks a shard taken over again when a cycle restarts before its first batch was delivered, and not once it was', async () => {
    let source: KinesisSource | undefined;
    const leases = new LeaseCoordinator({ store: new MemoryLeaseStore(), identity: 'me', leaseMs: 15_000, listShards: () => source!.listShards(), log });
    source = new KinesisSource({
      settings: { region: 'r', stream: 's', streamPrefix: 'kube-apiserver-audit-', clusters: new Map(), startAt: 'trim-horizon', leaseMs: 15_000, recordsPerCall: 100, idlePollMs: 10 },
      client: kinesisAnswering(records(2, 10)),
      leases,
      stats: new KinesisStats(),
      log,
      health: noHealth,
    });
    await leases.renew();
    /** One cycle's first batch; `deliver`: the pipeline acknowledged it. */
    const firstBatch = async (deliver: boolean) => {
      const stop = new AbortController();
      for await (const b of source!.read({ shards: {} } as KinesisPosition, { stop: stop.signal, signal: new AbortController().signal })) {
        stop.abort();
        if (deliver) b.acknowledged?.();
        return b.othersMayHaveWritten;
      }
      return undefined;
    };
    // Each cycle reads the shard again from a new iterator: the sink must hear of the takeover until a batch carrying it is delivered.
    expect(await firstBatch(false)).toBe(true);
    expect(await firstBatch(true)).toBe(true);
    expect(await firstBatch(true)).toBe(false);
    source.close();
  });
});
