import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaseCoordinator } from '../../../src/source/kinesis/lease-coordinator.js';
import { MemoryLeaseStore } from '../../../src/source/kinesis/lease-store.js';
import type { LeaseTable } from '../../../src/source/kinesis/lease-table.js';

const log = pino({ level: 'silent' });
const listShards = async () => [{ shardId: 's0', parents: [] }];

/** A store whose next write waits until released: a checkpoint can arrive while it is in flight. */
class HeldWriteStore extends MemoryLeaseStore {
  hold: Promise<void> | undefined;
  override async write(table: LeaseTable, version: string | undefined) {
    await this.hold;
    return super.write(table, version);
  }
}

describe('lease coordinator', () => {
  it('keeps a checkpoint queued while a write is in flight for the next write', async () => {
    const store = new HeldWriteStore();
    const c = new LeaseCoordinator({ store, identity: 'me', leaseMs: 15_000, listShards, log });
    await c.renew();
    const counter = c.holding().get('s0')!.counter;
    await c.checkpoint([{ shardId: 's0', counter, sequence: '10' }]);
    let release!: () => void;
    store.hold = new Promise((r) => (release = r));
    const inFlight = c.renew();
    // Let the renewal read the table and reach its write before the next checkpoint comes.
    await new Promise((r) => setImmediate(r));
    await c.checkpoint([{ shardId: 's0', counter, sequence: '20' }]);
    release();
    await inFlight;
    expect((await store.read()).table.shards.s0!.sequence).toBe('10');
    store.hold = undefined;
    await c.renew();
    expect((await store.read()).table.shards.s0!.sequence).toBe('20');
  });

  it('holds nothing once it could not renew for the lease time, and writes what is pending when stopped', async () => {
    let now = 1_000_000;
    const store = new MemoryLeaseStore();
    const c = new LeaseCoordinator({ store, identity: 'me', leaseMs: 6_000, listShards, log, now: () => now });
    await c.renew();
    const counter = c.holding().get('s0')!.counter;
    now += 6_001;
    expect(c.holding().size).toBe(0);
    await c.checkpoint([{ shardId: 's0', counter, sequence: '7' }]);
    await c.stop();
    const { table } = await store.read();
    expect(table.shards.s0).toMatchObject({ sequence: '7', owner: undefined, counter: counter + 1 });
    expect(table.replicas).toEqual({});
  });
});
