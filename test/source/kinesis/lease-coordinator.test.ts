import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { LeaseCoordinator } from '../../../src/source/kinesis/lease-coordinator.js';
import { MemoryLeaseStore } from '../../../src/source/kinesis/lease-store.js';
import type { LeaseTable } from '../../../src/source/kinesis/lease-table.js';

const log = pino({ level: 'silent' });
const listShards = async () => [{ shardId: 's0', parents: [] }];
const twoShards = async () => [
  { shardId: 's0', parents: [] },
  { shardId: 's1', parents: [] },
];
/** Two replicas over two shards, on one clock. */
const twoReplicas = (store: MemoryLeaseStore, now: () => number, leaseMs = 6_000) => ({
  first: new LeaseCoordinator({ store, identity: 'first', leaseMs, listShards: twoShards, log, now }),
  joiner: new LeaseCoordinator({ store, identity: 'joiner', leaseMs, listShards: twoShards, log, now }),
});

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

describe('lease coordinator: who may write', () => {
  it('may write a shard only under the counter it holds, and no longer once a renewal interval short of the lease time has passed without renewing', async () => {
    let now = 1_000_000;
    const c = new LeaseCoordinator({ store: new MemoryLeaseStore(), identity: 'me', leaseMs: 6_000, listShards, log, now: () => now });
    await c.renew();
    const counter = c.holding().get('s0')!.counter;
    expect(c.mayWrite('s0', counter)).toBe(true);
    expect(c.mayWrite('s0', counter + 1)).toBe(false);
    expect(c.mayWrite('s1', counter)).toBe(false);
    now += 3_999;
    expect(c.mayWrite('s0', counter)).toBe(true);
    now += 1;
    // Still holding (others wait the whole lease time), but a write now could land after they took it.
    expect(c.holding().has('s0')).toBe(true);
    expect(c.mayWrite('s0', counter)).toBe(false);
    await c.renew();
    expect(c.mayWrite('s0', counter)).toBe(true);
  });
});

describe('lease coordinator: taking a shard from a live replica', () => {
  it('reads a shard taken from a live replica only a lease time later, by when that replica no longer writes it', async () => {
    let now = 1_000_000;
    const store = new MemoryLeaseStore();
    const { first, joiner } = twoReplicas(store, () => now);
    await first.renew();
    expect([...first.holding().keys()]).toEqual(['s0', 's1']);
    await joiner.renew();
    const taken = (await store.read()).table.shards.s0!.owner === 'joiner' ? 's0' : 's1';
    const counter = first.holding().get(taken)!.counter;
    // Taken, but not read yet: `first` does not know before its next renewal.
    expect(joiner.holding().size).toBe(0);
    expect(first.mayWrite(taken, counter)).toBe(true);
    now += 2_000;
    await first.renew();
    expect(first.mayWrite(taken, counter)).toBe(false);
    expect(joiner.holding().size).toBe(0);
    now += 4_000;
    expect([...joiner.holding().keys()]).toEqual([taken]);
  });

  it('reads at once a shard whose owner died (its heartbeat stood still for the lease time)', async () => {
    let now = 1_000_000;
    const store = new MemoryLeaseStore();
    const dead = new LeaseCoordinator({ store, identity: 'dead', leaseMs: 6_000, listShards, log, now: () => now });
    const next = new LeaseCoordinator({ store, identity: 'next', leaseMs: 6_000, listShards, log, now: () => now });
    await dead.renew();
    await next.renew();
    now += 6_001;
    await next.renew();
    expect([...next.holding().keys()]).toEqual(['s0']);
  });
});

