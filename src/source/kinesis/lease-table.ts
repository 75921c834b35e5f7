import { z } from 'zod';

/**
 * The shared state of every replica reading one stream: one lease per shard (its owner, a
 * counter bumped whenever the lease changes hands, and its checkpoint) and each replica's
 * heartbeat. Pure functions over it; the store makes every change a conditional write.
 */
export interface ShardLease {
  /** The replica reading it; absent: free. */
  owner?: string;
  /** Bumped on every change of hands: a checkpoint write names the counter it holds (fencing). */
  counter: number;
  /** Last sequence number acknowledged by the sink; absent: nothing read yet. */
  sequence?: string;
  /** Read to its end (a closed parent) and every record acknowledged: its children may start. */
  finished?: boolean;
  parents: string[];
}

export interface LeaseTable {
  shards: Record<string, ShardLease>;
  /** Replica -> heartbeat, bumped on every renewal; a beat that stops changing is a dead replica. */
  replicas: Record<string, number>;
}

export const leaseTableSchema = z.object({
  shards: z.record(
    z.string(),
    z.object({
      owner: z.string().optional(),
      counter: z.number().int().nonnegative(),
      sequence: z.string().regex(/^\d+$/).optional(),
      finished: z.boolean().optional(),
      parents: z.array(z.string()),
    }),
  ),
  replicas: z.record(z.string(), z.number().int()),
});

export const emptyLeaseTable = (): LeaseTable => ({ shards: {}, replicas: {} });

/** A shard as ListShards names it. */
export interface ListedShard {
  shardId: string;
  parents: string[];
}

/** Kinesis sequence numbers are decimal strings of up to 128 bits: compared as big integers. */
export function sequenceAfter(a: string, b: string | undefined): boolean {
  return b === undefined || BigInt(a) > BigInt(b);
}

/**
 * Adds the shards the stream lists that the table lacks (after a reshard). A finished shard the
 * stream no longer lists (trimmed away) is forgotten; children of a parent the table never saw
 * (trimmed before it was read) do not wait for it.
 */
export function syncShards(table: LeaseTable, listed: readonly ListedShard[]): LeaseTable {
  const listedIds = new Set(listed.map((s) => s.shardId));
  const shards: Record<string, ShardLease> = {};
  for (const [id, lease] of Object.entries(table.shards)) {
    if (listedIds.has(id) || !lease.finished) shards[id] = lease;
  }
  for (const s of listed) {
    if (!shards[s.shardId]) shards[s.shardId] = { counter: 0, parents: s.parents.filter((p) => listedIds.has(p)) };
  }
  return { ...table, shards };
}

/** A shard may be read once each parent is finished (or gone from the table). */
export function readable(table: LeaseTable, shardId: string): boolean {
  const lease = table.shards[shardId];
  if (!lease || lease.finished) return false;
  return lease.parents.every((p) => table.shards[p] === undefined || table.shards[p].finished === true);
}

/** The shards `me` holds, with the counter of each (what its checkpoint writes must name). */
export function heldBy(table: LeaseTable, me: string): Map<string, number> {
  const held = new Map<string, number>();
  for (const [id, lease] of Object.entries(table.shards)) if (lease.owner === me && !lease.finished) held.set(id, lease.counter);
  return held;
}

/**
 * One balancing step of `me` among the `live` replicas: frees the leases of dead replicas, takes
 * free readable shards up to its fair share (the ceiling of shards / replicas), and, when it
 * holds less than the floor, takes one shard from the replica holding the most. One theft per
 * step, and only from a replica holding at least two more, so leases do not bounce.
 */
export function rebalance(table: LeaseTable, me: string, live: ReadonlySet<string>): LeaseTable {
  const shards: Record<string, ShardLease> = { ...table.shards };
  const replicas: Record<string, number> = {};
  for (const [id, beat] of Object.entries(table.replicas)) if (live.has(id) || id === me) replicas[id] = beat;
  for (const [id, lease] of Object.entries(shards)) {
    if (lease.owner !== undefined && !(lease.owner in replicas)) shards[id] = { ...lease, owner: undefined, counter: lease.counter + 1 };
  }
  const next: LeaseTable = { shards, replicas };
  const open = Object.keys(shards).filter((id) => readable(next, id)).sort();
  const replicaCount = Math.max(1, Object.keys(replicas).length);
  const ceiling = Math.ceil(open.length / replicaCount);
  const floor = Math.floor(open.length / replicaCount);
  const count = (owner: string) => open.filter((id) => shards[id]!.owner === owner).length;
  let mine = count(me);
  for (const id of open) {
    if (mine >= ceiling) break;
    const lease = shards[id]!;
    if (lease.owner !== undefined) continue;
    shards[id] = { ...lease, owner: me, counter: lease.counter + 1 };
    mine += 1;
  }
  if (mine < floor) {
    const owners = Object.keys(replicas).filter((r) => r !== me);
    const richest = owners.sort((a, b) => count(b) - count(a) || a.localeCompare(b))[0];
    if (richest !== undefined && count(richest) >= mine + 2) {
      const id = open.find((s) => shards[s]!.owner === richest)!;
      shards[id] = { ...shards[id]!, owner: me, counter: shards[id]!.counter + 1 };
    }
  }
  return next;
}

/** A checkpoint `me` wants to write: per shard, the sequence acknowledged and the counter held when it was read. */
export interface ShardCommit {
  shardId: string;
  counter: number;
  sequence?: string;
  /** Every record of the closed shard acknowledged. */
  finished?: boolean;
}

/**
 * Applies checkpoints where `me` still holds the lease under the same counter, and only forward:
 * a former owner (the lease changed hands, or was lost and taken back) can never move one back.
 * Returns the table and the shards whose checkpoint was refused.
 */
export function commitCheckpoints(table: LeaseTable, me: string, commits: readonly ShardCommit[]): { table: LeaseTable; refused: string[] } {
  const shards = { ...table.shards };
  const refused: string[] = [];
  for (const c of commits) {
    const lease = shards[c.shardId];
    if (!lease || lease.owner !== me || lease.counter !== c.counter) {
      refused.push(c.shardId);
      continue;
    }
    const sequence = c.sequence !== undefined && sequenceAfter(c.sequence, lease.sequence) ? c.sequence : lease.sequence;
    // A finished shard is free for good: its children start.
    shards[c.shardId] = c.finished ? { ...lease, sequence, finished: true, owner: undefined } : { ...lease, sequence };
  }
  return { table: { ...table, shards }, refused };
}

/** Gives up `me`'s leases (a graceful stop), so others take them at once instead of after the lease time. */
export function release(table: LeaseTable, me: string): LeaseTable {
  const shards: Record<string, ShardLease> = {};
  for (const [id, lease] of Object.entries(table.shards)) shards[id] = lease.owner === me ? { ...lease, owner: undefined, counter: lease.counter + 1 } : lease;
  const { [me]: _gone, ...replicas } = table.replicas;
  return { shards, replicas };
}
