import { z } from 'zod';

/**
 * Where reading stands. Saved only after Elasticsearch acknowledged everything before it, so a
 * restart resumes exactly there: nothing skipped, and any replay absorbed by deterministic ids.
 */
export const checkpointSchema = z.object({
  version: z.literal(1),
  groupName: z.string(),
  streamPrefix: z.string(),
  /** Start of the window being read, or of the next window when none is open (epoch ms). */
  windowStart: z.number().int(),
  /** Inclusive end of the window being read; absent between windows. */
  windowEnd: z.number().int().optional(),
  /** With a prefilter, the pass of the window being read (0: the policy's pattern, 1: cut-off events). */
  pass: z.number().int().min(0).optional(),
  /** Token of the window's next unread page. */
  nextToken: z.string().optional(),
  /** Every event timestamped at or before this was read at least once; a new one found there is late. */
  readUpTo: z.number().int().optional(),
  /** A backfill whose whole window is indexed. */
  done: z.boolean().optional(),
  /** Newest event timestamp acknowledged so far (epoch ms), for lag. */
  newestForwarded: z.number().int().optional(),
  updatedAt: z.string(),
});

export type Checkpoint = z.infer<typeof checkpointSchema>;

export interface CheckpointStore {
  /** Human-readable location, for logs and `status`. */
  readonly location: string;
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
}
