import { z } from 'zod';
import { migrateV1, v1Schema } from './migrate-v1.js';

/**
 * Where reading stands: an envelope around a position only its source understands. Saved only
 * after the sink acknowledged everything before it, so a restart resumes exactly there.
 */
export interface Checkpoint<P = unknown> {
  version: 2;
  /** The kind of source whose position this is (`cloudwatch`). */
  source: string;
  position: P;
  /** Newest event timestamp acknowledged so far (epoch ms), for lag. */
  newestForwarded?: number;
  updatedAt: string;
}

const envelopeSchema = z.object({
  version: z.literal(2),
  source: z.string().min(1),
  position: z.unknown(),
  newestForwarded: z.number().int().optional(),
  updatedAt: z.string(),
});

/** Reads a saved checkpoint of any version this release knows; throws, naming `location`, otherwise. */
export function parseCheckpoint(json: unknown, location: string): Checkpoint {
  const version = (json as { version?: unknown } | null)?.version;
  const parsed = version === 1 ? v1Schema.transform(migrateV1).safeParse(json) : envelopeSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`checkpoint ${location} is not valid: ${issue?.path.join('.') || '(root)'}: ${issue?.message}`);
  }
  return parsed.data as Checkpoint;
}

/** The checkpoint of a first start: nothing forwarded yet. */
export function freshCheckpoint<P>(source: string, position: P, now = Date.now()): Checkpoint<P> {
  return { version: 2, source, position, updatedAt: new Date(now).toISOString() };
}

export interface CheckpointStore {
  /** Human-readable location, for logs and `status`. */
  readonly location: string;
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
}
