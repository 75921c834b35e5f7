import type { Logger } from 'pino';
import { errorText } from '../../error-text.js';
import type { LeaseStore } from './lease-store.js';
import { commitCheckpoints, heldBy, rebalance, release, sequenceAfter, syncShards, type LeaseTable, type ListedShard, type ShardCommit } from './lease-table.js';

export interface LeaseCoordinatorOptions {
  store: LeaseStore;
  /** This replica's name in the table (the pod name). */
  identity: string;
  /** A replica whose heartbeat has not changed for this long is dead; its shards are taken over. */
  leaseMs: number;
  /** The shards of the stream now (ListShards). */
  listShards: () => Promise<ListedShard[]>;
  log: Logger;
  now?: () => number;
}

/** A shard this replica holds, and where its checkpoint stands. */
export interface HeldShard {
  counter: number;
  sequence?: string;
}

/**
 * This replica's side of the lease table: on every renewal (a third of the lease time) it bumps
 * its heartbeat, notes which replicas are alive by whether their heartbeat moved (on this
 * process's clock, so clock skew between pods does not matter), balances, and writes the
 * checkpoints the sink acknowledged since. Every write is conditional on the table's version;
 * a conflict reads again and re-applies. A replica that cannot renew within the lease time
 * holds nothing (others may have taken its shards): its reads stop until it renews.
 */
export class LeaseCoordinator {
  private table: LeaseTable = { shards: {}, replicas: {} };
  private held = new Map<string, number>();
  private lastRenewed = 0;
  private lastAttempt = 0;
  private readonly observed = new Map<string, { beat: number; at: number }>();
  private pending = new Map<string, ShardCommit>();
  /** Shards taken from a live replica, and when this one may start reading them. */
  private readonly takenFromLive = new Map<string, number>();
  /** A table write failed without an answer: it may have taken shards this replica does not know it holds. */
  private writeInDoubt = false;
  /** The live replicas of the last balancing step. */
  private lastLive = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private renewing: Promise<void> | undefined;
  private stopped = false;
  /** Checkpoint writes refused because the lease had changed hands. */
  refusedCheckpoints = 0;
  renewals = 0;
  private readonly now: () => number;

  constructor(private readonly o: LeaseCoordinatorOptions) {
    this.now = o.now ?? Date.now;
  }

  get identity(): string {
    return this.o.identity;
  }

  get renewIntervalMs(): number {
    return Math.max(200, Math.floor(this.o.leaseMs / 3));
  }

