import { z } from 'zod';
import { KEY_SCHEME } from '../transform/dedup-key.js';
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
  /** The dedup key scheme of the documents written under this checkpoint; absent: `auditID:stage` (0.1). */
  keys?: string;
  /**
   * Events ingested before this (epoch ms) may already be stored under ids this release does not
   * give (an earlier release's, the operator's forwarder's): they are looked up by content first.
   */
  adoptBefore?: number;
}

/** How far past "now" adoption reaches: covers a pod clock behind AWS's, which stamps ingestion. */
export const ADOPT_MARGIN_MS = 10 * 60_000;

const envelopeSchema = z.object({
  version: z.literal(2),
  source: z.string().min(1),
  position: z.unknown(),
  newestForwarded: z.number().int().optional(),
  updatedAt: z.string(),
  keys: z.string().optional(),
  adoptBefore: z.number().int().optional(),
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

/**
 * The checkpoint of a first start: nothing forwarded yet. `adopt` when the store may already
 * hold some of what will be read, written by someone else (a backfill, a cut-over).
 */
export function freshCheckpoint<P>(source: string, position: P, opts: { adopt?: boolean; now?: number } = {}): Checkpoint<P> {
  const now = opts.now ?? Date.now();
  const fresh: Checkpoint<P> = { version: 2, source, position, updatedAt: new Date(now).toISOString(), keys: KEY_SCHEME };
  return opts.adopt ? { ...fresh, adoptBefore: now + ADOPT_MARGIN_MS } : fresh;
}

/**
 * A checkpoint made under another key scheme (release 0.1 wrote `auditID:stage`): what was
 * ingested until now was delivered under those ids, so it is adopted by content, not written again.
 */
export function underCurrentKeys<P>(checkpoint: Checkpoint<P>, now = Date.now()): Checkpoint<P> {
  if (checkpoint.keys === KEY_SCHEME) return checkpoint;
  return { ...checkpoint, keys: KEY_SCHEME, adoptBefore: Math.max(checkpoint.adoptBefore ?? 0, now + ADOPT_MARGIN_MS) };
}

export interface CheckpointStore {
  /** Human-readable location, for logs and `status`. */
  readonly location: string;
  load(): Promise<Checkpoint | undefined>;
  save(checkpoint: Checkpoint): Promise<void>;
}
