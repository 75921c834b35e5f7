import { z } from 'zod';
import type { PositionSummary } from '../../source/source.js';

/** Where one shard's reading stands, under the lease counter it was read with. */
export interface ShardPosition {
  counter: number;
  /** Last sequence number read (saved once acknowledged); absent: nothing yet. */
  sequence?: string;
  /** The closed shard was read to its end. */
  finished?: boolean;
}

/** The kinesis source's position: per shard, where reading stands. */
export interface KinesisPosition {
  shards: Record<string, ShardPosition>;
}

export const kinesisPositionSchema = z.object({
  shards: z.record(z.string(), z.object({ counter: z.number().int().nonnegative(), sequence: z.string().regex(/^\d+$/).optional(), finished: z.boolean().optional() })),
});

export function describeKinesisPosition(p: KinesisPosition): PositionSummary {
  const ids = Object.keys(p.shards).sort();
  const out: PositionSummary = { shards: ids.length, finishedShards: ids.filter((id) => p.shards[id]!.finished).length };
  for (const id of ids) out[`shard ${id}`] = p.shards[id]!.sequence ?? 'start';
  return out;
}