  /** Starts renewing on a timer (after one renewal, so the first read knows its shards). */
  async start(): Promise<void> {
    await this.renew();
    // At a fixed rate from each renewal's start: a slow renewal must not stretch the next one's
    // distance, or `mayWrite` would lapse near the end of every cycle.
    const tick = () => {
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.renew().finally(tick), Math.max(0, this.lastAttempt + this.renewIntervalMs - this.now()));
      this.timer.unref();
    };
    tick();
  }

  /**
   * Shards this replica may read now, with their lease counters and checkpoints. A shard taken
   * from a live replica is read only a lease time later: that one goes on writing until its next
   * renewal shows the loss, or until its own lease would have lapsed (`mayWrite`).
   */
  holding(): Map<string, HeldShard> {
    const out = new Map<string, HeldShard>();
    const now = this.now();
    if (now - this.lastRenewed > this.o.leaseMs) return out;
    for (const [id, counter] of this.held) {
      if ((this.takenFromLive.get(id) ?? 0) > now) continue;
      out.set(id, { counter, sequence: this.table.shards[id]?.sequence });
    }
    return out;
  }

  /**
   * Whether this replica may still write what it read of `shardId` under `counter`: it holds that
   * lease, renewed recently enough that nobody can have taken it yet. Others take a lease only
   * once its holder's heartbeat stood still for the lease time on their clock; the renewal
   * interval kept in hand is for a write already on its way.
   */
  mayWrite(shardId: string, counter: number): boolean {
    return this.held.get(shardId) === counter && this.now() - this.lastRenewed < this.o.leaseMs - this.renewIntervalMs;
  }

  /** The table as last read: who holds what, for `status`. */
  snapshot(): LeaseTable {
    return this.table;
  }

  /** Queues checkpoints for the next renewal; a finished shard is written at once, so its children start. */
  async checkpoint(commits: readonly ShardCommit[]): Promise<void> {
    for (const c of commits) {
      const before = this.pending.get(c.shardId);
      // A replay from an older checkpoint (a restarted cycle) must not move a pending one back.
      const keep = before && before.counter === c.counter && before.sequence !== undefined && (c.sequence === undefined || !sequenceAfter(c.sequence, before.sequence));
      this.pending.set(c.shardId, { ...c, finished: c.finished || before?.finished, sequence: keep ? before.sequence : c.sequence });
    }
    if (commits.some((c) => c.finished)) await this.renew();
  }

  /** One renewal; never two at once. */
  renew(): Promise<void> {
    this.renewing ??= this.renewOnce().finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /** Writes what is pending, gives up every lease and stops renewing. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.renewing;
    try {
      await this.update((t, applying) => release(this.apply(t, applying).table, this.o.identity));
    } catch (err) {
      this.o.log.warn({ err: errorText(err) }, 'could not give up the shard leases; others take them after the lease time');
    }
    this.held.clear();
  }

  private async renewOnce(): Promise<void> {
    this.lastAttempt = this.now();
    try {
      const listed = await this.o.listShards();
      await this.update((t, applying) => {
        const beat = (t.replicas[this.o.identity] ?? 0) + 1;
        const synced = syncShards({ ...t, replicas: { ...t.replicas, [this.o.identity]: beat } }, listed);
        const committed = this.apply(synced, applying).table;
        this.lastLive = this.live(committed);
        return rebalance(committed, this.o.identity, this.lastLive);
      });
      this.renewals += 1;
    } catch (err) {
      this.o.log.warn({ err: errorText(err) }, 'lease renewal failed; retrying');
    }
  }

  /** Checkpoints applied to `t` (fenced by the counters they were read under). */
  private apply(t: LeaseTable, commits: readonly ShardCommit[]): { table: LeaseTable; refused: string[] } {
    return commitCheckpoints(t, this.o.identity, commits);
  }

  /** Read, change, conditional write; again on a conflict. `change` gets the pending checkpoints to apply. */
  private async update(change: (t: LeaseTable, applying: ShardCommit[]) => LeaseTable): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const started = this.now();
      // Checkpoints queued while this write is in flight wait for the next one.
      const applying = [...this.pending.values()];
      const { table, version } = await this.o.store.read();
      this.observe(table);
      const { refused } = this.apply(table, applying);
      const next = change(table, applying);
      let written: Awaited<ReturnType<LeaseStore['write']>>;
      try {
        written = await this.o.store.write(next, version);
      } catch (err) {
        // It may have landed: a shard it took then shows up later as already its own.
        this.writeInDoubt = true;
        throw err;
      }
      if (written.ok) {
        if (refused.length > 0) {
          this.refusedCheckpoints += refused.length;
          this.o.log.warn({ shards: refused }, 'checkpoint not written: the lease changed hands (another replica reads from its own checkpoint)');
        }
        for (const c of applying) if (this.pending.get(c.shardId) === c) this.pending.delete(c.shardId);
        // Who held what as this replica last knew for sure: after a write whose answer was lost,
        // the table read now may already name this replica as the owner of a shard it took.
        const acknowledged = this.table;
        this.table = next;
        const before = this.held;
        this.held = heldBy(next, this.o.identity);
        // Renewed as of when the read began: the lease time counts from before the write.
        this.lastRenewed = started;
        for (const id of this.held.keys()) {
          // Same counter: still the lease it had. A new counter is a new take, even of a shard it
          // believed it held (it could not renew meanwhile, and another took the shard).
          if (before.get(id) === this.held.get(id)) continue;
          const from = [table.shards[id]?.owner, acknowledged.shards[id]?.owner].find((o) => o !== undefined && o !== this.o.identity);
          const fromLive = (from !== undefined && this.lastLive.has(from)) || (from === undefined && this.writeInDoubt);
          // Counted from now, not from the read: the other may have renewed until this write.
          if (fromLive) this.takenFromLive.set(id, this.now() + this.o.leaseMs);
          this.o.log.info({ shard: id, counter: this.held.get(id), ...(fromLive ? { from, readingAfterMs: this.o.leaseMs } : {}) }, 'took shard lease');
        }
        for (const id of this.takenFromLive.keys()) if (!this.held.has(id)) this.takenFromLive.delete(id);
        this.writeInDoubt = false;
        for (const id of before.keys()) if (!this.held.has(id)) this.o.log.info({ shard: id }, 'shard lease gone');
        return;
      }
      if (attempt >= 20) throw new Error(`lease table ${this.o.store.location}: still conflicting after ${attempt + 1} writes`);
    }
  }

  /** Notes each replica's heartbeat, and when it last moved on this clock. */
  private observe(t: LeaseTable): void {
    const now = this.now();
    for (const [id, beat] of Object.entries(t.replicas)) {
      const seen = this.observed.get(id);
      if (!seen || seen.beat !== beat) this.observed.set(id, { beat, at: now });
    }
    for (const id of this.observed.keys()) if (!(id in t.replicas)) this.observed.delete(id);
  }

  private live(t: LeaseTable): Set<string> {
    const now = this.now();
    const live = new Set<string>([this.o.identity]);
    for (const id of Object.keys(t.replicas)) {
      const seen = this.observed.get(id);
      if (seen && now - seen.at <= this.o.leaseMs) live.add(id);
    }
    return live;
  }
}