describe('lease coordinator: taking a shard back, and slow renewals', () => {

  it('waits a lease time before reading a shard it takes back from a live replica, though it held it before its own renewals failed', async () => {
    let now = 1_000_000;
    const store = new MemoryLeaseStore();
    const a = new LeaseCoordinator({ store, identity: 'a', leaseMs: 6_000, listShards: twoShards, log, now: () => now });
    const b = new LeaseCoordinator({ store, identity: 'b', leaseMs: 6_000, listShards: twoShards, log, now: () => now });
    await a.renew();
    await b.renew();
    // `a` cannot renew; `b` sees its heartbeat stand still for the lease time and takes both.
    now += 6_001;
    await b.renew();
    expect([...b.holding().keys()].sort()).toEqual(['s0', 's1']);
    // `a` comes back and takes one back from `b`, which writes it until its own next renewal.
    await a.renew();
    const taken = (await store.read()).table.shards.s0!.owner === 'a' ? 's0' : 's1';
    expect(b.mayWrite(taken, b.holding().get(taken)!.counter)).toBe(true);
    expect(a.holding().has(taken)).toBe(false);
    now += 6_000;
    expect(a.holding().has(taken)).toBe(true);
  });

  it('counts the wait from when its write took the shard, not from when its read began (the other renewed meanwhile)', async () => {
    let now = 1_000_000;
    class SlowReads extends MemoryLeaseStore {
      slowMs = 0;
      override async read() {
        const out = await super.read();
        now += this.slowMs;
        return out;
      }
    }
    const store = new SlowReads();
    const { first, joiner } = twoReplicas(store, () => now, 15_000);
    await first.renew();
    const startedAt = now;
    store.slowMs = 8_000;
    await joiner.renew();
    store.slowMs = 0;
    const { shards } = (await store.read()).table;
    const taken = shards.s0!.owner === 'joiner' ? 's0' : 's1';
    expect(shards[taken]!.owner).toBe('joiner');
    // A lease time after its read began, `first` may still have been writing (it renewed during the slow read).
    now = startedAt + 14_000;
    await joiner.renew();
    now = startedAt + 15_001;
    expect((await store.read()).table.shards[taken]!.owner).toBe('joiner');
    expect(joiner.holding().has(taken)).toBe(false);
    now = startedAt + 8_000 + 15_000;
    await joiner.renew();
    expect(joiner.holding().has(taken)).toBe(true);
  });
});

describe('lease coordinator: pending checkpoints', () => {
  it('does not move a pending checkpoint back when a restarted cycle acknowledges an older position under the same lease', async () => {
    const store = new MemoryLeaseStore();
    const c = new LeaseCoordinator({ store, identity: 'me', leaseMs: 15_000, listShards, log });
    await c.renew();
    const counter = c.holding().get('s0')!.counter;
    await c.checkpoint([{ shardId: 's0', counter, sequence: '50' }]);
    await c.checkpoint([{ shardId: 's0', counter, sequence: '20' }]);
    await c.renew();
    expect((await store.read()).table.shards.s0!.sequence).toBe('50');
  });
});

describe('lease coordinator: a lost answer', () => {
  it('waits a lease time before reading a shard it took from a live replica by a write whose answer was lost', async () => {
    let now = 1_000_000;
    class LosesAnswer extends MemoryLeaseStore {
      loseNext = false;
      override async write(table: LeaseTable, version: string | undefined) {
        const out = await super.write(table, version);
        if (this.loseNext) {
          this.loseNext = false;
          throw new Error('socket hang up');
        }
        return out;
      }
    }
    const store = new LosesAnswer();
    const { first, joiner } = twoReplicas(store, () => now);
    await first.renew();
    store.loseNext = true;
    await joiner.renew();
    const { shards } = (await store.read()).table;
    const taken = shards.s0!.owner === 'joiner' ? 's0' : 's1';
    expect(shards[taken]!.owner).toBe('joiner');
    // The next renewal finds the shard already its own: it must still wait, as `first` writes it until its next renewal.
    await joiner.renew();
    expect(joiner.holding().has(taken)).toBe(false);
    await first.renew();
    now += 6_000;
    await first.renew();
    await joiner.renew();
    expect(joiner.holding().has(taken)).toBe(true);
  });
});
