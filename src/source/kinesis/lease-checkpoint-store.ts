import type { Checkpoint, CheckpointStore } from '../../checkpoint/checkpoint.js';
import { KEY_SCHEME } from '../../transform/dedup-key.js';
import type { LeaseCoordinator } from './lease-coordinator.js';
import type { ShardCommit } from './lease-table.js';
import type { KinesisPosition, ShardPosition } from './position.js';

/**
 * The pipeline's checkpoint of a kinesis source, kept per shard in the lease table. `save` hands
 * the shards whose position moved to the coordinator, which writes them with its next renewal
 * (at once for a finished shard), each fenced by the lease counter it was read under: a shard
 * that changed hands since is refused, and nothing moves back. Deferring is safe: the pipeline
 * calls `save` only after the sink acknowledged, and a crash replays what the dedup key absorbs.
 */
export class LeaseCheckpointStore implements CheckpointStore {
  readonly location: string;
  private saved: Record<string, ShardPosition> = {};

  constructor(
    private readonly leases: LeaseCoordinator,
    location: string,
  ) {
    this.location = location;
  }

  async load(): Promise<Checkpoint<KinesisPosition>> {
    const table = this.leases.snapshot();
    const shards: Record<string, ShardPosition> = {};
    for (const [id, lease] of Object.entries(table.shards)) shards[id] = { counter: lease.counter, sequence: lease.sequence, ...(lease.finished ? { finished: true } : {}) };
    this.saved = shards;
    return { version: 2, source: 'kinesis', position: { shards }, updatedAt: new Date().toISOString(), keys: KEY_SCHEME };
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const { shards } = checkpoint.position as KinesisPosition;
    const commits: ShardCommit[] = [];
    for (const [shardId, p] of Object.entries(shards)) {
      const before = this.saved[shardId];
      if (before && before.counter === p.counter && before.sequence === p.sequence && !!before.finished === !!p.finished) continue;
      commits.push({ shardId, counter: p.counter, sequence: p.sequence, finished: p.finished });
    }
    this.saved = shards;
    if (commits.length > 0) await this.leases.checkpoint(commits);
  }
}
